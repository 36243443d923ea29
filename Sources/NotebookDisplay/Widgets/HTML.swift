/// HTML shown in place (`HTMLModel`), changed by setting `value`.
public final class HTML: DOMWidget, @unchecked Sendable {
    public init(_ value: String = "") {
        super.init(
            model: "HTMLModel", view: "HTMLView", style: "HTMLStyleModel", attributes: ["value": .string(value)])
    }

    public var value: String {
        get { self["value"]?.stringValue ?? "" }
        set { set(["value": .string(newValue)]) }
    }

    override public var textDescription: String { value }
}
