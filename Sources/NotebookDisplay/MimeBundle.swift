import Foundation

/// What a notebook shows for a value: the same content in several MIME
/// types, the frontend picking the richest it can render (Jupyter messaging
/// spec, "display_data"). Binary formats are stored in base64, as the
/// protocol carries them. `text/plain` is always present.
public struct MimeBundle: Equatable, Sendable {
    public var data: [String: String]
    /// Per-MIME-type attributes, such as an image's `width` and `height`.
    public var metadata: [String: [String: Int]]

    public init(data: [String: String], metadata: [String: [String: Int]] = [:]) {
        self.data = data
        self.metadata = metadata
        if self.data["text/plain"] == nil { self.data["text/plain"] = "<\(data.keys.sorted().joined(separator: ", "))>" }
    }

    public init(text: String) { self.init(data: ["text/plain": text]) }

    public init(html: String, text: String = "<HTML>") { self.init(data: ["text/html": html, "text/plain": text]) }

    public init(markdown: String) { self.init(data: ["text/markdown": markdown, "text/plain": markdown]) }

    /// An image in an encoded format (`image/png`, `image/gif`).
    public init(image bytes: [UInt8], mimeType: String, width: Int? = nil, height: Int? = nil, text: String? = nil) {
        var attributes: [String: Int] = [:]
        if let width { attributes["width"] = width }
        if let height { attributes["height"] = height }
        self.init(
            data: [mimeType: Data(bytes).base64EncodedString(),
                   "text/plain": text ?? "<\(mimeType), \(bytes.count) bytes>"],
            metadata: attributes.isEmpty ? [:] : [mimeType: attributes])
    }

    /// The bundle for any value: its own when it is `Displayable`, otherwise
    /// its description (a string in quotes, as a REPL shows it).
    public init<T>(for value: T) {
        if let displayable = value as? Displayable {
            self = displayable.mimeBundle
        } else if let string = value as? String {
            self.init(text: String(reflecting: string))
        } else {
            self.init(text: String(describing: value))
        }
    }
}

/// A value with a rich notebook form: shown by `display(_:)`, and when it is
/// the last expression of a cell.
public protocol Displayable {
    var mimeBundle: MimeBundle { get }
}
