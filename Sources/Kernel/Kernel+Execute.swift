import ExecutorWire
import Foundation
import JupyterProtocol
import KernelTransport

extension Kernel {
    /// `execute_request` (messaging spec, "Execute"): count, have the session
    /// run the cell, report, and abort the queued requests after an error
    /// when asked to.
    func execute(_ request: Message) {
        let content = request.content
        let code = content["code"]?.stringValue ?? ""
        let silent = content["silent"]?.boolValue ?? false
        let storeHistory = !silent && (content["store_history"]?.boolValue ?? true)
        let stopOnError = content["stop_on_error"]?.boolValue ?? true
        if storeHistory {
            executionCount += 1
            history.append(line: executionCount, input: code)
        }
        currentParent = request
        currentSilent = silent
        currentAllowsStdin = content["allow_stdin"]?.boolValue ?? false
        if !silent {
            publish("execute_input", ["code": .string(code), "execution_count": .int(executionCount)], parent: request)
        }

        dropWidgetsOfLostExecutor(parent: request)
        let commsBefore = comms
        let failure = session.execute(
            code, cellName: storeHistory ? "Cell[\(executionCount)]" : "Cell[-]", parent: request.header.msgID,
            host: self)
        if let failure {
            // The cell's process is gone: so are the widgets it opened and the changes it made
            // (all of them, when the whole executor went).
            for event in comms.rollback(to: commsBefore) { publish(event.type, event.content, parent: request) }
            comms = commsBefore
            dropWidgetsOfLostExecutor(parent: request)
            if !silent { publish("error", .object(failure.fields), parent: request) }
            // The requests already waiting were sent before the user could see this error.
            let queued = stopOnError ? waitingShellRequests() : []
            var content = failure.fields
            content["status"] = "error"
            content["execution_count"] = .int(executionCount)
            reply(request, on: shell, .object(content))
            abort(queued)
        } else {
            // Where the cell's time went (ms), for the latency benchmark; the message's
            // metadata is free-form (ipykernel puts its own timestamps there).
            reply(
                request, on: shell,
                [
                    "status": "ok", "execution_count": .int(executionCount),
                    "payload": [], "user_expressions": [:],
                ], metadata: ["timings": .object(session.lastCellTimings.mapValues(JSONValue.double))])
        }
    }

    /// The shell requests waiting now: those deferred while the cell ran,
    /// then those still on the socket.
    func waitingShellRequests() -> [Message] {
        var messages = deferredShell
        deferredShell = []
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
}

/// The server as the session's host: the cell's output becomes iopub
/// messages of the current request, input requests go to the stdin socket,
/// and while the session waits for the executor, control and stdin are served.
extension Kernel: NotebookHost {
    public func stream(_ name: String, text: String) {
        guard let parent = currentParent, !currentSilent else { return }
        publish("stream", ["name": .string(name), "text": .string(text)], parent: parent)
    }

    public func display(_ event: DisplayEvent) {
        guard let parent = currentParent else { return }
        if case .comm(let comm) = event {  // widgets' state: published even from a silent cell
            comms.sent(comm)
            var content: JSONValue = ["comm_id": .string(comm.commID), "data": comm.data]
            if let target = comm.target { content = content.merging(["target_name": .string(target)]) }
            publish(comm.kind, content, parent: parent, metadata: comm.metadata, buffers: comm.buffers)
            return
        }
        if case .executeResult(let data, _) = event, let text = data["text/plain"]?.stringValue {
            history.setOutput(line: executionCount, text)
        }
        guard !currentSilent else { return }
        switch event {
        case .displayData(let data, let metadata, let displayID):
            let transient: JSONValue = displayID.map { ["display_id": .string($0)] } ?? [:]
            publish(
                "display_data", ["data": .object(data), "metadata": .object(metadata), "transient": transient],
                parent: parent)
        case .updateDisplayData(let data, let metadata, let displayID):
            publish(
                "update_display_data",
                [
                    "data": .object(data), "metadata": .object(metadata),
                    "transient": ["display_id": .string(displayID)],
                ], parent: parent)
        case .executeResult(let data, let metadata):
            publish(
                "execute_result",
                [
                    "execution_count": .int(executionCount), "data": .object(data),
                    "metadata": .object(metadata),
                ], parent: parent)
        case .clearOutput(let wait):
            publish("clear_output", ["wait": .bool(wait)], parent: parent)
        case .inputRequest, .comm:
            break  // through requestInput, and above
        }
    }

    /// Requests a running cell does not stop: what needs no executor is
    /// answered now (Tab and Shift-Tab during a training loop); the rest
    /// waits for the cell (a widget's message, the next cell).
    private func serveDuringCell(_ message: Message) {
        guard Kernel.servedDuringCell.contains(message.msgType), let running = currentParent else {
            deferredShell.append(message)
            return
        }
        handle(message, on: shell)
        // That request's idle must not make the frontend show the kernel idle while the cell runs.
        publish("status", ["execution_state": "busy"], parent: running)
    }

    static let servedDuringCell: Set<String> = [
        "complete_request", "inspect_request", "is_complete_request", "kernel_info_request", "comm_info_request",
        "history_request",
    ]

    public func requestInput(prompt: String, password: Bool) {
        guard let parent = currentParent, currentAllowsStdin else {
            session.answerInput(nil)
            return
        }
        send(
            parent.child("input_request", content: ["prompt": .string(prompt), "password": .bool(password)]), on: stdin)
    }

    public func wait(for fds: [Int32], milliseconds: Int) -> [Bool] {
        guard let ready = try? Poller.poll(sockets: [control, stdin, shell], fds: fds, milliseconds: milliseconds)
        else {
            return fds.map { _ in false }
        }
        if ready.sockets[2], let message = receive(shell) { serveDuringCell(message) }
        if ready.sockets[0], let message = receive(control) {
            if message.msgType == "interrupt_request" { session.interrupt() }
            handle(message, on: control)  // busy, the reply, idle
            if !isRunning { session.stop() }  // shut down while the cell ran
        }
        if ready.sockets[1], let message = receive(stdin), message.msgType == "input_reply" {
            session.answerInput(message.content["value"]?.stringValue ?? "")  // the user's line
        }
        return ready.fds
    }
}
