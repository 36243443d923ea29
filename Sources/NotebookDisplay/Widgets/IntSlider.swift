/// A slider over integers (`IntSliderModel`): `IntSlider("t", 0...299, value: 50)`.
public final class IntSlider: DOMWidget, ValueWidget, @unchecked Sendable {
    public static let valueAttributes = ["value"]
    public let range: ClosedRange<Int>

    /// `continuousUpdate: false` sends the value only when the user lets go.
    public init(
        _ description: String = "", _ range: ClosedRange<Int> = 0...100, step: Int = 1, value: Int? = nil,
        continuousUpdate: Bool = true
    ) {
        require(step > 0, "IntSlider(\"\(description)\"): the step must be positive, not \(step)")
        self.range = range
        super.init(
            model: "IntSliderModel", view: "IntSliderView", style: "SliderStyleModel",
            attributes: [
                "description": .string(description), "min": .int(range.lowerBound), "max": .int(range.upperBound),
                "step": .int(step), "value": .int((value ?? range.lowerBound).clamped(to: range)),
                "continuous_update": .bool(continuousUpdate),
            ])
    }

    /// The value; a new one outside the range is clamped to it (as ipywidgets does).
    public var value: Int {
        get { self["value"]?.intValue ?? range.lowerBound }
        set { set(["value": .int(newValue.clamped(to: range))]) }
    }

    override public var textDescription: String { "IntSlider(\(description) = \(value), \(range))" }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
