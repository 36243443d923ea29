import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol
import KernelTransport

/// Everything a kernel needs to start: where the frontend connects, and
/// what its notebook session needs.
public struct KernelConfiguration: Sendable {
    public var connection: ConnectionInfo
    public var session: NotebookSession.Configuration

    public init(connection: ConnectionInfo, session: NotebookSession.Configuration) {
        self.connection = connection
        self.session = session
    }
}

/// The Jupyter server half of the kernel process (DESIGN.md, "Processes"):
/// sockets, signing, the heartbeat, the poll loop, busy/idle around every
/// request, replies, `kernel_info`, the execution count and the history.
/// Everything about cells is the `NotebookSession`'s; the server is its
/// host, turning its output into iopub messages and serving control and
/// stdin while a cell runs. It never runs user code.
///
/// One thread serves shell, control and stdin and the executor's pipes
/// through one poll, so that an interrupt or a shutdown on control is read
/// while a cell runs; the heartbeat echoes on its own thread.
public final class Kernel {
    let configuration: KernelConfiguration
    let codec: WireCodec
    let context = ZMQContext()
    let shell: ZMQSocket, control: ZMQSocket, stdin: ZMQSocket, iopub: ZMQSocket
    let heartbeat: Heartbeat
    let kernelID = UUID().uuidString
    let session: NotebookSession
    let swiftVersion: String

    var executionCount = 0
    var history = History()
    var comms = CommRegistry()
    /// The session's count of lost executors when the widgets were last checked.
    var executorsLostSeen = 0
    var isRunning = true
    /// Shell requests that came while a cell ran and need the executor
    /// (another cell, a widget event): served, in order, after it.
    var deferredShell: [Message] = []
    /// The execute request whose output the session sends now, and how.
    var currentParent: Message?
    var currentSilent = false
    var currentAllowsStdin = false

    public init(configuration: KernelConfiguration) throws {
        self.configuration = configuration
        let connection = configuration.connection
        codec = WireCodec(key: connection.key)
        shell = try ZMQSocket(context, .router)
        control = try ZMQSocket(context, .router)
        stdin = try ZMQSocket(context, .router)
        iopub = try ZMQSocket(context, .pub)
        try shell.bind(connection.endpoint(connection.shellPort))
        try control.bind(connection.endpoint(connection.controlPort))
        try stdin.bind(connection.endpoint(connection.stdinPort))
        try iopub.bind(connection.endpoint(connection.iopubPort))
        heartbeat = try Heartbeat(context, endpoint: connection.endpoint(connection.hbPort))
        session = try NotebookSession(configuration: configuration.session)
        swiftVersion = Kernel.swiftVersion(frontend: configuration.session.toolchain.frontend)
    }

    // MARK: - The loop

    /// Serves requests until a shutdown request.
    public func run() throws {
        signal(SIGINT, SIG_IGN)  // interrupts arrive as messages (kernel.json: interrupt_mode "message")
        while isRunning {
            if !deferredShell.isEmpty {
                handle(deferredShell.removeFirst(), on: shell)
                continue
            }
            let ready = try Poller.poll(sockets: [control, shell], fds: session.idleFDs, milliseconds: 500)
            session.reapProcesses()
            session.tick()
            if ready.sockets[0], let message = receive(control) {
                handle(message, on: control)
            } else if ready.sockets[1], let message = receive(shell) {
                handle(message, on: shell)
            }
            if ready.fds.contains(true) { session.serviceIdle(host: self) }
        }
        session.close()
        shell.close(); control.close(); stdin.close(); iopub.close()
        context.shutdown()
    }

    func receive(_ socket: ZMQSocket) -> Message? {
        guard let frames = try? socket.receive() else { return nil }
        do {
            return try codec.decode(frames)
        } catch {
            log("dropped a message: \(error)")
            return nil
        }
    }

    func handle(_ message: Message, on socket: ZMQSocket) {
        publish("status", ["execution_state": "busy"], parent: message)
        defer { publish("status", ["execution_state": "idle"], parent: message) }
        switch message.msgType {
        case "kernel_info_request":
            reply(message, on: socket, kernelInfo())
        case "execute_request":
            execute(message)
        case "is_complete_request":
            reply(message, on: socket, isComplete(message.content["code"]?.stringValue ?? ""))
        case "complete_request":
            reply(message, on: socket, complete(message.content))
        case "inspect_request":
            reply(message, on: socket, inspect(message.content))
        case "history_request":
            reply(message, on: socket, ["status": "ok", "history": .array(history.reply(to: message.content))])
        case "comm_info_request":
            reply(message, on: socket, comms.info(target: message.content["target_name"]?.stringValue))
        case "interrupt_request":
            reply(message, on: socket, ["status": "ok"])  // during a cell, wait(for:) told the session first
        case "shutdown_request":
            let restart = message.content["restart"]?.boolValue ?? false
            reply(message, on: socket, ["status": "ok", "restart": .bool(restart)])
            isRunning = false
        case "comm_open":
            for event in comms.opened(message.content) { publish(event.type, event.content, parent: message) }
        case "comm_msg":
            commMessage(message)
        case "comm_close":
            comms.closed(message.content)
        default:
            log("ignored a \(message.msgType)")
        }
    }

    // MARK: - Messages

    func reply(_ request: Message, on socket: ZMQSocket, _ content: JSONValue, metadata: JSONValue = [:]) {
        let type = request.msgType.replacingOccurrences(of: "_request", with: "_reply")
        send(request.child(type, content: content, metadata: metadata), on: socket)
    }

    func publish(
        _ type: String, _ content: JSONValue, parent: Message, metadata: JSONValue = [:], buffers: [Data] = []
    ) {
        var message = parent.child(type, content: content, metadata: metadata)
        message.buffers = buffers
        message.identities = [Data("kernel.\(kernelID).\(type)".utf8)]
        send(message, on: iopub)
    }

    func send(_ message: Message, on socket: ZMQSocket) {
        do {
            try socket.send(codec.encode(message))
        } catch {
            log("cannot send a \(message.msgType): \(error)")
        }
    }

    func kernelInfo() -> JSONValue {
        [
            "status": "ok",
            "protocol_version": .string(MessageHeader.protocolVersion),
            "implementation": "ddpm-kernel",
            "implementation_version": "0.1.0",
            "language_info": [
                "name": "swift",
                "version": .string(swiftVersion),
                "mimetype": "text/x-swift",
                "file_extension": ".swift",
                "pygments_lexer": "swift",
                "codemirror_mode": "swift",
                "nbconvert_exporter": "script",
            ],
            "banner": .string(
                "Swift \(swiftVersion) with the DDPM library: tensors, layers, schedules and samplers "
                    + "are in scope. A failed cell is rolled back; earlier variables stay."),
            "help_links": [
                ["text": "The Swift Programming Language", "url": "https://docs.swift.org/swift-book/"],
                [
                    "text": "Denoising Diffusion Probabilistic Models (Ho et al. 2020)",
                    "url": "https://arxiv.org/abs/2006.11239",
                ],
            ],
            "debugger": false,
        ]
    }

    /// `complete_request`: the language server's completions, ranked as it
    /// ranks them, with their types; the kernel's own word list when the
    /// server cannot answer in time.
    func complete(_ content: JSONValue) -> JSONValue {
        let code = content["code"]?.stringValue ?? ""
        let cursor = content["cursor_pos"]?.intValue ?? code.unicodeScalars.count
        if let completions = session.complete(code: code, cursor: cursor) {
            return [
                "status": "ok", "matches": .array(completions.matches.map(JSONValue.string)),
                "cursor_start": .int(completions.start), "cursor_end": .int(completions.end),
                "metadata": ["_jupyter_types_experimental": .array(completions.types)],
            ]
        }
        let words = Completion.complete(code: code, cursor: cursor, context: history.entries.map(\.input))
        return [
            "status": "ok", "matches": .array(words.matches.map(JSONValue.string)),
            "cursor_start": .int(words.start), "cursor_end": .int(words.end), "metadata": [:],
        ]
    }

    /// `inspect_request` (Shift-Tab): the declaration and doc comment of the
    /// symbol at the cursor, as Markdown and plain text.
    func inspect(_ content: JSONValue) -> JSONValue {
        let code = content["code"]?.stringValue ?? ""
        let cursor = content["cursor_pos"]?.intValue ?? code.unicodeScalars.count
        guard let markdown = session.inspect(code: code, cursor: cursor) else {
            return ["status": "ok", "found": false, "data": [:], "metadata": [:]]
        }
        return [
            "status": "ok", "found": true,
            "data": ["text/markdown": .string(markdown), "text/plain": .string(markdown)], "metadata": [:],
        ]
    }

    func isComplete(_ code: String) -> JSONValue {
        switch CompletenessStatus(of: code) {
        case .complete: return ["status": "complete"]
        case .invalid: return ["status": "invalid"]
        case .incomplete(let indent): return ["status": "incomplete", "indent": .string(indent)]
        }
    }

    static func swiftVersion(frontend: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: frontend)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unknown" }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "Swift version 6.3.1 (swift-6.3.1-RELEASE)"
        guard let range = text.range(of: "Swift version ") else { return "unknown" }
        return String(text[range.upperBound...].prefix(while: { !$0.isWhitespace }))
    }
}
