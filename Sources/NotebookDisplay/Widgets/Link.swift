/// Keeps an attribute of one widget equal to another's, in the page, with
/// no round trip to the kernel (`LinkModel`, ipywidgets' `jslink`): a `Play`
/// moving a slider.
public final class Link: Widget, @unchecked Sendable {
    public init(_ source: (Widget, String), _ target: (Widget, String)) {
        super.init(
            model: "LinkModel", view: nil,
            attributes: [
                "source": [source.0.reference, .string(source.1)], "target": [target.0.reference, .string(target.1)],
            ])
    }
}

/// Links the `value`s of two widgets in the page (`jslink((play, "value"), (slider, "value"))`).
@discardableResult
public func jslink(_ source: (Widget, String), _ target: (Widget, String)) -> Link { Link(source, target) }
