/// A check box (`CheckboxModel`): `Checkbox("clip x̂_0", value: true)`.
public final class Checkbox: DOMWidget, ValueWidget, @unchecked Sendable {
    public static let valueAttributes = ["value"]

    public init(_ description: String = "", value: Bool = false) {
        super.init(
            model: "CheckboxModel", view: "CheckboxView", style: "CheckboxStyleModel",
            attributes: ["description": .string(description), "value": .bool(value)])
    }

    public var value: Bool {
        get { self["value"]?.boolValue ?? false }
        set { set(["value": .bool(newValue)]) }
    }

    override public var textDescription: String { "Checkbox(\(description) = \(value))" }
}
