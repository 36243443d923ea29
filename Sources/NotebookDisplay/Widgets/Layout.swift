/// A widget's CSS layout (`LayoutModel`, `@jupyter-widgets/base` 2.0.0):
/// `width`, `height`, `display` ("none" hides the widget), `margin`, … as
/// CSS strings. Every `DOMWidget` has one, as in ipywidgets.
public final class Layout: Widget, @unchecked Sendable {
    public init(_ attributes: [String: JSONValue] = [:]) {
        super.init(model: "LayoutModel", view: "LayoutView", module: .base, attributes: attributes)
    }

    /// Sets CSS properties (`layout.set(css: ["width": "400px"])`).
    public func set(css: [String: String]) { set(css.mapValues(JSONValue.string)) }
}
