import ExecutorWire
import Foundation
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
    static let widget = "jupyter.widget"

    /// Open comms: id → target name.
    private(set) var open: [String: String] = [:]
    /// Widget model states the kernel knows, by comm id (model name, module, version, state).
    var widgetStates: [String: JSONValue] = [:]
    /// Widget attributes carried as binary buffers (an Image's `value`), by comm id and attribute.
    var widgetBuffers: [String: [String: Data]] = [:]

    /// What to do with a frontend's `comm_msg`.
    enum Route: Equatable {
        /// Publish these messages (the kernel answers by itself).
        case answer([Message])
        /// Hand it to the notebook's widgets (the executor's `event`): an
        /// update that may have observers, a button's click.
        case deliver
        /// Nothing more (recorded, or for no comm the kernel knows).
        case done

        struct Message: Equatable {
            var type: String
            var content: JSONValue
            var buffers: [Data] = []
        }
    }

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
            guard event.target == CommRegistry.widget, let state = event.data["state"] else { return }
            widgetStates[event.commID] = [
                "model_name": state["_model_name"] ?? .null, "model_module": state["_model_module"] ?? .null,
                "model_module_version": state["_model_module_version"] ?? .null, "state": state,
            ]
            widgetBuffers[event.commID] = CommRegistry.buffers(of: event.data, event.buffers)
        case "comm_msg":
            guard event.data["method"]?.stringValue == "update" else { return }
            record(update: event.data, buffers: event.buffers, of: event.commID)
        default:
            open[event.commID] = nil
            widgetStates[event.commID] = nil
            widgetBuffers[event.commID] = nil
        }
    }

    /// A `comm_msg` from the frontend: the control comm's `request_states`
    /// and a widget's `request_state` are answered from the recorded states;
    /// a widget's `update` is recorded, and delivered to the notebook unless
    /// the widget is an Output (whose `outputs` the page sends back after
    /// each captured output; nothing in the notebook observes them); a
    /// `custom` message is delivered.
    mutating func received(_ content: JSONValue, buffers: [Data] = []) -> Route {
        guard let id = content["comm_id"]?.stringValue, let target = open[id] else { return .done }
        let data = content["data"] ?? [:]
        let method = data["method"]?.stringValue
        if target == CommRegistry.widgetControl {
            guard method == "request_states" else { return .done }
            var paths: [JSONValue] = []
            var frames: [Data] = []
            for (widget, attributes) in widgetBuffers.sorted(by: { $0.key < $1.key }) {
                for (attribute, buffer) in attributes.sorted(by: { $0.key < $1.key }) {
                    paths.append([.string(widget), "state", .string(attribute)])
                    frames.append(buffer)
                }
            }
            // Paths into `states` (ipywidgets' `_remove_buffers(full_state)`): [id, "state", attribute].
            let reply: JSONValue = [
                "method": "update_states", "states": .object(widgetStates), "buffer_paths": .array(paths),
            ]
            return .answer([.init(type: "comm_msg", content: ["comm_id": .string(id), "data": reply], buffers: frames)])
        }
        guard target == CommRegistry.widget else { return .done }
        switch method {
        case "update":
            record(update: data, buffers: buffers, of: id)
            return widgetStates[id]?["model_name"]?.stringValue == "OutputModel" ? .done : .deliver
        case "request_state":
            let attributes = (widgetBuffers[id] ?? [:]).sorted(by: { $0.key < $1.key })
            let reply: JSONValue = [
                "method": "update", "state": widgetStates[id]?["state"] ?? [:],
                "buffer_paths": .array(attributes.map { [.string($0.key)] }),
            ]
            return .answer([
                .init(
                    type: "comm_msg", content: ["comm_id": .string(id), "data": reply], buffers: attributes.map(\.value)
                )
            ])
        case "custom":
            return .deliver
        default:
            return .done
        }
    }

    /// `comm_close` from the frontend.
    mutating func closed(_ content: JSONValue) {
        if let id = content["comm_id"]?.stringValue { open[id] = nil }
    }

    /// What makes the frontend match a notebook rolled back to `before` (a
    /// failed cell's process is discarded, with the widgets it made and the
    /// changes it sent): `comm_close` for the comms opened since, an `update`
    /// of the attributes that changed since back to their earlier values.
    func rollback(to before: CommRegistry) -> [(type: String, content: JSONValue)] {
        var events: [(type: String, content: JSONValue)] = []
        for id in open.keys.sorted() where before.open[id] == nil {
            events.append(("comm_close", ["comm_id": .string(id), "data": [:]]))
        }
        for (id, earlier) in before.widgetStates.sorted(by: { $0.key < $1.key }) where open[id] != nil {
            guard case .object(let old)? = earlier["state"], case .object(let now)? = widgetStates[id]?["state"]
            else { continue }
            let changed = old.filter { now[$0.key] != $0.value }
            guard !changed.isEmpty else { continue }
            let data: JSONValue = ["method": "update", "state": .object(changed), "buffer_paths": []]
            events.append(("comm_msg", ["comm_id": .string(id), "data": data]))
        }
        return events
    }

    /// The notebook's process is gone, and its widgets with it: `comm_close`
    /// for each (their views then say the model is not found), and the
    /// states forgotten.
    mutating func dropWidgets() -> [(type: String, content: JSONValue)] {
        let ids = open.filter { $0.value == CommRegistry.widget }.keys.sorted()
        for id in ids { sent(CommEvent(kind: "comm_close", commID: id, data: [:])) }
        return ids.map { ("comm_close", ["comm_id": .string($0), "data": [:]]) }
    }

    /// `comm_info_reply`'s comms, only those of `target` when given.
    func info(target: String?) -> JSONValue {
        var comms: [String: JSONValue] = [:]
        for (id, name) in open where target == nil || target == name {
            comms[id] = ["target_name": .string(name)]
        }
        return ["status": "ok", "comms": .object(comms)]
    }

    /// Merges an `update` (either way) into the recorded state.
    private mutating func record(update data: JSONValue, buffers: [Data], of id: String) {
        guard let known = widgetStates[id], let state = known["state"] else { return }
        widgetStates[id] = known.merging(["state": state.merging(data["state"] ?? [:])])
        widgetBuffers[id, default: [:]].merge(CommRegistry.buffers(of: data, buffers)) { _, new in new }
    }

    /// The binary attributes of a message: top-level `buffer_paths` → buffer.
    private static func buffers(of data: JSONValue, _ buffers: [Data]) -> [String: Data] {
        var attributes: [String: Data] = [:]
        for (path, buffer) in zip(data["buffer_paths"]?.arrayValue ?? [], buffers) {
            if let attribute = path.arrayValue?.first?.stringValue { attributes[attribute] = buffer }
        }
        return attributes
    }
}
