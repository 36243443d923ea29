import Foundation

/// A widget with a view in the page: it has a `Layout` and, for controls,
/// a `Style` (ipywidgets' `DOMWidget`), referenced from its state as
/// `IPY_MODEL_<id>`.
open class DOMWidget: Widget, @unchecked Sendable {
    public let layout: Layout
    public let style: Style?

    /// `style` names the style model (`SliderStyleModel`); its
    /// `description_width` is "initial", so that a description is not cut.
    public init(
        model: String, view: String, module: Module = .controls, style styleModel: String? = nil,
        attributes: [String: JSONValue], buffers: [String: Data] = [:]
    ) {
        layout = Layout()
        style = styleModel.map { Style(model: $0, ["description_width": "initial"]) }
        var attributes = attributes
        attributes["layout"] = layout.reference
        if let style { attributes["style"] = style.reference }
        super.init(model: model, view: view, module: module, attributes: attributes, buffers: buffers)
    }

    /// The description shown beside the control.
    public var description: String {
        get { self["description"]?.stringValue ?? "" }
        set { set(["description": .string(newValue)]) }
    }

    /// Whether the user can change the control.
    public var disabled: Bool {
        get { self["disabled"]?.boolValue ?? false }
        set { set(["disabled": .bool(newValue)]) }
    }
}
