import Foundation
import JupyterProtocol

/// The inputs (and text outputs) of the cells run with `store_history`,
/// answering `history_request` (messaging spec, "History"): the last `n`,
/// a range of line numbers, or a glob search.
struct History {
    struct Entry {
        let line: Int
        let input: String
        var output: String?
    }

    /// This kernel's session number in replies; requests may also say 0
    /// (the current session, as IPython counts).
    static let session = 1
    private(set) var entries: [Entry] = []

    mutating func append(line: Int, input: String) { entries.append(Entry(line: line, input: input)) }

    mutating func setOutput(line: Int, _ output: String) {
        if let index = entries.lastIndex(where: { $0.line == line }) { entries[index].output = output }
    }

    /// The `history` list of a reply to `request` (a history_request's content).
    func reply(to request: JSONValue) -> [JSONValue] {
        let n = request["n"]?.intValue
        var selected: [Entry]
        switch request["hist_access_type"]?.stringValue {
        case "tail":
            selected = Array(entries.suffix(n ?? 10))
        case "range":
            let session = request["session"]?.intValue ?? 0
            guard session == 0 || session == History.session else { return [] }
            let start = request["start"]?.intValue ?? 1
            let stop = request["stop"]?.intValue  // exclusive; nil: to the end
            selected = entries.filter { $0.line >= start && (stop == nil || $0.line < stop!) }
        case "search":
            let pattern = request["pattern"]?.stringValue ?? "*"
            selected = entries.filter { fnmatch(pattern, $0.input, 0) == 0 }
            if request["unique"]?.boolValue == true {
                // The latest occurrence of each input, in order.
                var seen = Set<String>()
                selected = selected.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            if let n { selected = Array(selected.suffix(n)) }
        default:
            selected = []
        }
        let withOutput = request["output"]?.boolValue == true
        return selected.map { entry in
            let item: JSONValue =
                withOutput ? [.string(entry.input), entry.output.map(JSONValue.string) ?? .null] : .string(entry.input)
            return [.int(History.session), .int(entry.line), item]
        }
    }
}
