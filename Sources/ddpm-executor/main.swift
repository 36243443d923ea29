// The executor: the process that holds a notebook's state and runs its
// cells (DESIGN.md, "Processes"). The kernel starts it with its pipes on
// fixed descriptors (`ExecutorProcess` in the Kernel target):
//   0 /dev/null, 1 stdout, 2 stderr, 3 commands (read), 4 status (write),
//   and the display and input pipes named by DDPM_DISPLAY_FD/DDPM_INPUT_FD;
// its arguments are the shared libraries to load first (the DSL).
//
// Rollback by fork: for each cell the state holder forks; the child loads
// the cell's library and calls its entry point. When the cell finishes, the
// child tells its parent, which exits, and the child holds the state. When
// the child dies instead (a trap, `exit`, SIGKILL after an interrupt), the
// parent reports it and goes on holding the state from before the cell.
//
// No threads are started here, so that fork copies the whole process.
import ExecutorWire
import Glibc

let commandFD = ExecutorContract.Descriptor.command
let statusFD = ExecutorContract.Descriptor.status

func writeAll(_ fd: Int32, _ text: String) { PipeIO.writeAll(fd, Array(text.utf8)) }

func report(_ status: ExecutorStatus) { writeAll(statusFD, status.line) }

/// One command line; every process of the fork chain shares the pipe, so
/// none may read ahead of its own line.
func readCommand() -> String? { PipeIO.readLine(commandFD).map { String(decoding: $0, as: UTF8.self) } }

/// Calls a `void f(void)` exported by a loaded library.
func callVoidFunction(_ name: String) {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return }  // RTLD_DEFAULT
    unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)()
}

/// Whether the user interrupted the cell (the runtime's SIGINT flag).
func interruptRequested() -> Bool {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), ExecutorContract.EntryPoint.interruptRequested)
    else { return false }
    return unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)() != 0
}

/// Calls a `void f(const char *)` exported by a loaded library.
func callStringFunction(_ name: String, _ argument: String) {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return }
    unsafeBitCast(symbol, to: (@convention(c) (UnsafePointer<CChar>) -> Void).self)(argument)
}

/// Runs one cell in a forked child and returns in whichever process holds
/// the state afterwards.
func run(cell: Int, entryPoint: String, library: String, parent: String) {
    runForked(job: cell, parent: parent) {
        guard let handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL), let entry = dlsym(handle, entryPoint) else {
            return String(cString: dlerror())
        }
        // The runtime calls it and returns when the cell's code has ended,
        // synchronous or with top-level `await` (NotebookExecutor).
        typealias RunCell = @convention(c) (UnsafeMutableRawPointer) -> Void
        let runCell = dlsym(UnsafeMutableRawPointer(bitPattern: 0), ExecutorContract.EntryPoint.runCell)!
        unsafeBitCast(runCell, to: RunCell.self)(entry)
        return nil
    }
}

/// Hands a frontend's comm message to the notebook's widgets in a forked
/// child: a callback is run like a cell, so one that traps rolls back.
func deliver(event: Int, payload: String) {
    runForked(job: event, parent: "") {
        callStringFunction(ExecutorContract.EntryPoint.dispatch, payload)
        return nil
    }
}

/// Runs `body` in a forked child (`job` is echoed in the status lines) and
/// returns in whichever process holds the state afterwards: the child when
/// `body` returned nil, else the parent, which reports how the child ended
/// (`body`'s message is a load error).
func runForked(job cell: Int, parent: String, _ body: () -> String?) {
    var privatePipe: [Int32] = [0, 0]
    guard pipe(&privatePipe) == 0 else {
        report(.failed(cell: cell, .load("pipe: \(String(cString: strerror(errno)))")))
        return
    }
    let pid = fork()
    if pid < 0 {
        report(.failed(cell: cell, .load("fork: \(String(cString: strerror(errno)))")))
        return
    }
    if pid == 0 {
        close(privatePipe[0])
        report(.started(cell: cell, pid: getpid()))
        callStringFunction(ExecutorContract.EntryPoint.cellBegin, parent)
        if let loadError = body() {
            writeAll(privatePipe[1], "L" + loadError)
            _exit(1)
        }
        fflush(stdout)
        fflush(stderr)
        writeAll(privatePipe[1], "S")  // before the status line: see ExecutorStatus.succeeded
        close(privatePipe[1])
        report(interruptRequested() ? .interrupted(cell: cell) : .succeeded(cell: cell))
        return
    }
    close(privatePipe[1])
    defer { close(privatePipe[0]) }
    // Wait for the child's word, and give up (killing it) if the kernel goes away.
    var fds = [
        pollfd(fd: privatePipe[0], events: Int16(POLLIN), revents: 0),
        pollfd(fd: commandFD, events: 0, revents: 0),
    ]
    while true {
        let ready = poll(&fds, 2, -1)
        if ready < 0 && errno == EINTR { continue }
        if fds[1].revents & Int16(POLLHUP | POLLERR) != 0 {
            kill(pid, SIGKILL)
            _exit(0)
        }
        if fds[0].revents != 0 { break }
    }
    var message: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(privatePipe[0], &buffer, buffer.count)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        message += buffer[0..<count]
        if message.first == UInt8(ascii: "S") { _exit(0) }  // the child holds the state now
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if message.first == UInt8(ascii: "L") {
        report(.failed(cell: cell, .load(String(decoding: message.dropFirst(), as: UTF8.self))))
    } else if status & 0x7f == 0 {
        report(.failed(cell: cell, .exit((status >> 8) & 0xff)))  // WIFEXITED, WEXITSTATUS
    } else {
        report(.failed(cell: cell, .signal(status & 0x7f)))  // WTERMSIG
    }
}

for library in CommandLine.arguments.dropFirst() {
    if dlopen(library, RTLD_NOW | RTLD_GLOBAL) == nil {
        writeAll(2, "ddpm-executor: cannot load \(library): \(String(cString: dlerror()))\n")
        exit(70)
    }
}
callVoidFunction(ExecutorContract.EntryPoint.start)
report(.ready(pid: getpid()))
while let line = readCommand() {
    guard let command = ExecutorCommand(line: line) else {
        writeAll(2, "ddpm-executor: ignoring an unknown command: \(line)\n")
        continue
    }
    switch command {
    case .run(let cell, let entryPoint, let library, let parent):
        run(cell: cell, entryPoint: entryPoint, library: library, parent: parent)
    case .event(let number, let payload): deliver(event: number, payload: payload)
    }
}
_exit(0)
