/// A widget's style model (`SliderStyleModel`, `DescriptionStyleModel`, …
/// of `@jupyter-widgets/controls` 2.0.0, drawn by `StyleView` of base
/// 2.0.0): `description_width` ("initial" fits long descriptions), colours.
public final class Style: Widget, @unchecked Sendable {
    public init(model: String, _ attributes: [String: JSONValue] = [:]) {
        super.init(model: model, view: "StyleView", viewModule: .base, attributes: attributes)
    }
}
