import ExecutorWire
import Foundation

/// A compiler diagnostic in a cell's own coordinates.
public struct CompilerDiagnostic: Equatable, Sendable {
    public enum Severity: String, Sendable { case error, warning, note, remark }
    /// The cell the line belongs to (`Cell[3]`); another cell's name for a
    /// note about an earlier declaration.
    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(file: String, line: Int, column: Int, severity: Severity, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    /// Reads `file:line:column: severity: message` lines (the compiler's
    /// `-diagnostic-style llvm`), skipping the code excerpts between them.
    public static func parse(_ output: String) -> [CompilerDiagnostic] {
        output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, let lineNumber = Int(parts[1]), let column = Int(parts[2]),
                let severity = Severity(rawValue: parts[3].trimmingCharacters(in: .whitespaces))
            else { return nil }
            return CompilerDiagnostic(
                file: String(parts[0]), line: lineNumber, column: column,
                severity: severity, message: parts[4].trimmingCharacters(in: .whitespaces))
        }
    }
}

/// Compiles rewritten cells into shared libraries (DESIGN.md, "Cells become
/// modules"): `swift-frontend` in script mode, with testing enabled, emits `Cell<k>.o` and
/// `Cell<k>.swiftmodule` with debug info (so that a trap's backtrace names
/// the cell's line), then `ld.lld` links `libCell<k>.so`. Symbols of the
/// Swift runtime, the DSL and earlier cells stay undefined in the library
/// (none of those is linked in or named as needed); the executor has loaded
/// them globally before it loads the cell. Both tools run through fork
/// servers when `libDDPMForkServer.so` is built (`ForkServer`).
public struct CellBuilder: Sendable {
    public let toolchain: Toolchain
    /// Where sources, objects, modules and libraries of cells go.
    public let directory: String
    /// Clang's module cache, kept across kernels (the first compile fills it).
    public let moduleCache: String
    /// The compiler and the linker, kept started, by path (empty without
    /// `Toolchain.forkServerLibrary`).
    private let servers: [String: ForkServer]

    public init(toolchain: Toolchain, directory: String, moduleCache: String) {
        self.toolchain = toolchain
        self.directory = directory
        self.moduleCache = moduleCache
        if let library = toolchain.forkServerLibrary {
            servers = Dictionary(
                uniqueKeysWithValues: [toolchain.frontend, toolchain.linker].map {
                    ($0, ForkServer(tool: $0, library: library))
                })
        } else {
            servers = [:]
        }
    }

    public enum Outcome: Sendable {
        /// The library to load and the entry point to call.
        case library(path: String, entryPoint: String)
        /// The compiler's errors, warnings and notes.
        case failed([CompilerDiagnostic], output: String)
    }

    /// How long the two steps of a build took, in seconds.
    public struct Durations: Sendable, Equatable {
        public var frontend: TimeInterval = 0
        public var link: TimeInterval = 0
        public init() {}
    }

    /// Builds module `name` from rewritten source.
    public func build(source: String, module name: String) throws -> Outcome {
        var durations = Durations()
        return try build(source: source, module: name, durations: &durations)
    }

    /// Builds module `name` from rewritten source, timing the compile and the link.
    public func build(source: String, module name: String, durations: inout Durations) throws -> Outcome {
        let started = Date()
        let base = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        try source.write(toFile: base + ".swift", atomically: false, encoding: .utf8)
        let entryPoint = ExecutorContract.entryPoint(module: name)
        var arguments = [
            "-frontend", "-c", base + ".swift", "-module-name", name,
            "-emit-module-path", base + ".swiftmodule", "-o", base + ".o",
            "-entry-point-function-name", entryPoint,
            "-swift-version", "5", "-Onone", "-g", "-diagnostic-style", "llvm",
            "-enable-testing",  // later cells import it @testable (CellIndex)
            "-module-cache-path", moduleCache, "-I", directory,
        ]
        for path in toolchain.importPaths { arguments += ["-I", path] }
        let compile = try run(toolchain.frontend, arguments, log: base + ".compile.log")
        durations.frontend = Date().timeIntervalSince(started)
        guard compile.status == 0 else {
            return .failed(CompilerDiagnostic.parse(compile.output), output: compile.output)
        }
        let library = URL(fileURLWithPath: directory).appendingPathComponent("lib\(name).so").path
        let link = try run(
            toolchain.linker,
            [
                "-shared", "-o", library, toolchain.runtimeObject, base + ".o",
                "-L", toolchain.runtimeDirectory, "-L", toolchain.libraryDirectory,
                "-rpath", toolchain.runtimeDirectory, "-rpath", toolchain.libraryDirectory,
                // Not -lswiftCore and -lDDPM: the executor has loaded both
                // globally, and reading their symbol tables was half of
                // the link (16–24 ms → 8–10 ms a one-line cell).
                "-lswiftSwiftOnoneSupport",
            ], log: base + ".link.log")
        durations.link = Date().timeIntervalSince(started) - durations.frontend
        guard link.status == 0 else {
            return .failed(
                [
                    CompilerDiagnostic(
                        file: name, line: 0, column: 0, severity: .error,
                        message: "linking failed: " + link.output)
                ], output: link.output)
        }
        return .library(path: library, entryPoint: entryPoint)
    }

    /// Runs a tool and returns its exit status and its output (stdout and
    /// stderr together): through its fork server when there is one (the
    /// output then goes through the file `log`), else started afresh with
    /// posix_spawn and waitpid, not Foundation's `Process`, whose
    /// `waitUntilExit` polls every 50 ms: that cost a one-line cell about
    /// 50 ms per tool (measured with the execute_reply's `timings`).
    private func run(_ executable: String, _ arguments: [String], log: String) throws -> (
        status: Int32, output: String
    ) {
        // The log is the module's own: the warm-up compile may run between a
        // cell's run and the reading of its output.
        if let server = servers[executable] {
            if let status = server.run(arguments, outputPath: log) {
                return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            }
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ToolchainError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw ToolchainError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)  // WEXITSTATUS or a signal
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}

extension CompilerDiagnostic {
    /// The diagnostic as a user reads it: where, the compiler's words, the
    /// code line and a caret under the column. `sources` maps cell names
    /// (`Cell[3]`) to their text, so that a note about an earlier cell shows
    /// that cell's line.
    public func excerpt(sources: [String: String]) -> [String] {
        let location = line > 0 ? "\(file), line \(line), column \(column)" : file
        var lines = ["\(location): \(severity.rawValue): \(message)"]
        if line > 0, let source = sources[file] {
            let codeLines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if line <= codeLines.count {
                let code = String(codeLines[line - 1])
                // The column counts UTF-8 bytes; the caret goes under the character.
                let prefix = String(decoding: code.utf8.prefix(max(column - 1, 0)), as: UTF8.self)
                let indent = String(prefix.map { $0 == "\t" ? "\t" : " " })
                lines.append("    " + code)
                lines.append("    " + indent + "^")
            }
        }
        return lines
    }
}
