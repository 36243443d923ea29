import Foundation
import WireJSON

// The only vocabulary shared by the kernel, the executor and the notebook
// runtime inside the DSL library. Three channels, all pipes:
//
// - commands, kernel → executor: one JSON `ExecutorCommand` per line;
// - status, executor → kernel: one `ExecutorStatus` line each (shorter than
//   PIPE_BUF, so lines from the processes of a fork chain never interleave);
// - display, cell → kernel: one JSON `DisplayEvent` per line; an
//   `input_request` is answered by one JSON `InputReply` line on the input pipe.
//
// stdout and stderr of the executor are plain pipes forwarded as streams.

/// Environment variables through which the executor tells the notebook
/// runtime (in libDDPM.so) where its pipes are.
public enum ExecutorEnvironment {
    public static let displayFD = "DDPM_DISPLAY_FD"
    public static let inputFD = "DDPM_INPUT_FD"
}

/// What the kernel asks the executor to do, one JSON object per line
/// (`{"run":{"cell":3,"entryPoint":"cell3_main","library":"…/libCell3.so"}}`),
/// so that later commands can carry payloads.
public enum ExecutorCommand: Codable, Equatable, Sendable {
    /// dlopen `library` and call `entryPoint` in a forked child; `cell` is
    /// the compile number, echoed in the status lines; `parent` is the id of
    /// the execute request (what an Output widget captures).
    case run(cell: Int, entryPoint: String, library: String, parent: String)
    /// Deliver a frontend's comm message to the notebook's widgets in a
    /// forked child, exactly as a cell runs (a callback that traps rolls
    /// back): `payload` is a file holding a `CommDelivery`; `number` is
    /// echoed in the status lines like a cell's.
    case event(number: Int, payload: String)

    /// The command as one line of JSON, newline included.
    public var line: String {
        String(decoding: (try? JSONEncoder.sorted.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// A command from one line of JSON; nil when it is not one.
    public init?(line: String) {
        guard let command = try? JSONDecoder().decode(ExecutorCommand.self, from: Data(line.utf8)) else { return nil }
        self = command
    }
}

/// Why a cell's process ended without finishing the cell.
public enum CellFailure: Equatable, Sendable {
    /// The process exited (the cell called `exit`) with this code.
    case exit(Int32)
    /// The process died of this signal (a trap is SIGILL or SIGTRAP, an
    /// uncaught thrown error traps too; SIGKILL after an interrupt).
    case signal(Int32)
    /// The cell's library could not be loaded.
    case load(String)
}

/// What the executor tells the kernel.
public enum ExecutorStatus: Equatable, Sendable {
    /// The executor loaded the DSL and waits for commands.
    case ready(pid: Int32)
    /// A forked child (`pid`) runs the cell; interrupts go to it.
    case started(cell: Int, pid: Int32)
    /// The child finished the cell and now holds the state.
    case succeeded(cell: Int)
    /// The child finished the cell after an interrupt (the DSL's loops
    /// stopped at their next step) and holds the state; the cell counts as
    /// interrupted, so that the frontend stops running the cells queued
    /// after it (as ipykernel's KeyboardInterrupt does).
    case interrupted(cell: Int)
    /// The child died; its parent holds the state from before the cell.
    case failed(cell: Int, CellFailure)

    public var line: String {
        switch self {
        case .ready(let pid): return "ready \(pid)\n"
        case .started(let cell, let pid): return "started \(cell) \(pid)\n"
        case .succeeded(let cell): return "succeeded \(cell)\n"
        case .interrupted(let cell): return "interrupted \(cell)\n"
        case .failed(let cell, .exit(let code)): return "failed \(cell) exit \(code)\n"
        case .failed(let cell, .signal(let signal)): return "failed \(cell) signal \(signal)\n"
        case .failed(let cell, .load(let message)):
            return "failed \(cell) load \(message.split(whereSeparator: \.isNewline).joined(separator: " "))\n"
        }
    }

    public init?(line: String) {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("ready", 2):
            guard let pid = Int32(parts[1]) else { return nil }
            self = .ready(pid: pid)
        case ("started", 3):
            guard let cell = Int(parts[1]), let pid = Int32(parts[2]) else { return nil }
            self = .started(cell: cell, pid: pid)
        case ("succeeded", 2):
            guard let cell = Int(parts[1]) else { return nil }
            self = .succeeded(cell: cell)
        case ("interrupted", 2):
            guard let cell = Int(parts[1]) else { return nil }
            self = .interrupted(cell: cell)
        case ("failed", 4):
            guard let cell = Int(parts[1]) else { return nil }
            switch parts[2] {
            case "exit": guard let code = Int32(parts[3]) else { return nil }; self = .failed(cell: cell, .exit(code))
            case "signal": guard let sig = Int32(parts[3]) else { return nil }; self = .failed(cell: cell, .signal(sig))
            case "load": self = .failed(cell: cell, .load(parts[3]))
            default: return nil
            }
        default: return nil
        }
    }
}

/// A rich output from a cell, as the notebook runtime writes it on the
/// display pipe: Jupyter's `display_data` fields as JSON. `data` maps MIME
/// types to their content (text, binary formats in base64, or a JSON value
/// such as a widget view); `metadata` maps MIME types to their attributes
/// (an image's `width` and `height`, `isolated: true`).
public enum DisplayEvent: Codable, Equatable, Sendable {
    case displayData(data: [String: JSONValue], metadata: [String: JSONValue], displayID: String?)
    case updateDisplayData(data: [String: JSONValue], metadata: [String: JSONValue], displayID: String)
    case executeResult(data: [String: JSONValue], metadata: [String: JSONValue])
    case clearOutput(wait: Bool)
    case inputRequest(prompt: String, password: Bool)
    /// A comm message from the notebook runtime to the frontend (a widget's
    /// `comm_open`, `comm_msg` or `comm_close`), with its binary buffers in base64.
    case comm(CommEvent)

    /// One line of JSON, newline included.
    public func encodedLine() -> Data {
        var data = (try? JSONEncoder().encode(self)) ?? Data()
        data.append(0x0A)
        return data
    }

    public init(line: Data) throws {
        self = try JSONDecoder().decode(DisplayEvent.self, from: line)
    }
}

/// A comm message the notebook runtime sends (Jupyter messaging, "Custom
/// Messages"): `kind` is `comm_open`, `comm_msg` or `comm_close`; `target`
/// is set for `comm_open`; `buffers` are the message's binary frames.
public struct CommEvent: Codable, Equatable, Sendable {
    public var kind: String
    public var commID: String
    public var target: String?
    public var data: JSONValue
    public var metadata: JSONValue
    public var buffers: [Data]

    public init(
        kind: String, commID: String, target: String? = nil, data: JSONValue, metadata: JSONValue = [:],
        buffers: [Data] = []
    ) {
        self.kind = kind
        self.commID = commID
        self.target = target
        self.data = data
        self.metadata = metadata
        self.buffers = buffers
    }
}

/// A comm message from the frontend for the notebook runtime (a widget's
/// `update` when the user drags a slider, a button's `custom` click), as the
/// kernel writes it to the file an `ExecutorCommand.event` names; `parent` is
/// the id of the frontend's `comm_msg`, so that an Output widget can capture
/// what its callback shows.
public struct CommDelivery: Codable, Equatable, Sendable {
    public var parent: String
    public var message: CommEvent

    public init(parent: String, message: CommEvent) {
        self.parent = parent
        self.message = message
    }
}

/// The kernel's answer to an `inputRequest`: the line the user typed, or
/// nil when the frontend does not allow input.
public struct InputReply: Codable, Equatable, Sendable {
    public var value: String?
    public init(value: String?) { self.value = value }

    public func encodedLine() -> Data {
        var data = (try? JSONEncoder().encode(self)) ?? Data("{}".utf8)
        data.append(0x0A)
        return data
    }
}
