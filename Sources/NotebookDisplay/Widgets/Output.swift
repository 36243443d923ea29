/// A place for output inside a widget panel (`OutputModel`,
/// `@jupyter-widgets/output` 1.0.0). While `capture` runs, whatever the
/// notebook shows — prints, displays, errors — goes into the widget: the
/// runtime sets the model's `msg_id` to the id of the request being
/// answered, and the frontend moves every output of that request into the
/// widget (ipywidgets' `with out:`). A callback's prints and errors show
/// here, not in the browser's log.
public final class Output: DOMWidget, @unchecked Sendable {
    /// `outputs`: nbformat output dictionaries shown from the start.
    public init(outputs: [JSONValue] = []) {
        super.init(
            model: "OutputModel", view: "OutputView", module: .output,
            attributes: ["msg_id": "", "outputs": .array(outputs)])
    }

    /// Runs `body` with its output going into this widget.
    public func capture<T>(_ body: () throws -> T) rethrows -> T {
        let previous = self["msg_id"] ?? ""
        set(["msg_id": .string(NotebookChannel.parent)])
        defer { set(["msg_id": previous]) }
        return try body()
    }

    /// Clears the widget's output (with `wait`, when the next output arrives);
    /// inside `capture` only.
    public func clear(wait: Bool = false) { clearOutput(wait: wait) }

    /// An nbformat `display_data` output for `outputs`.
    public static func displayData(_ bundle: MimeBundle) -> JSONValue {
        ["output_type": "display_data", "data": .object(bundle.data), "metadata": .object(bundle.metadata)]
    }

    /// An nbformat `stream` output for `outputs`.
    public static func stream(_ name: String, _ text: String) -> JSONValue {
        ["output_type": "stream", "name": .string(name), "text": .string(text)]
    }

    override public var textDescription: String { "Output" }
}
