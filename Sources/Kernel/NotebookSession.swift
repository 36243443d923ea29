import CKernelSupport
import CellCompiler
import ExecutorWire
import Foundation

/// Everything that knows about cells, apart from the Jupyter server (as
/// evcxr's `EvalContext` is apart from its Jupyter front, and xeus's
/// interpreter from its server): the rewriter, the builder, the executor
/// process, which earlier cells a cell imports, the cells' sources, the
/// output streams, the warm-up compile and the notice that the state was
/// lost. It knows no sockets: a `NotebookHost` receives the output and waits
/// for the executor while serving its own events.
public final class NotebookSession {
    /// What a session needs to compile and run cells.
    public struct Configuration: Sendable {
        /// The `ddpm-executor` binary.
        public var executor: String
        /// Libraries the executor loads before any cell (the DSL).
        public var preloadLibraries: [String]
        public var toolchain: Toolchain
        /// Clang's module cache, shared by kernels so that only the first compile fills it.
        public var moduleCache: String
        /// How long an interrupted cell may take to stop before it is killed and rolled back.
        public var interruptGrace: TimeInterval = 2
        /// The language server for completion and inspection (the toolchain's `sourcekit-lsp`).
        public var languageServer: String

        public init(executor: String, preloadLibraries: [String], toolchain: Toolchain, moduleCache: String) {
            self.executor = executor
            self.preloadLibraries = preloadLibraries
            self.toolchain = toolchain
            self.moduleCache = moduleCache
            languageServer =
                URL(fileURLWithPath: toolchain.frontend).deletingLastPathComponent().appendingPathComponent(
                    "sourcekit-lsp"
                ).path
        }

        /// The session of a build: `ddpm-executor` and libDDPM.so in the
        /// toolchain's library folder, which the executor loads after the
        /// runtime's -Onone support (cells are compiled without optimisation).
        public init(build toolchain: Toolchain, moduleCache: String) {
            let folder = toolchain.libraryDirectory
            self.init(
                executor: folder + "/ddpm-executor",
                preloadLibraries: [
                    toolchain.runtimeDirectory + "/libswiftSwiftOnoneSupport.so",
                    folder + "/" + ExecutorContract.dslLibrary,
                ],
                toolchain: toolchain, moduleCache: moduleCache)
        }
    }

    /// Every cell sees the DSL.
    static let dslImport = "import \(ExecutorContract.dslModule)"
    static let workDirectoryPrefix = "ddpm-kernel-"

    let configuration: Configuration
    /// Sources, objects, modules and libraries of this session's cells.
    public let workDirectory: String
    let builder: CellBuilder
    let rewriter = CellRewriter()
    /// The executor; nil after it died, until the next cell starts a new one.
    private(set) var executor: ExecutorProcess?
    /// What the successful cells declared, to choose each new cell's imports.
    private(set) var index = CellIndex()
    private var compileCount = 0
    /// Each cell's text by its name (`Cell[3]`), for excerpts in errors.
    private(set) var sources: [String: String] = [:]
    /// Each cell's rewrite by its name, to map compiler columns back to the user's.
    private var rewrites: [String: CellRewriter.Result] = [:]
    /// Processes of the executor's fork chain, reaped when they exit.
    private var executorPIDs = Set<pid_t>()
    /// The executor died between cells; the next cell says so.
    private(set) var stateWasLost = false
    /// How many executors died (a change means the notebook's objects, its
    /// widgets among them, are gone).
    public private(set) var executorsLost = 0
    private var stdoutBuffer = StreamBuffer(name: "stdout")
    private var stderrBuffer = StreamBuffer(name: "stderr", holdsTrapReports: true)
    /// Where the last cell's time went, in milliseconds: `rewrite` (parse and
    /// rewrite), `compile` (swift-frontend), `link` (ld.lld), `fork` (from the
    /// command to the child's word that it runs) and `run` (dlopen, the cell,
    /// its output read). Empty for a cell that did not get that far.
    public private(set) var lastCellTimings: [String: Double] = [:]
    /// The cell running now, which the host's events act on.
    private var running: RunningCell?
    /// Completion and inspection from the language server.
    private let languageService: LanguageService
    /// Signalled when the warm-up compile is done (a semaphore: a lock
    /// would be released by another thread than the one that took it).
    private let warmUp = DispatchSemaphore(value: 0)

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        NotebookSession.removeAbandonedWorkDirectories()
        workDirectory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("\(NotebookSession.workDirectoryPrefix)\(getpid())-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: configuration.moduleCache, withIntermediateDirectories: true)
        builder = CellBuilder(
            toolchain: configuration.toolchain, directory: workDirectory,
            moduleCache: configuration.moduleCache)
        languageService = LanguageService(
            configuration: .init(
                server: configuration.languageServer, workDirectory: workDirectory,
                moduleCache: configuration.moduleCache, importPaths: configuration.toolchain.importPaths))
        if ddpm_become_child_subreaper() != 0 {
            log("cannot become the child subreaper; orphaned executors go to init")
        }
        _ = try liveExecutor()  // started now, so that the first cell does not wait for it
        startWarmUp()
    }

    /// Ends the executor and removes the work folder.
    public func close() {
        languageService.close()
        executor?.terminate()
        executor = nil
        try? FileManager.default.removeItem(atPath: workDirectory)
    }

    // MARK: - Running cells

    /// Compiles and runs one cell named `cellName` (`Cell[3]`), sending its
    /// output to `host`; nil when it succeeded. A cell that fails changes
    /// nothing (the executor rolls it back); one that stops at an interrupt
    /// keeps what it did and is reported as `Interrupted`.
    public func execute(_ code: String, cellName: String, parent: String = "", host: NotebookHost) -> CellError? {
        if stateWasLost {
            stateWasLost = false
            host.stream(
                "stderr",
                text: "The process holding the notebook's state ended between cells (killed from "
                    + "outside, or out of memory). " + CellError.stateReset + "\n")
        }
        lastCellTimings = [:]
        guard !code.allSatisfy(\.isWhitespace) else { return nil }
        sources[cellName] = code
        compileCount += 1
        let module = "Cell\(compileCount)"
        let index = self.index
        let rewriteStarted = Date()
        let prepared = rewriter.prepare(code, cellName: cellName) {
            [NotebookSession.dslImport] + index.imports(for: $0.uses)
        }
        lastCellTimings["rewrite"] = Date().timeIntervalSince(rewriteStarted) * 1000
        rewrites[cellName] = prepared
        if !prepared.diagnostics.isEmpty {
            let diagnostics = prepared.diagnostics.map {
                CompilerDiagnostic(
                    file: cellName, line: $0.line, column: $0.column, severity: .error, message: $0.message)
            }
            return .compile(diagnostics, sources: sources, output: "")
        }
        warmUp.wait()  // the first cell waits for the warm-up compile
        warmUp.signal()
        let outcome: CellBuilder.Outcome
        var durations = CellBuilder.Durations()
        do {
            outcome = try builder.build(source: prepared.source, module: module, durations: &durations)
            lastCellTimings["compile"] = durations.frontend * 1000
            lastCellTimings["link"] = durations.link * 1000
        } catch {
            return CellError(
                ename: "CompilerUnavailable", evalue: "\(error)",
                traceback: ["The compiler could not be started: \(error)"])
        }
        switch outcome {
        case .failed(let diagnostics, let output):
            return .compile(diagnostics, sources: sources, output: output, columns: userColumn)
        case .library(let path, let entryPoint):
            let (failure, ranToTheEnd) = run(
                job: compileCount,
                .run(cell: compileCount, entryPoint: entryPoint, library: path, parent: parent), host: host)
            if ranToTheEnd && prepared.symbols.declaresSomething {
                self.index.record(prepared.symbols, module: module)
                languageService.moduleBuilt(workDirectory + "/\(module).swiftmodule")
            }
            return failure
        }
    }

    /// Hands a frontend's comm message to the notebook's widgets (the user
    /// moved a slider, clicked a button): their callbacks run in the
    /// executor like a cell, with their output sent to `host`; nil when
    /// they succeeded. Callbacks that trap change nothing (the executor
    /// rolls the event back).
    public func deliver(_ delivery: CommDelivery, host: NotebookHost) -> CellError? {
        guard executor != nil else { return nil }  // the widgets died with the executor
        compileCount += 1  // the executor's job number: cells and events share the sequence
        let payload = workDirectory + "/event\(compileCount).json"
        do {
            try JSONEncoder().encode(delivery).write(to: URL(fileURLWithPath: payload))
        } catch {
            return CellError(
                ename: "EventNotDelivered", evalue: "\(error)",
                traceback: ["The widget event could not be handed to the notebook: \(error)"])
        }
        defer { try? FileManager.default.removeItem(atPath: payload) }
        return run(job: compileCount, .event(number: compileCount, payload: payload), host: host).failure
    }

    // MARK: - Completion and inspection (no executor needed: they answer while a cell runs)

    /// Completions at `cursor` (code points) in a cell being typed, from the
    /// language server; nil when it cannot answer (the kernel then falls back).
    func complete(code: String, cursor: Int) -> LanguageService.Completions? {
        languageService.complete(code: code, cursor: cursor, imports: completionImports(for: code))
    }

    /// The declaration and doc comment (Markdown) of the symbol at `cursor`, or nil.
    func inspect(code: String, cursor: Int) -> String? {
        languageService.inspect(code: code, cursor: cursor, imports: completionImports(for: code))
    }

    /// What a cell being typed sees: the DSL, the user's imports and every
    /// name earlier cells declared (the latest declaration of each).
    private func completionImports(for code: String) -> [String] {
        let uses = CellSymbols(source: code).uses
        return [NotebookSession.dslImport] + index.imports(for: uses.union(index.declaredNames))
    }

    /// The user pressed interrupt (between cells there is nothing to stop).
    public func interrupt() {
        running?.requestInterrupt(grace: configuration.interruptGrace)
    }

    /// Stops the running cell at once, as at a shutdown.
    public func stop() {
        running?.kill()
    }

    /// Answers the running cell's `readLine` (nil: no input allowed).
    public func answerInput(_ value: String?) {
        executor?.answerInput(value)
    }

    /// Has the executor run a compiled cell or deliver an event (`command`,
    /// numbered `job`), forwarding the output as it comes. `ranToTheEnd`:
    /// the code finished and its process holds the state (after an
    /// interrupt too).
    private func run(
        job cell: Int, _ command: ExecutorCommand, host: NotebookHost
    ) -> (failure: CellError?, ranToTheEnd: Bool) {
        let executor: ExecutorProcess
        do {
            executor = try liveExecutor()
        } catch {
            return (
                CellError(
                    ename: "ExecutorUnavailable", evalue: "\(error)",
                    traceback: ["The executor could not start: \(error)"]), false
            )
        }
        let backtraceFile = workDirectory + "/backtrace.txt"
        try? FileManager.default.removeItem(atPath: backtraceFile)
        running = RunningCell(cell: cell)
        defer { running = nil }
        if !executor.send(command) { running!.markLost() }

        while !running!.isFinished {
            let timeout = running!.timeout(also: [stdoutBuffer.due, stderrBuffer.due])
            _ = host.wait(
                for: [executor.statusFD, executor.stdoutFD, executor.stderrFD, executor.displayFD],
                milliseconds: timeout)
            // Displays first: the runtime writes one only after the kernel has read
            // the text printed before it, so the streams now hold only later text.
            forwardDisplays(from: executor, to: host)
            readStreams()
            for pid in running!.readStatus(executor.statusFD, log: log) { executorPIDs.insert(pid) }
            flushStreams(to: host, force: false)
        }
        // Everything the cell wrote before it ended is in the pipes now.
        forwardDisplays(from: executor, to: host)
        readStreams()
        flushStreams(to: host, force: true)
        let cellRun = running!
        if let started = cellRun.startedAt {
            lastCellTimings["fork"] = started.timeIntervalSince(cellRun.sentAt) * 1000
            lastCellTimings["run"] = Date().timeIntervalSince(started) * 1000
        }
        var failed = cellRun.lost
        if case .failed? = cellRun.outcome { failed = true }
        let (trapReports, heldText) = stderrBuffer.finishCell(failed: failed)
        if let heldText { host.stream("stderr", text: heldText) }

        if cellRun.lost {
            discardExecutor()
            return (.executorLost, false)
        }
        switch cellRun.outcome {
        case .failed(_, let failure)?:
            let backtrace = try? String(contentsOfFile: backtraceFile, encoding: .utf8)
            return (
                .runtime(
                    failure, trapReports: trapReports, backtrace: backtrace, sources: sources,
                    interruptGrace: cellRun.wasInterrupted ? configuration.interruptGrace : nil,
                    columns: userColumn), false
            )
        case .interrupted?:
            return (.interruptedKeepingState, true)
        default:
            return (nil, true)
        }
    }

    /// The user's column for a column of a compiled cell.
    private func userColumn(cell: String, line: Int, column: Int) -> Int {
        rewrites[cell]?.originalColumn(line: line, column: column) ?? column
    }

    private func readStreams() {
        guard let executor else { return }
        var closed = false
        stdoutBuffer.append(readAvailable(executor.stdoutFD, closed: &closed))
        stderrBuffer.append(readAvailable(executor.stderrFD, closed: &closed))
    }

    private func flushStreams(to host: NotebookHost, force: Bool) {
        if let text = stdoutBuffer.take(force: force) { host.stream(stdoutBuffer.name, text: text) }
        if let text = stderrBuffer.take(force: force) { host.stream(stderrBuffer.name, text: text) }
    }

    /// Display events of the running cell, each after the text printed before it.
    private func forwardDisplays(from executor: ExecutorProcess, to host: NotebookHost) {
        for line in running!.displayReader.read(executor.displayFD) {
            guard let event = try? DisplayEvent(line: line) else {
                log("unreadable display event: \(String(decoding: line, as: UTF8.self))")
                continue
            }
            flushStreams(to: host, force: true)  // text printed before a display stays above it
            if case .inputRequest(let prompt, let password) = event {
                host.requestInput(prompt: prompt, password: password)
            } else {
                host.display(event)
            }
        }
    }

    // MARK: - Between cells

    /// The executor's descriptors to watch between cells.
    public var idleFDs: [Int32] { executor.map { [$0.statusFD, $0.stdoutFD, $0.stderrFD] } ?? [] }

    /// Between requests, at least every half second: an unused language server is stopped.
    public func tick() {
        languageService.stopIfIdle()
    }

    /// Between cells: output of something the last cell left running, or
    /// the end of the executor (killed from outside), which the next cell
    /// reports before it starts a new one.
    public func serviceIdle(host: NotebookHost) {
        guard let executor else { return }
        readStreams()
        flushStreams(to: host, force: true)
        var reader = LineReader()
        _ = reader.read(executor.statusFD)
        if reader.closed {
            log("the executor ended between cells")
            discardExecutor()
            stateWasLost = true
        }
    }

    /// Waits for the executor's processes that ended (the kernel is their
    /// subreaper), so that none stays a zombie. Only known pids are waited
    /// for: the compiler processes are Foundation's to wait for.
    public func reapProcesses() {
        for pid in executorPIDs {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD && kill(pid, 0) != 0) {
                executorPIDs.remove(pid)
            }
        }
    }

    /// Forgets a dead executor and the modules it had loaded.
    private func discardExecutor() {
        executor?.terminate()
        executor = nil
        index = CellIndex()
        executorsLost += 1
    }

    /// The executor, started anew if the last one died.
    private func liveExecutor() throws -> ExecutorProcess {
        if let executor { return executor }
        let fresh = try ExecutorProcess(
            executable: configuration.executor, libraries: configuration.preloadLibraries,
            environment: [
                // A trap's report, with the cell's line, goes to a file the kernel reads.
                "SWIFT_BACKTRACE": "enable=yes,color=no,interactive=no,registers=none,images=none,threads=crashed,"
                    + "output-to=\(workDirectory)/backtrace.txt"
            ])
        executor = fresh
        executorPIDs.insert(fresh.pid)
        return fresh
    }

    /// Compiles an empty cell in the background, so that the module cache and
    /// the page cache are warm when the user runs the first cell.
    private func startWarmUp() {
        let builder = self.builder, rewriter = self.rewriter, done = warmUp
        Thread.detachNewThread {
            _ = try? builder.build(
                source: rewriter.rewrite("", cellName: "warm-up", imports: [NotebookSession.dslImport]),
                module: "WarmUp")
            done.signal()
        }
    }

    /// Work folders of kernels that were killed (a kill cannot clean up):
    /// `ddpm-kernel-<pid>-…` whose process is gone.
    static func removeAbandonedWorkDirectories() {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix(workDirectoryPrefix) {
            let pidText = name.dropFirst(workDirectoryPrefix.count).prefix(while: \.isNumber)
            guard let pid = pid_t(pidText), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
    }
}

/// A line on the kernel's stderr, which Jupyter keeps in its log.
func log(_ text: String) {
    FileHandle.standardError.write(Data("ddpm-kernel: \(text)\n".utf8))
}
