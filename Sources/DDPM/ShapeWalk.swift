import NotebookDisplay

/// The shape of the tensor after every block of a network for one input
/// (`model.shapeWalk(x, t)`): how a UNet halves the resolution while it
/// widens the channels, and comes back. Shows as a table.
public struct ShapeWalk: Displayable, CustomStringConvertible {
    /// One block: its state-dict path, its kind, the shape it returns.
    public struct Row: Sendable {
        public let name: String
        public let kind: String
        public let shape: [Int]
    }

    public let input: [Int]
    public private(set) var rows: [Row] = []

    init(input: [Int]) { self.input = input }

    mutating func append(_ name: String, _ kind: String, _ shape: [Int]) {
        rows.append(Row(name: name, kind: kind, shape: shape))
    }

    private static func format(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    public var description: String {
        let all = [("input", "", input)] + rows.map { ($0.name, $0.kind, $0.shape) }
        let nameWidth = all.map(\.0.count).max() ?? 0
        let kindWidth = all.map(\.1.count).max() ?? 0
        return all.map { name, kind, shape in
            name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                + kind.padding(toLength: kindWidth + 2, withPad: " ", startingAt: 0) + ShapeWalk.format(shape)
        }.joined(separator: "\n")
    }

    public var mimeBundle: MimeBundle {
        let cells = [("input", "", input)] + rows.map { ($0.name, $0.kind, $0.shape) }
        let body = cells.map { name, kind, shape in
            "<tr><td style=\"text-align:left\"><code>\(escapeHTML(name))</code></td>"
                + "<td style=\"text-align:left\">\(escapeHTML(kind))</td>"
                + "<td style=\"text-align:left\"><code>\(ShapeWalk.format(shape))</code></td></tr>"
        }.joined()
        let html =
            "<table><thead><tr><th style=\"text-align:left\">block</th><th style=\"text-align:left\">kind</th>"
            + "<th style=\"text-align:left\">output shape</th></tr></thead><tbody>\(body)</tbody></table>"
        return MimeBundle(html: html, text: description)
    }
}

/// Text made safe inside HTML.
func escapeHTML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
}
