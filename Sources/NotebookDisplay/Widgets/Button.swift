/// A push button (`ButtonModel`); `onClick` runs when the user clicks it
/// (the frontend sends `custom` `{event: "click"}`).
public final class Button: DOMWidget, @unchecked Sendable {
    private var clickHandlers: [(Button) -> Void] = []

    /// `style`: "primary", "success", "info", "warning", "danger" or "".
    public init(_ description: String, style buttonStyle: String = "", tooltip: String? = nil) {
        super.init(
            model: "ButtonModel", view: "ButtonView", style: "ButtonStyleModel",
            attributes: [
                "description": .string(description), "button_style": .string(buttonStyle),
                "tooltip": tooltip.map(JSONValue.string) ?? .null,
            ])
    }

    /// Runs `handler` at each click.
    public func onClick(_ handler: @escaping (Button) -> Void) { clickHandlers.append(handler) }

    /// What a click does, as if the user clicked.
    public func click() { for handler in clickHandlers { handler(self) } }

    override public func handleCustom(_ content: JSONValue) {
        if content["event"]?.stringValue == "click" { click() }
    }

    override public var textDescription: String { "Button(\(description))" }
}
