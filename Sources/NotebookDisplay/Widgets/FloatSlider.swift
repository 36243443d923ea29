/// A slider over real numbers (`FloatSliderModel`): `FloatSlider("s", 0...0.1, step: 0.001)`.
/// `readoutFormat` is a d3-format string (".2f", ".3g").
public final class FloatSlider: DOMWidget, ValueWidget, @unchecked Sendable {
    public static let valueAttributes = ["value"]
    public let range: ClosedRange<Double>

    public init(
        _ description: String = "", _ range: ClosedRange<Double> = 0...1, step: Double = 0.01, value: Double? = nil,
        readoutFormat: String = ".2f", continuousUpdate: Bool = true
    ) {
        require(step > 0, "FloatSlider(\"\(description)\"): the step must be positive, not \(step)")
        self.range = range
        super.init(
            model: "FloatSliderModel", view: "FloatSliderView", style: "SliderStyleModel",
            attributes: [
                "description": .string(description), "min": .double(range.lowerBound),
                "max": .double(range.upperBound), "step": .double(step),
                "value": .double((value ?? range.lowerBound).clamped(to: range)),
                "readout_format": .string(readoutFormat), "continuous_update": .bool(continuousUpdate),
            ])
    }

    public var value: Double {
        get { self["value"]?.doubleValue ?? range.lowerBound }
        set { set(["value": .double(newValue.clamped(to: range))]) }
    }

    override public var textDescription: String { "FloatSlider(\(description) = \(value), \(range))" }
}
