import ExecutorWire
import Foundation
import JupyterProtocol

extension Kernel {
    /// A frontend's `comm_msg` (messaging spec, "Custom Messages"): answered
    /// from the recorded widget states when it can be, else delivered to the
    /// notebook's widgets, whose callbacks run like a cell (busy/idle around
    /// it, output with the message as parent, rolled back if they trap).
    /// The page sends a slider's next value only after this message's idle,
    /// so dragging shows the latest value at the rate the callback allows.
    func commMessage(_ message: Message) {
        let before = comms
        switch comms.received(message.content, buffers: message.buffers) {
        case .answer(let replies):
            for reply in replies {
                publish(reply.type, reply.content, parent: message, buffers: reply.buffers)
            }
        case .deliver:
            deliver(message, restoring: before)
        case .done:
            break
        }
    }

    /// Runs the widgets' callbacks for `message` in the executor; after a
    /// trap, the error goes out with the message as parent (an `Output`
    /// capturing by it shows it under the widget) and the frontend is put
    /// back to the widget states of `before`.
    private func deliver(_ message: Message, restoring before: CommRegistry) {
        dropWidgetsOfLostExecutor(parent: message)
        let (parent, silent, allowsStdin) = (currentParent, currentSilent, currentAllowsStdin)
        (currentParent, currentSilent, currentAllowsStdin) = (message, false, false)
        // Output between cells (of something a cell left running) goes with the last cell again.
        defer { (currentParent, currentSilent, currentAllowsStdin) = (parent, silent, allowsStdin) }
        let delivery = CommDelivery(
            parent: message.header.msgID,
            message: CommEvent(
                kind: "comm_msg", commID: message.content["comm_id"]?.stringValue ?? "",
                data: message.content["data"] ?? [:], metadata: message.metadata, buffers: message.buffers))
        guard let failure = session.deliver(delivery, host: self) else { return }
        var error = failure
        if error.traceback.last == CellError.rolledBack {
            error.traceback[error.traceback.count - 1] = CellError.eventRolledBack
        }
        publish("error", .object(error.fields), parent: message)
        for event in comms.rollback(to: before) { publish(event.type, event.content, parent: message) }
        comms = before
        dropWidgetsOfLostExecutor(parent: message)
    }

    /// When the executor died since the last look, its widgets are gone:
    /// their comms are closed (views then show that the model is not found)
    /// and their states forgotten.
    func dropWidgetsOfLostExecutor(parent: Message) {
        guard session.executorsLost != executorsLostSeen else { return }
        executorsLostSeen = session.executorsLost
        for event in comms.dropWidgets() { publish(event.type, event.content, parent: parent) }
    }
}
