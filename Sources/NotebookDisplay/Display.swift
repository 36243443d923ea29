import ExecutorWire
import Foundation

/// An output shown by `display(_:)`, which can be replaced in place (a
/// progress bar, a live loss curve): Jupyter's `update_display_data`.
public struct DisplayHandle: Sendable {
    public let id: String

    /// Replaces the output with `value`'s rich form (Jupyter's `update_display_data`;
    /// IPython's `handle.update(obj)`).
    public func update<T>(_ value: T) { update(MimeBundle(for: value)) }
    /// Replaces the output with HTML.
    public func update(html: String) { update(MimeBundle(html: html)) }
    /// Replaces the output with Markdown.
    public func update(markdown: String) { update(MimeBundle(markdown: markdown)) }
    /// Replaces the output with a PNG image.
    public func update(png: [UInt8]) { update(MimeBundle(image: png, mimeType: "image/png")) }
    /// Replaces the output with a GIF image (an animation plays).
    public func update(gif: [UInt8]) { update(MimeBundle(image: gif, mimeType: "image/gif")) }

    /// Replaces the output with a bundle of MIME types.
    public func update(_ bundle: MimeBundle) {
        if let channel = NotebookChannel.current {
            channel.send(.updateDisplayData(data: bundle.data, metadata: bundle.metadata, displayID: id))
        } else {
            print(bundle.text)
        }
    }
}

/// Shows a value below the cell now, not only at its end: its rich form if
/// it is `Displayable`, else its description. The handle updates it in place.
@discardableResult
public func display<T>(_ value: T) -> DisplayHandle { display(MimeBundle(for: value)) }

@discardableResult
/// Shows HTML now (IPython's `display(HTML(…))`).
public func display(html: String) -> DisplayHandle { display(MimeBundle(html: html)) }

@discardableResult
/// Shows Markdown now (IPython's `display(Markdown(…))`).
public func display(markdown: String) -> DisplayHandle { display(MimeBundle(markdown: markdown)) }

/// Shows PNG bytes as an image.
@discardableResult
public func display(png: [UInt8]) -> DisplayHandle { display(MimeBundle(image: png, mimeType: "image/png")) }

/// Shows GIF bytes as an image (an animation plays inline).
@discardableResult
public func display(gif: [UInt8]) -> DisplayHandle { display(MimeBundle(image: gif, mimeType: "image/gif")) }

@discardableResult
/// Shows a bundle of MIME types now; the handle replaces it later.
public func display(_ bundle: MimeBundle) -> DisplayHandle {
    let handle = DisplayHandle(id: UUID().uuidString)
    if let channel = NotebookChannel.current {
        channel.send(.displayData(data: bundle.data, metadata: bundle.metadata, displayID: handle.id))
    } else {
        print(bundle.text)
    }
    return handle
}

/// Clears the cell's output; with `wait`, only when the next output arrives
/// (no flicker when redrawing a frame).
public func clearOutput(wait: Bool = false) {
    NotebookChannel.current?.send(.clearOutput(wait: wait))
}

/// Reports the value of a cell's last bare expression as its
/// `execute_result`; the cell compiler inserts the call. `Void` shows
/// nothing, and neither does the handle of a `display(…)` on the last line
/// (its output is already there).
public func _cellResult<T>(_ value: T) {
    if T.self == Void.self || value is DisplayHandle { return }
    let bundle = MimeBundle(for: value)
    if let channel = NotebookChannel.current {
        channel.send(.executeResult(data: bundle.data, metadata: bundle.metadata))
    } else {
        print(bundle.text)
    }
}

/// Reads a line the user types into the frontend's input box (Jupyter's
/// `input_request`); nil when the frontend allows no input. Shadows the
/// standard library's `readLine`, whose stdin a notebook does not have.
public func readLine(strippingNewline: Bool = true) -> String? {
    readLine(prompt: "", strippingNewline: strippingNewline)
}

/// `readLine` with a prompt shown beside the input box.
public func readLine(prompt: String, password: Bool = false, strippingNewline: Bool = true) -> String? {
    guard let channel = NotebookChannel.current else { return Swift.readLine(strippingNewline: strippingNewline) }
    guard let line = channel.requestInput(prompt: prompt, password: password) else { return nil }
    return strippingNewline ? line : line + "\n"
}
