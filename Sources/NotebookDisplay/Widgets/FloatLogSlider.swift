import Foundation

/// A slider on a logarithmic scale (`FloatLogSliderModel`), for quantities
/// that span decades, such as β_1 and β_T: `FloatLogSlider("β_1", 1e-5...1e-2, value: 1e-4)`.
/// The model's `min`, `max` and `step` are exponents of `base` (10); `value`
/// is the value itself. `stepsPerDecade` sets the step (10: 0.1 in the exponent).
public final class FloatLogSlider: DOMWidget, ValueWidget, @unchecked Sendable {
    public static let valueAttributes = ["value"]
    public let range: ClosedRange<Double>

    public init(
        _ description: String = "", _ range: ClosedRange<Double> = 1...10_000, value: Double? = nil,
        stepsPerDecade: Int = 10, readoutFormat: String = ".2e", continuousUpdate: Bool = true
    ) {
        require(
            range.lowerBound > 0,
            "FloatLogSlider(\"\(description)\"): a logarithmic range must be above 0, not \(range)")
        require(stepsPerDecade > 0, "FloatLogSlider(\"\(description)\"): stepsPerDecade must be positive")
        self.range = range
        super.init(
            model: "FloatLogSliderModel", view: "FloatLogSliderView", style: "SliderStyleModel",
            attributes: [
                "description": .string(description), "base": 10.0, "min": .double(log10(range.lowerBound)),
                "max": .double(log10(range.upperBound)), "step": .double(1 / Double(stepsPerDecade)),
                "value": .double((value ?? range.lowerBound).clamped(to: range)),
                "readout_format": .string(readoutFormat), "continuous_update": .bool(continuousUpdate),
            ])
    }

    public var value: Double {
        get { self["value"]?.doubleValue ?? range.lowerBound }
        set { set(["value": .double(newValue.clamped(to: range))]) }
    }

    override public var textDescription: String { "FloatLogSlider(\(description) = \(value), \(range))" }
}
