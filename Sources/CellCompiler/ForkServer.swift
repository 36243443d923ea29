import Foundation

/// A tool (swift-frontend, ld.lld) started once, then forked for every run:
/// `libDDPMForkServer.so` (Sources/CForkServer) is preloaded into it and
/// turns it into a server before its `main`, so a run skips the tool's
/// start-up (loading and binding its libraries, its static initialisers),
/// some 40 ms of swift-frontend's ~140 for a one-line cell. The protocol is
/// in `fork_server.h`. A server that cannot start or dies is started again
/// on the next run; `run` returns nil whenever it could not do the run, and
/// the caller then starts the tool itself.
final class ForkServer: @unchecked Sendable {
    let tool: String
    private let library: String
    private let lock = NSLock()
    /// The server's process, 0 while there is none.
    private(set) var pid: pid_t = 0
    private var socket: Int32 = -1

    init(tool: String, library: String) {
        self.tool = tool
        self.library = library
        lock.withLock { _ = start() }  // it initialises while the kernel starts
    }

    deinit {
        stop()
    }

    /// Runs the tool with `arguments` (argv[0] is the tool), its stdout and
    /// stderr written to `outputPath`; the exit status (128 + the signal if
    /// one ended it), or nil if the server could not run it.
    func run(_ arguments: [String], outputPath: String) -> Int32? {
        lock.withLock {
            if pid == 0 && !start() { return nil }
            var request = [UInt8]()
            for string in [outputPath, tool] + arguments { request += Array(string.utf8) + [0] }
            let size = UInt32(request.count)
            let sent = withUnsafeBytes(of: size) { send(Array($0)) } && send(request)
            var status: Int32 = -1
            if sent, receive(&status), status >= 0 { return status }
            stop()  // dead, or it could not fork: a fresh server next time
            return nil
        }
    }

    private func start() -> Bool {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return false
        }
        let serverEnd: Int32 = 3  // the server's end becomes its fd 3 (dup2 clears close-on-exec)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], serverEnd)
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = library
        environment["LD_BIND_NOW"] = "1"  // bind every symbol once, in the server
        environment["DDPM_FORK_SERVER_FD"] = String(serverEnd)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(tool), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, tool, &actions, nil, argv, envp)
        close(pair[1])
        guard spawned == 0 else {
            close(pair[0])
            return false
        }
        pid = child
        socket = pair[0]
        return true
    }

    /// Ends the server (it holds nothing worth keeping) and reaps it.
    private func stop() {
        guard pid != 0 else { return }
        close(socket)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
        socket = -1
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    private func receive(_ status: inout Int32) -> Bool {
        var bytes = [UInt8](repeating: 0, count: MemoryLayout<Int32>.size)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            offset += count
        }
        status = bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        return true
    }
}
