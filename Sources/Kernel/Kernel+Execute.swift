import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol
import KernelTransport

extension Kernel {
    /// `execute_request` (messaging spec, "Execute"): count, compile, run,
    /// report, and abort the queued requests after an error when asked to.
    func execute(_ request: Message) {
        let content = request.content
        let code = content["code"]?.stringValue ?? ""
        let silent = content["silent"]?.boolValue ?? false
        let storeHistory = !silent && (content["store_history"]?.boolValue ?? true)
        let allowStdin = content["allow_stdin"]?.boolValue ?? false
        let stopOnError = content["stop_on_error"]?.boolValue ?? true
        if storeHistory {
            executionCount += 1
            history.append(line: executionCount, input: code)
        }
        currentParent = request
        currentSilent = silent
        if !silent { publish("execute_input", ["code": .string(code), "execution_count": .int(executionCount)], parent: request) }
        if stateWasLost {
            stateWasLost = false
            if !silent {
                publish("stream", ["name": "stderr", "text": .string(
                    "The process holding the notebook's state ended between cells (killed from outside, or out of memory). "
                        + CellError.stateReset + "\n")], parent: request)
            }
        }

        let failure = run(code: code, cellName: storeHistory ? "Cell[\(executionCount)]" : "Cell[-]",
                          request: request, allowStdin: allowStdin)
        if let failure {
            if !silent { publish("error", .object(failure.fields), parent: request) }
            // The requests already waiting were sent before the user could see this error.
            let queued = stopOnError ? waitingShellRequests() : []
            var content = failure.fields
            content["status"] = "error"
            content["execution_count"] = .int(executionCount)
            reply(request, on: shell, .object(content))
            abort(queued)
        } else {
            reply(request, on: shell, ["status": "ok", "execution_count": .int(executionCount),
                                       "payload": [], "user_expressions": [:]])
        }
    }

    /// Compiles and runs one cell; nil when it succeeded.
    func run(code: String, cellName: String, request: Message, allowStdin: Bool) -> CellError? {
        guard !code.allSatisfy(\.isWhitespace) else { return nil }
        sources[cellName] = code
        compileCount += 1
        let module = "Cell\(compileCount)"
        let index = self.index
        let prepared = rewriter.prepare(code, cellName: cellName) { [Kernel.dslImport] + index.imports(for: $0.uses) }
        rewrites[cellName] = prepared
        if !prepared.diagnostics.isEmpty {
            let diagnostics = prepared.diagnostics.map {
                CompilerDiagnostic(file: cellName, line: $0.line, column: $0.column, severity: .error, message: $0.message)
            }
            return .compile(diagnostics, sources: sources, output: "")
        }
        warmUp.wait()  // the first cell waits for the warm-up compile
        warmUp.signal()
        let outcome: CellBuilder.Outcome
        do {
            outcome = try builder.build(source: prepared.source, module: module)
        } catch {
            return CellError(ename: "CompilerUnavailable", evalue: "\(error)",
                             traceback: ["The compiler could not be started: \(error)"])
        }
        switch outcome {
        case .failed(let diagnostics, let output):
            return .compile(diagnostics, sources: sources, output: output, columns: userColumn)
        case .library(let path, let entryPoint):
            let (failure, ranToTheEnd) = runInExecutor(cell: compileCount, library: path, entryPoint: entryPoint,
                                                       request: request, allowStdin: allowStdin)
            if ranToTheEnd && prepared.symbols.declaresSomething { self.index.record(prepared.symbols, module: module) }
            return failure
        }
    }

    /// Has the executor run a compiled cell, forwarding its output live and
    /// serving control and stdin meanwhile. `ranToTheEnd`: the cell's code
    /// finished and its process holds the state (after an interrupt too).
    func runInExecutor(cell: Int, library: String, entryPoint: String, request: Message,
                       allowStdin: Bool) -> (failure: CellError?, ranToTheEnd: Bool) {
        let executor: ExecutorProcess
        do {
            executor = try liveExecutor()
        } catch {
            return (CellError(ename: "ExecutorUnavailable", evalue: "\(error)",
                              traceback: ["The executor could not start: \(error)"]), false)
        }
        let backtraceFile = workDirectory + "/backtrace.txt"
        try? FileManager.default.removeItem(atPath: backtraceFile)
        var statusReader = LineReader()
        var displayReader = LineReader()
        var runningPID: pid_t?
        var interruptDeadline: Date?
        var interruptSent = false
        var killed = false
        var outcome: ExecutorStatus?
        var lost = !executor.send(.run(cell: cell, entryPoint: entryPoint, library: library))

        while outcome == nil && !lost {
            let now = Date()
            let wakeUps = [stdoutBuffer.due, stderrBuffer.due, interruptDeadline].compactMap { $0 }
            let timeout = wakeUps.map { max(0, Int($0.timeIntervalSince(now) * 1000) + 1) }.min() ?? 200
            guard let ready = try? Poller.poll(
                sockets: [control, stdin],
                fds: [executor.statusFD, executor.stdoutFD, executor.stderrFD, executor.displayFD],
                milliseconds: min(timeout, 200))
            else { continue }
            if ready.sockets[0], let message = receive(control) {
                if message.msgType == "interrupt_request" {
                    // Sent below once the cell's process is known; the grace period starts now.
                    if interruptDeadline == nil {
                        interruptDeadline = Date().addingTimeInterval(configuration.interruptGrace)
                    }
                    publish("status", ["execution_state": "busy"], parent: message)
                    reply(message, on: control, ["status": "ok"])
                    publish("status", ["execution_state": "idle"], parent: message)
                } else {
                    handle(message, on: control)
                    if !isRunning, let pid = runningPID {  // shut down while the cell ran
                        kill(pid, SIGKILL)
                        killed = true
                    }
                }
            }
            if ready.sockets[1], let message = receive(stdin), message.msgType == "input_reply" {
                executor.answerInput(message.content["value"]?.stringValue ?? "")  // the user's line
            }
            readStreams()
            for line in displayReader.read(executor.displayFD) {
                handleDisplayEvent(line, request: request, allowStdin: allowStdin)
            }
            for line in statusReader.read(executor.statusFD) {
                switch ExecutorStatus(line: String(decoding: line, as: UTF8.self)) {
                case .started(cell, let pid)?:
                    runningPID = pid
                    executorPIDs.insert(pid)
                case .succeeded(cell)?, .interrupted(cell)?, .failed(cell, _)?:
                    outcome = ExecutorStatus(line: String(decoding: line, as: UTF8.self))
                case .ready?:
                    break
                default:
                    log("unexpected executor status: \(String(decoding: line, as: UTF8.self))")
                }
            }
            if statusReader.closed && outcome == nil { lost = true }
            if interruptDeadline != nil, !interruptSent, let pid = runningPID {
                kill(pid, SIGINT)  // the DSL's loops stop at their next step
                interruptSent = true
            }
            if let deadline = interruptDeadline, !killed, Date() >= deadline, let pid = runningPID {
                kill(pid, SIGKILL)  // did not stop: kill it; its parent rolls the cell back
                killed = true
            }
            flushStreams(force: false)
        }
        // Everything the cell wrote before it ended is in the pipes now.
        readStreams()
        for line in displayReader.read(executor.displayFD) {
            handleDisplayEvent(line, request: request, allowStdin: allowStdin)
        }
        flushStreams(force: true)
        var failed = lost
        if case .failed? = outcome { failed = true }
        let (trapReports, heldText) = stderrBuffer.finishCell(failed: failed)
        if let heldText, !currentSilent {
            publish("stream", ["name": "stderr", "text": .string(heldText)], parent: request)
        }

        if lost {
            discardExecutor()
            return (.executorLost, false)
        }
        switch outcome {
        case .failed(_, let failure)?:
            let backtrace = try? String(contentsOfFile: backtraceFile, encoding: .utf8)
            return (.runtime(failure, trapReports: trapReports, backtrace: backtrace, sources: sources,
                             interruptGrace: interruptDeadline.map { _ in configuration.interruptGrace },
                             columns: userColumn), false)
        case .interrupted?:
            return (.interruptedKeepingState, true)
        default:
            return (nil, true)
        }
    }

    /// The user's column for a column of a compiled cell.
    func userColumn(cell: String, line: Int, column: Int) -> Int {
        rewrites[cell]?.originalColumn(line: line, column: column) ?? column
    }

    func readStreams() {
        guard let executor else { return }
        var closed = false
        stdoutBuffer.append(readAvailable(executor.stdoutFD, closed: &closed))
        stderrBuffer.append(readAvailable(executor.stderrFD, closed: &closed))
    }

    func flushStreams(force: Bool) {
        for stream in [\Kernel.stdoutBuffer, \Kernel.stderrBuffer] {
            guard let text = self[keyPath: stream].take(force: force) else { continue }
            if let parent = currentParent, !currentSilent {
                publish("stream", ["name": .string(self[keyPath: stream].name), "text": .string(text)], parent: parent)
            }
        }
    }

    /// A display event from the cell becomes an iopub message, or an
    /// input request on stdin.
    func handleDisplayEvent(_ line: Data, request: Message, allowStdin: Bool) {
        guard let event = try? DisplayEvent(line: line) else {
            log("unreadable display event: \(String(decoding: line, as: UTF8.self))")
            return
        }
        func bundle(_ data: [String: String], _ metadata: [String: [String: Int]]) -> (JSONValue, JSONValue) {
            (.object(data.mapValues(JSONValue.string)),
             .object(metadata.mapValues { .object($0.mapValues(JSONValue.int)) }))
        }
        // Streams first, so that text printed before a display stays above it.
        flushStreams(force: true)
        switch event {
        case .inputRequest(let prompt, let password):
            if allowStdin {
                send(request.child("input_request", content: ["prompt": .string(prompt), "password": .bool(password)]),
                     on: stdin)
            } else {
                executor?.answerInput(nil)
            }
            return
        case .displayData(let data, let metadata, let displayID):
            let (data, metadata) = bundle(data, metadata)
            let transient: JSONValue = displayID.map { ["display_id": .string($0)] } ?? [:]
            if !currentSilent {
                publish("display_data", ["data": data, "metadata": metadata, "transient": transient], parent: request)
            }
        case .updateDisplayData(let data, let metadata, let displayID):
            let (data, metadata) = bundle(data, metadata)
            if !currentSilent {
                publish("update_display_data", ["data": data, "metadata": metadata,
                                                "transient": ["display_id": .string(displayID)]], parent: request)
            }
        case .executeResult(let data, let metadata):
            if let text = data["text/plain"] { history.setOutput(line: executionCount, text) }
            let (data, metadata) = bundle(data, metadata)
            if !currentSilent {
                publish("execute_result", ["execution_count": .int(executionCount), "data": data, "metadata": metadata],
                        parent: request)
            }
        case .clearOutput(let wait):
            if !currentSilent { publish("clear_output", ["wait": .bool(wait)], parent: request) }
        }
    }

    /// The shell requests waiting now, taken off the socket.
    func waitingShellRequests() -> [Message] {
        var messages: [Message] = []
        while let ready = try? shell.poll(milliseconds: 0), ready {
            if let message = receive(shell) { messages.append(message) }
        }
        return messages
    }

    /// After a failed cell with `stop_on_error`, the execute requests that
    /// were already queued are answered `aborted` without running (as
    /// ipykernel does); other requests are served as usual.
    func abort(_ queued: [Message]) {
        for message in queued {
            if message.msgType == "execute_request" {
                publish("status", ["execution_state": "busy"], parent: message)
                // No execution count: the cell did not run, and the frontend shows none for it.
                reply(message, on: shell, ["status": "aborted"])
                publish("status", ["execution_state": "idle"], parent: message)
            } else {
                handle(message, on: shell)
            }
        }
    }

    /// Between cells: output of something the last cell left running, or
    /// the end of the executor (killed from outside), which the next cell
    /// reports before it starts a new one.
    func serviceIdleExecutor() {
        guard let executor else { return }
        readStreams()
        flushStreams(force: true)
        var reader = LineReader()
        _ = reader.read(executor.statusFD)
        if reader.closed {
            log("the executor ended between cells")
            discardExecutor()
            stateWasLost = true
        }
    }

    /// Forgets a dead executor and the modules it had loaded.
    func discardExecutor() {
        executor?.terminate()
        executor = nil
        index = CellIndex()
    }

    /// The executor, started anew if the last one died.
    func liveExecutor() throws -> ExecutorProcess {
        if let executor { return executor }
        let fresh = try Kernel.startExecutor(configuration, workDirectory: workDirectory)
        executor = fresh
        executorPIDs.insert(fresh.pid)
        return fresh
    }

    /// Waits for the executor's processes that ended (the kernel is their
    /// subreaper), so that none stays a zombie. Only known pids are waited
    /// for: the compiler processes are Foundation's to wait for.
    func reapExecutorProcesses() {
        for pid in executorPIDs {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD && kill(pid, 0) != 0) {
                executorPIDs.remove(pid)
            }
        }
    }
}
