import ExecutorWire
import JupyterProtocol

/// The comms open between the frontend and this kernel, by id, with their
/// targets (Jupyter messaging, "Custom Messages"): what `comm_info_request`
/// lists, and the kernel-side answer to what the frontend opens.
///
/// Socket-free: each method returns the messages to publish on iopub (as
/// type and content), which the server sends with the request as parent.
/// Known targets:
/// - `jupyter.widget.control` (ipywidgets' control protocol 1.0.0): the
///   frontend opens it on (re)connect and sends `{method: "request_states"}`;
///   the answer is `{method: "update_states", states, buffer_paths}` with the
///   state of every widget model the kernel holds. JupyterLab waits 4 s for
///   it before falling back to asking model by model.
///
/// Any other target is closed at once, as the spec requires. Comms the
/// notebook runtime opens (widgets, target `jupyter.widget`) are recorded
/// with their model's state as it changes, in the control protocol's form
/// (`{model_name, model_module, model_module_version, state}`).
struct CommRegistry {
    static let widgetControl = "jupyter.widget.control"

    /// Open comms: id → target name.
    private(set) var open: [String: String] = [:]
    /// Widget model states the kernel knows, by comm id (model name, module, version, state).
    var widgetStates: [String: JSONValue] = [:]

    /// `comm_open` from the frontend.
    mutating func opened(_ content: JSONValue) -> [(type: String, content: JSONValue)] {
        guard let id = content["comm_id"]?.stringValue else { return [] }
        let target = content["target_name"]?.stringValue ?? ""
        guard target == CommRegistry.widgetControl else {
            return [("comm_close", ["comm_id": .string(id), "data": [:]])]
        }
        open[id] = target
        return []
    }

    /// A comm message the notebook runtime sent to the frontend.
    mutating func sent(_ event: CommEvent) {
        switch event.kind {
        case "comm_open":
            open[event.commID] = event.target ?? ""
            guard event.target == "jupyter.widget", let state = event.data["state"] else { return }
            widgetStates[event.commID] = [
                "model_name": state["_model_name"] ?? .null, "model_module": state["_model_module"] ?? .null,
                "model_module_version": state["_model_module_version"] ?? .null, "state": state,
            ]
        case "comm_msg":
            guard event.data["method"]?.stringValue == "update", let changes = event.data["state"],
                let known = widgetStates[event.commID], let state = known["state"]
            else { return }
            widgetStates[event.commID] = known.merging(["state": state.merging(changes)])
        default:
            open[event.commID] = nil
            widgetStates[event.commID] = nil
        }
    }

    /// `comm_msg` from the frontend.
    func message(_ content: JSONValue) -> [(type: String, content: JSONValue)] {
        guard let id = content["comm_id"]?.stringValue, let target = open[id] else { return [] }
        if target == CommRegistry.widgetControl, content["data"]?["method"]?.stringValue == "request_states" {
            let states = JSONValue.object(widgetStates)
            let data: JSONValue = ["method": "update_states", "states": states, "buffer_paths": []]
            return [("comm_msg", ["comm_id": .string(id), "data": data])]
        }
        return []
    }

    /// `comm_close` from the frontend.
    mutating func closed(_ content: JSONValue) {
        if let id = content["comm_id"]?.stringValue { open[id] = nil }
    }

    /// What makes the frontend match a notebook rolled back to `before` (a
    /// failed cell's process is discarded, with the widgets it made and the
    /// changes it sent): `comm_close` for the comms opened since, an `update`
    /// back to the earlier state for widgets changed since.
    func rollback(to before: CommRegistry) -> [(type: String, content: JSONValue)] {
        var events: [(type: String, content: JSONValue)] = []
        for id in open.keys.sorted() where before.open[id] == nil {
            events.append(("comm_close", ["comm_id": .string(id), "data": [:]]))
        }
        for (id, earlier) in before.widgetStates.sorted(by: { $0.key < $1.key })
        where open[id] != nil && widgetStates[id] != earlier {
            let data: JSONValue = ["method": "update", "state": earlier["state"] ?? [:], "buffer_paths": []]
            events.append(("comm_msg", ["comm_id": .string(id), "data": data]))
        }
        return events
    }

    /// `comm_info_reply`'s comms, only those of `target` when given.
    func info(target: String?) -> JSONValue {
        var comms: [String: JSONValue] = [:]
        for (id, name) in open where target == nil || target == name {
            comms[id] = ["target_name": .string(name)]
        }
        return ["status": "ok", "comms": .object(comms)]
    }
}
