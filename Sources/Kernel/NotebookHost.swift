import ExecutorWire

/// What a `NotebookSession` needs from whoever drives it (the Jupyter
/// server, or a test): a place for the running cell's output, in the order
/// the cell produced it, and a wait during which the host serves its own
/// events (an interrupt, an input reply, a shutdown) by calling back into the
/// session (`interrupt()`, `answerInput(_:)`, `stop()`).
public protocol NotebookHost: AnyObject {
    /// Text the cell wrote on `stdout` or `stderr`.
    func stream(_ name: String, text: String)
    /// A display, an update of one, the cell's result, or clear-output.
    func display(_ event: DisplayEvent)
    /// The cell's `readLine` asks for a line; the host answers with
    /// `NotebookSession.answerInput(_:)` (nil when the frontend allows none).
    func requestInput(prompt: String, password: Bool)
    /// Waits at most `milliseconds` for one of `fds` (the executor's pipes)
    /// to become readable, serving the host's own events meanwhile; returns
    /// which of them are readable.
    func wait(for fds: [Int32], milliseconds: Int) -> [Bool]
}
