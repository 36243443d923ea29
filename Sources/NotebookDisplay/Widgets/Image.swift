import Foundation

/// A picture (`ImageModel`) whose bytes travel as a binary buffer, not
/// base64: setting `png` redraws it in place with one `update` message,
/// the fast way to animate a plot from a callback.
public final class Image: DOMWidget, @unchecked Sendable {
    public init(png: [UInt8] = [], width: Int? = nil, height: Int? = nil) {
        var attributes: [String: JSONValue] = ["format": "png"]
        if let width { attributes["width"] = .string("\(width)") }
        if let height { attributes["height"] = .string("\(height)") }
        super.init(model: "ImageModel", view: "ImageView", attributes: attributes, buffers: ["value": Data(png)])
    }

    /// The PNG file's bytes.
    public var png: [UInt8] {
        get { buffers["value"].map { [UInt8]($0) } ?? [] }
        set { set(["format": "png"], buffers: ["value": Data(newValue)]) }
    }

    override public var textDescription: String { "<image/png, \(buffers["value"]?.count ?? 0) bytes>" }
}
