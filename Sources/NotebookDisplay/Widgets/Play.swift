/// A play button that counts through a range, one step every `interval`
/// milliseconds, in the page (`PlayModel`); link it to a slider with
/// `jslink` so that playing moves the slider.
public final class Play: DOMWidget, ValueWidget, @unchecked Sendable {
    public static let valueAttributes = ["value"]
    public let range: ClosedRange<Int>

    public init(
        _ description: String = "", _ range: ClosedRange<Int> = 0...100, step: Int = 1, value: Int? = nil,
        interval: Int = 100, repeats: Bool = false
    ) {
        require(step > 0, "Play(\"\(description)\"): the step must be positive, not \(step)")
        require(interval > 0, "Play(\"\(description)\"): the interval must be positive milliseconds")
        self.range = range
        super.init(
            model: "PlayModel", view: "PlayView", style: "DescriptionStyleModel",
            attributes: [
                "description": .string(description), "min": .int(range.lowerBound), "max": .int(range.upperBound),
                "step": .int(step), "value": .int((value ?? range.lowerBound).clamped(to: range)),
                "interval": .int(interval), "repeat": .bool(repeats),
            ])
    }

    public var value: Int {
        get { self["value"]?.intValue ?? range.lowerBound }
        set { set(["value": .int(newValue.clamped(to: range))]) }
    }

    override public var textDescription: String { "Play(\(description) = \(value), \(range))" }
}
