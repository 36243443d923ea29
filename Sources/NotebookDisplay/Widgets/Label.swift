/// A line of text (`LabelModel`), changed in place by setting `value`.
public final class Label: DOMWidget, @unchecked Sendable {
    public init(_ value: String = "") {
        super.init(
            model: "LabelModel", view: "LabelView", style: "LabelStyleModel", attributes: ["value": .string(value)])
    }

    public var value: String {
        get { self["value"]?.stringValue ?? "" }
        set { set(["value": .string(newValue)]) }
    }

    override public var textDescription: String { value }
}
