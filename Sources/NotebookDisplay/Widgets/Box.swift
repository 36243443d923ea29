/// Widgets side by side (`HBox`) or stacked (`VBox`); `children` is their
/// list, in order (`BoxModel`'s `children`, references `IPY_MODEL_<id>`).
open class Box: DOMWidget, @unchecked Sendable {
    public private(set) var children: [Widget]

    init(model: String, view: String, children: [Widget]) {
        self.children = children
        super.init(model: model, view: view, attributes: ["children": .array(children.map(\.reference))])
    }

    /// Replaces the children.
    public func setChildren(_ widgets: [Widget]) {
        children = widgets
        set(["children": .array(widgets.map(\.reference))])
    }

    override open var textDescription: String { children.map(\.textDescription).joined(separator: "\n") }
}

/// Widgets in a row (`HBoxModel`).
public final class HBox: Box, @unchecked Sendable {
    public init(_ children: [Widget]) { super.init(model: "HBoxModel", view: "HBoxView", children: children) }
    override public var textDescription: String { children.map(\.textDescription).joined(separator: " | ") }
}

/// Widgets in a column (`VBoxModel`).
public final class VBox: Box, @unchecked Sendable {
    public init(_ children: [Widget]) { super.init(model: "VBoxModel", view: "VBoxView", children: children) }
}
