import ExecutorWire
import Foundation

/// A Jupyter widget model living in the notebook (ipywidgets 8's protocol
/// 2.1.0, `packages/schema/messages.md`): its state is a dictionary of
/// attributes synced over a comm of target `jupyter.widget` with the
/// frontend's model of the same id, which JupyterLab's widget extension
/// draws. The kernel keeps a copy of every state it sees, so that a page
/// reload gets the widgets back without the notebook's process.
///
/// Setting an attribute here sends an `update`; an `update` from the
/// frontend (the user dragged a slider) changes the attributes and runs the
/// observers, in a forked child of the notebook's process, like a cell: a
/// callback that traps rolls back (the executor's `event` command).
///
/// The concrete widgets (`IntSlider`, `Dropdown`, `VBox`, `Output`, …) set
/// their model names and attributes; unset attributes take the defaults of
/// the model specification (`jupyterwidgetmodels.latest.md`).
open class Widget: Displayable, @unchecked Sendable {
    /// The widget protocol this runtime speaks (`comm_open` metadata `version`).
    public static let protocolVersion = "2.1.0"

    /// Where a model or view class lives on the frontend, and its version.
    public struct Module: Sendable {
        public var name: String
        public var version: String
        public static let controls = Module(name: "@jupyter-widgets/controls", version: "2.0.0")
        public static let base = Module(name: "@jupyter-widgets/base", version: "2.0.0")
        public static let output = Module(name: "@jupyter-widgets/output", version: "1.0.0")
    }

    /// The comm the model lives on; its id is the model id views refer to.
    public let comm: Comm
    /// The attributes as the notebook knows them (binary ones are in `buffers`).
    public private(set) var state: [String: JSONValue]
    /// Attributes carried as binary buffers (an `Image`'s `value`).
    public private(set) var buffers: [String: Data]
    private var observers: [(attributes: Set<String>, callback: (Widget) -> Void)] = []

    /// Opens the model: `comm_open` with the whole state (the six
    /// `_model_*`/`_view_*` keys and `attributes`); `view` nil for a model
    /// without a view (a link).
    public init(
        model: String, view: String?, module: Module = .controls, viewModule: Module? = nil,
        attributes: [String: JSONValue], buffers: [String: Data] = [:]
    ) {
        let viewModule = viewModule ?? module
        var state = attributes
        state["_model_name"] = .string(model)
        state["_model_module"] = .string(module.name)
        state["_model_module_version"] = .string(module.version)
        state["_view_name"] = view.map(JSONValue.string) ?? .null
        state["_view_module"] = .string(viewModule.name)
        state["_view_module_version"] = .string(viewModule.version)
        self.state = state
        self.buffers = buffers
        let keys = buffers.keys.sorted()
        comm = Comm.open(
            target: "jupyter.widget",
            data: ["state": .object(state), "buffer_paths": .array(keys.map { [.string($0)] })],
            metadata: ["version": .string(Widget.protocolVersion)], buffers: keys.map { buffers[$0]! })
        WidgetRegistry.shared.register(self)
    }

    /// The model id (the comm's).
    public var id: String { comm.id }

    /// How other widgets refer to this one in their state (`children`, `layout`).
    public var reference: JSONValue { .string("IPY_MODEL_" + id) }

    /// An attribute.
    public subscript(attribute: String) -> JSONValue? { state[attribute] }

    /// Changes attributes, tells the frontend (one `update`) and runs the
    /// observers of the attributes that changed.
    public func set(_ changes: [String: JSONValue], buffers binary: [String: Data] = [:]) {
        let changed = changes.filter { state[$0.key] != $0.value }
        let changedBinary = binary.filter { buffers[$0.key] != $0.value }
        guard !changed.isEmpty || !changedBinary.isEmpty else { return }
        state.merge(changed) { _, new in new }
        buffers.merge(changedBinary) { _, new in new }
        let keys = changedBinary.keys.sorted()
        comm.send(
            ["method": "update", "state": .object(changed), "buffer_paths": .array(keys.map { [.string($0)] })],
            buffers: keys.map { changedBinary[$0]! })
        notify(Set(changed.keys).union(changedBinary.keys))
    }

    /// Runs `callback` after any of `attributes` changes, from the frontend
    /// or from the notebook (ipywidgets' `observe(handler, names=…)`).
    public func observe(_ attributes: [String], _ callback: @escaping (Widget) -> Void) {
        observers.append((Set(attributes), callback))
    }

    /// A comm message from the frontend (messages.md, "Synchronizing the state").
    func receive(_ message: CommEvent) {
        switch message.data["method"]?.stringValue {
        case "update":
            var changes: [String: JSONValue] = [:]
            if case .object(let fields)? = message.data["state"] { changes = fields }
            var binary: [String: Data] = [:]
            for (path, buffer) in zip(message.data["buffer_paths"]?.arrayValue ?? [], message.buffers) {
                if let key = path.arrayValue?.first?.stringValue { binary[key] = buffer }
            }
            let changed = Set(changes.filter { state[$0.key] != $0.value }.keys).union(binary.keys)
            state.merge(changes) { _, new in new }
            buffers.merge(binary) { _, new in new }
            notify(changed)
        case "request_state":
            let keys = buffers.keys.sorted()
            comm.send(
                ["method": "update", "state": .object(state), "buffer_paths": .array(keys.map { [.string($0)] })],
                buffers: keys.map { buffers[$0]! })
        case "custom":
            handleCustom(message.data["content"] ?? .null)
        default:
            break
        }
    }

    /// A `custom` message's content (a button's `{event: "click"}`).
    open func handleCustom(_ content: JSONValue) {}

    /// Each observer of any of `attributes`, once, in the order they were added.
    private func notify(_ attributes: Set<String>) {
        for observer in observers where !observer.attributes.isDisjoint(with: attributes) { observer.callback(self) }
    }

    /// What a frontend without the widget extension shows (and `print`).
    open var textDescription: String { "\(state["_model_name"]?.stringValue ?? "Widget")" }

    /// The widget's view (`application/vnd.jupyter.widget-view+json`, version
    /// 2.0) with its text form.
    public var mimeBundle: MimeBundle {
        MimeBundle(data: [
            "application/vnd.jupyter.widget-view+json": [
                "model_id": .string(id), "version_major": 2, "version_minor": 0,
            ],
            "text/plain": .string(textDescription),
        ])
    }
}

/// Stops with `message` when a widget is given bad input. Unlike
/// `precondition`, whose message an optimised library drops, the message
/// reaches the kernel, which shows it and rolls the cell back.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
