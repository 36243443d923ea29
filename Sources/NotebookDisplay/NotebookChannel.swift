import ExecutorWire
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
internal import CNotebookRuntime

/// The pipes from a running cell to the kernel, as the executor set them up
/// (ExecutorWire). Outside the kernel (a test, a script) there is no
/// channel, and displays print their text to stdout instead.
public final class NotebookChannel: @unchecked Sendable {
    let displayFD: Int32
    let inputFD: Int32

    public init(displayFD: Int32, inputFD: Int32) {
        self.displayFD = displayFD
        self.inputFD = inputFD
    }

    /// The channel of this process, when the executor started it.
    public nonisolated(unsafe) static var current: NotebookChannel? = {
        let environment = ProcessInfo.processInfo.environment
        guard let display = environment[ExecutorEnvironment.displayFD].flatMap(Int32.init),
            let input = environment[ExecutorEnvironment.inputFD].flatMap(Int32.init)
        else { return nil }
        return NotebookChannel(displayFD: display, inputFD: input)
    }()

    /// The id of the request whose output the notebook produces now: the
    /// execute request of the running cell, or the frontend's `comm_msg` of
    /// the widget event being handled. An `Output` widget captures by it.
    public nonisolated(unsafe) static var parent = ""

    /// Sends one event; the whole line is written even if the pipe is full.
    /// First the kernel reads what the cell printed so far, so that text
    /// printed before a display shows above it (the kernel reads the display
    /// pipe before the streams).
    public func send(_ event: DisplayEvent) {
        waitForStreamsToBeRead()
        PipeIO.writeAll(displayFD, event.encodedLine())  // false: the kernel is gone; nothing to show to
    }

    /// Waits, at most 0.1 s, until nothing written on stdout and stderr is
    /// left unread in their pipes.
    private func waitForStreamsToBeRead() {
        var waited = 0
        while ddpm_unread_bytes(1) + ddpm_unread_bytes(2) > 0 && waited < 1_000 {
            usleep(100)
            waited += 1
        }
    }

    /// Asks the frontend for a line of input and waits for it; nil when the
    /// frontend does not allow input.
    public func requestInput(prompt: String, password: Bool) -> String? {
        send(.inputRequest(prompt: prompt, password: password))
        guard let line = PipeIO.readLine(inputFD) else { return nil }
        return (try? JSONDecoder().decode(InputReply.self, from: Data(line)))?.value
    }
}

/// Called once by the executor after it loads libDDPM.so: stdout becomes
/// unbuffered (so that text without a newline, such as a progress bar,
/// reaches the kernel at once, and nothing is printed twice after a fork),
/// SIGINT only sets the interrupt flag, and Swift concurrency runs on this
/// thread (`NotebookExecutor`).
@_cdecl("ddpm_notebook_start")
public func notebookStart() {
    setvbuf(stdout, nil, _IONBF, 0)
    setvbuf(stderr, nil, _IONBF, 0)
    Interrupt.installHandler()
    NotebookExecutor.install()
    _ = NotebookChannel.current
}

/// Called by the executor before each cell and widget event, with the id of
/// the request it answers.
@_cdecl("ddpm_notebook_cell_begin")
public func notebookCellBegin(_ parent: UnsafePointer<CChar>) {
    ddpm_clear_interrupt()
    NotebookChannel.parent = String(cString: parent)
}
