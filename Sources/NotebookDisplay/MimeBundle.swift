import Foundation
@_exported import WireJSON

/// What a notebook shows for a value: the same content in several MIME
/// types, the frontend picking the richest it can render (Jupyter messaging
/// spec, "display_data"). Text formats are strings, binary formats base64
/// strings (as the protocol carries them), JSON formats JSON values (a
/// widget view). `text/plain` is always present.
public struct MimeBundle: Equatable, Sendable {
    /// MIME type → content (text, base64 for binary formats, JSON for a widget view).
    public var data: [String: JSONValue]
    /// Per-MIME-type attributes, such as an image's `width` and `height`.
    public var metadata: [String: JSONValue]

    public init(data: [String: JSONValue], metadata: [String: JSONValue] = [:]) {
        self.data = data
        self.metadata = metadata
        if self.data["text/plain"] == nil {
            self.data["text/plain"] = .string("<\(data.keys.sorted().joined(separator: ", "))>")
        }
    }

    /// The plain-text form, which every bundle has.
    public var text: String {
        get { data["text/plain"]?.stringValue ?? "" }
        set { data["text/plain"] = .string(newValue) }
    }

    /// The content of a text or base64 MIME type.
    public func string(_ mimeType: String) -> String? { data[mimeType]?.stringValue }

    public init(text: String) { self.init(data: ["text/plain": .string(text)]) }

    public init(html: String, text: String = "<HTML>") {
        self.init(data: ["text/html": .string(html), "text/plain": .string(text)])
    }

    public init(markdown: String) {
        self.init(data: ["text/markdown": .string(markdown), "text/plain": .string(markdown)])
    }

    /// An image in an encoded format (`image/png`, `image/gif`).
    public init(image bytes: [UInt8], mimeType: String, width: Int? = nil, height: Int? = nil, text: String? = nil) {
        var attributes: [String: JSONValue] = [:]
        if let width { attributes["width"] = .int(width) }
        if let height { attributes["height"] = .int(height) }
        self.init(
            data: [
                mimeType: .string(Data(bytes).base64EncodedString()),
                "text/plain": .string(text ?? "<\(mimeType), \(bytes.count) bytes>"),
            ],
            metadata: attributes.isEmpty ? [:] : [mimeType: .object(attributes)])
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

/// A bundle shows itself (a function that builds its own bundle can return it).
extension MimeBundle: Displayable {
    public var mimeBundle: MimeBundle { self }
}
