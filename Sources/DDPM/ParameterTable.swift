import NN
import NotebookDisplay

/// Where a model's parameters are (`model.parameterTable()`): one row per
/// tensor with its state-dict key and shape, or with `depth` one row per
/// module at that depth of the key (`depth: 1` gives `init_conv`, `downs.0`,
/// …) with its kind and size; the total at the bottom. Buffers (BatchNorm's
/// running statistics) are listed in their own rows and not counted as
/// parameters, as `sum(p.numel() for p in model.parameters())` counts.
public struct ParameterTable: Displayable, CustomStringConvertible {
    public struct Row: Sendable {
        public let name: String
        /// A tensor's shape, or a module's kind.
        public let detail: String
        public let count: Int
        public let isBuffer: Bool
    }

    public let rows: [Row]
    /// The number of trainable scalars.
    public let total: Int

    public init(_ model: any Module, depth: Int? = nil) {
        let parameters = model.namedParameters().map { ($0.name, $0.tensor.shape, false) }
        let buffers = model.namedBuffers().map { ($0.name, $0.buffer.wrappedValue.shape, true) }
        total = parameters.reduce(0) { $0 + $1.1.reduce(1, *) }
        guard let depth = depth, depth >= 1 else {
            rows = (parameters + buffers).map { name, shape, isBuffer in
                Row(
                    name: name, detail: "[" + shape.map(String.init).joined(separator: ", ") + "]",
                    count: shape.reduce(1, *), isBuffer: isBuffer)
            }
            return
        }
        let kinds = Dictionary(
            model.namedModules().map { ($0.name, String(describing: type(of: $0.module))) },
            uniquingKeysWith: { first, _ in first })
        var order: [String] = []
        var counts: [String: Int] = [:]
        for (name, shape, _) in parameters {
            // The module's path (the key without the tensor's name), cut at `depth`.
            let key = name.split(separator: ".").dropLast().prefix(depth).joined(separator: ".")
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += shape.reduce(1, *)
        }
        // A path that is no module but holds modules is a list of them (PyTorch's ModuleList).
        func kind(_ path: String) -> String {
            kinds[path] ?? (kinds.keys.contains { $0.hasPrefix(path + ".") } ? "ModuleList" : "Tensor")
        }
        rows = order.map { Row(name: $0, detail: kind($0), count: counts[$0]!, isBuffer: false) }
    }

    public var description: String {
        let lines =
            rows.map { ($0.name + ($0.isBuffer ? " (buffer)" : ""), $0.detail, String($0.count)) }
            + [("total", "", String(total))]
        let widths = (lines.map(\.0.count).max() ?? 0, lines.map(\.1.count).max() ?? 0, lines.map(\.2.count).max() ?? 0)
        return lines.map { name, detail, count in
            name.padding(toLength: widths.0 + 2, withPad: " ", startingAt: 0)
                + detail.padding(toLength: widths.1 + 2, withPad: " ", startingAt: 0)
                + String(repeating: " ", count: widths.2 - count.count) + count
        }.joined(separator: "\n")
    }

    public var mimeBundle: MimeBundle {
        let body = rows.map { row in
            "<tr><td style=\"text-align:left\"><code>\(escapeHTML(row.name))</code>\(row.isBuffer ? " (buffer)" : "")"
                + "</td><td style=\"text-align:left\">\(escapeHTML(row.detail))</td><td>\(row.count)</td></tr>"
        }.joined()
        let html =
            "<table><thead><tr><th style=\"text-align:left\">name</th><th style=\"text-align:left\">shape or kind</th>"
            + "<th>values</th></tr></thead><tbody>\(body)<tr><td style=\"text-align:left\"><b>total</b></td><td></td>"
            + "<td><b>\(total)</b></td></tr></tbody></table>"
        return MimeBundle(html: html, text: description)
    }
}

extension Module {
    /// The model's parameters as a table; see `ParameterTable`.
    public func parameterTable(depth: Int? = nil) -> ParameterTable { ParameterTable(self, depth: depth) }
}
