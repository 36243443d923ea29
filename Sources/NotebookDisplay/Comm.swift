import ExecutorWire
import Foundation
import WireJSON

/// A comm the notebook opens to the frontend (Jupyter messaging, "Custom
/// Messages"): the channel a widget's model lives on. The kernel publishes
/// its messages on iopub with the running cell as parent and keeps the
/// widget states it sees, so that the frontend's `request_states` on
/// reconnect is answered without the notebook's process. Outside a
/// notebook the messages go nowhere.
///
///     let comm = Comm.open(target: "jupyter.widget", data: ["state": state, "buffer_paths": []],
///                          metadata: ["version": "2.1.0"])
///     comm.send(["method": "update", "state": ["value": 7]])
public struct Comm: Sendable {
    public let id: String
    public let target: String

    /// Opens a comm to `target` (`comm_open`), with binary `buffers` after the content.
    public static func open(target: String, data: JSONValue, metadata: JSONValue = [:], buffers: [Data] = []) -> Comm {
        let comm = Comm(id: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), target: target)
        NotebookChannel.current?.send(
            .comm(
                CommEvent(
                    kind: "comm_open", commID: comm.id, target: target, data: data, metadata: metadata,
                    buffers: buffers)))
        return comm
    }

    /// A `comm_msg` on this comm.
    public func send(_ data: JSONValue, metadata: JSONValue = [:], buffers: [Data] = []) {
        NotebookChannel.current?.send(
            .comm(CommEvent(kind: "comm_msg", commID: id, data: data, metadata: metadata, buffers: buffers)))
    }

    /// Closes the comm (`comm_close`).
    public func close(_ data: JSONValue = [:]) {
        NotebookChannel.current?.send(.comm(CommEvent(kind: "comm_close", commID: id, data: data)))
    }
}
