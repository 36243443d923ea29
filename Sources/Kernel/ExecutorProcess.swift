import CKernelSupport
import ExecutorWire
import Foundation

/// The kernel's handle on the executor (Sources/ddpm-executor): starts it
/// with its pipes on the descriptors it expects and reads what it reports.
/// Every process of the executor's fork chain shares these pipes.
final class ExecutorProcess {
    /// Kernel ends: commands and input replies go out; status lines,
    /// stdout, stderr and display events come in.
    let commandFD: Int32
    let inputFD: Int32
    let statusFD: Int32
    let stdoutFD: Int32
    let stderrFD: Int32
    let displayFD: Int32
    /// The first process; later state holders are its descendants.
    let pid: pid_t

    /// Starts `executable` loading `libraries`; `environment` is added to the kernel's.
    init(executable: String, libraries: [String], environment: [String: String]) throws {
        // Each pipe: (read end, write end), close-on-exec; the child's ends are dup2'ed below.
        func makePipe() throws -> (Int32, Int32) {
            var fds: [Int32] = [0, 0]
            guard ddpm_pipe_cloexec(&fds) == 0 else { throw KernelError("pipe2: \(String(cString: strerror(errno)))") }
            return (fds[0], fds[1])
        }
        let command = try makePipe(), status = try makePipe(), out = try makePipe(), err = try makePipe()
        let display = try makePipe(), input = try makePipe()

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Move the child's ends above the targets first, so that no dup2 overwrites a later source.
        let moves: [(Int32, Int32)] = [
            (command.0, ExecutorContract.Descriptor.command), (status.1, ExecutorContract.Descriptor.status),
            (out.1, 1), (err.1, 2), (display.1, ExecutorContract.Descriptor.display),
            (input.0, ExecutorContract.Descriptor.input),
        ]
        var parked: [Int32] = []
        for (source, _) in moves { parked.append(fcntl(source, F_DUPFD_CLOEXEC, 100)) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for ((_, target), source) in zip(moves, parked) { posix_spawn_file_actions_adddup2(&actions, source, target) }

        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        variables[ExecutorEnvironment.displayFD] = String(ExecutorContract.Descriptor.display)
        variables[ExecutorEnvironment.inputFD] = String(ExecutorContract.Descriptor.input)
        let argv = [executable] + libraries
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, &cArguments, &cEnvironment)
        for fd in parked { close(fd) }
        for fd in [command.0, status.1, out.1, err.1, display.1, input.0] { close(fd) }
        guard result == 0 else {
            throw KernelError("cannot start the executor \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        commandFD = command.1
        inputFD = input.1
        statusFD = status.0
        stdoutFD = out.0
        stderrFD = err.0
        displayFD = display.0
        for fd in [statusFD, stdoutFD, stderrFD, displayFD] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        signal(SIGPIPE, SIG_IGN)  // a dead executor must not kill the kernel
    }

    /// Sends one command; false when no executor process reads any more.
    @discardableResult
    func send(_ command: ExecutorCommand) -> Bool { PipeIO.writeAll(commandFD, Array(command.line.utf8)) }

    /// Answers the running cell's `readLine`.
    func answerInput(_ value: String?) { PipeIO.writeAll(inputFD, InputReply(value: value).encodedLine()) }

    /// Closes the pipes: an idle state holder exits at the end of its
    /// commands, and a parent waiting for a cell kills its child.
    func terminate() {
        for fd in [commandFD, inputFD, statusFD, stdoutFD, stderrFD, displayFD] { close(fd) }
    }
}

/// Reads what is available on a non-blocking descriptor and splits it into
/// lines, keeping a partial last line for the next read.
struct LineReader {
    private(set) var pending = Data()
    /// Whether the writer side is closed (every executor process is gone).
    private(set) var closed = false

    /// Reads what is there now; returns the complete lines.
    mutating func read(_ fd: Int32) -> [Data] {
        pending.append(readAvailable(fd, closed: &closed))
        var lines: [Data] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(pending[pending.startIndex..<newline])
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}

/// Everything readable on a non-blocking descriptor now; sets `closed` at EOF.
func readAvailable(_ fd: Int32, closed: inout Bool) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count > 0 {
            data.append(contentsOf: buffer[0..<count])
        } else if count == 0 {
            closed = true
            return data
        } else if errno == EINTR {
            continue
        } else {
            return data  // EAGAIN: nothing more now
        }
    }
}

struct KernelError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
