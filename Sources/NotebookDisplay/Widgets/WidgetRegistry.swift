import ExecutorWire
import Foundation

/// The notebook's widgets by model id, so that a frontend's comm message
/// reaches its widget. Widgets live as long as the notebook's process: a
/// view in the page may show any of them again.
final class WidgetRegistry: @unchecked Sendable {
    nonisolated(unsafe) static let shared = WidgetRegistry()

    private var widgets: [String: Widget] = [:]

    func register(_ widget: Widget) { widgets[widget.id] = widget }

    func widget(_ id: String) -> Widget? { widgets[id] }
}

/// Called by the executor in a forked child for each comm message the
/// frontend sent to a widget (`ExecutorCommand.event`): reads the
/// `CommDelivery` from the file `payload`, makes its `comm_msg` the parent of
/// what the callbacks show (an `Output` captures by it), and hands the
/// message to the widget. A message for a widget this process does not have
/// (made by a cell that failed) is dropped.
@_cdecl("ddpm_notebook_dispatch")
public func notebookDispatch(_ payload: UnsafePointer<CChar>) {
    let path = String(cString: payload)
    guard let data = FileManager.default.contents(atPath: path),
        let delivery = try? JSONDecoder().decode(CommDelivery.self, from: data)
    else {
        FileHandle.standardError.write(Data("ddpm: cannot read the widget event \(path)\n".utf8))
        return
    }
    NotebookChannel.parent = delivery.parent
    WidgetRegistry.shared.widget(delivery.message.commID)?.receive(delivery.message)
}
