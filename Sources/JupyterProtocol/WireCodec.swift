import Crypto
import Foundation

/// Turns messages into ZeroMQ multipart frames and back (messaging spec,
/// "The Wire Protocol"):
///
///     [identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]
///
/// The signature is the hex HMAC-SHA256, keyed with the connection file's
/// key, of the four JSON frames concatenated; with an empty key it is empty
/// and not checked.
public struct WireCodec {
    public static let delimiter = Data("<IDS|MSG>".utf8)
    private let key: SymmetricKey?

    public init(key: String) {
        self.key = key.isEmpty ? nil : SymmetricKey(data: Data(key.utf8))
    }

    /// The hex signature of the four JSON frames.
    public func signature(_ parts: [Data]) -> String {
        guard let key = key else { return "" }
        var hmac = HMAC<SHA256>(key: key)
        for part in parts { hmac.update(data: part) }
        return hmac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public func encode(_ message: Message) -> [Data] {
        let parts = [
            message.header.json.serialized(),
            message.parentHeader.map { $0.json.serialized() } ?? Data("{}".utf8),
            message.metadata.serialized(),
            message.content.serialized(),
        ]
        return message.identities + [WireCodec.delimiter, Data(signature(parts).utf8)] + parts + message.buffers
    }

    /// Parses frames, checking the signature in constant time.
    public func decode(_ frames: [Data]) throws -> Message {
        guard let split = frames.firstIndex(of: WireCodec.delimiter) else {
            throw ProtocolError("the message has no <IDS|MSG> delimiter frame.")
        }
        let rest = Array(frames[(split + 1)...])
        guard rest.count >= 5 else {
            throw ProtocolError(
                "the message has \(rest.count) frames after <IDS|MSG>; it needs at least 5 "
                    + "(signature, header, parent header, metadata, content).")
        }
        let parts = Array(rest[1...4])
        if key != nil {
            let expected = Data(signature(parts).utf8)
            guard expected.count == rest[0].count,
                zip(expected, rest[0]).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0
            else {
                throw ProtocolError("the message signature does not match; it was not signed with this kernel's key.")
            }
        }
        let decoder = JSONDecoder()
        let header: MessageHeader
        do {
            header = try decoder.decode(MessageHeader.self, from: parts[0])
        } catch {
            throw ProtocolError("the message header is not a valid Jupyter header: \(error)")
        }
        // A request's parent header is `{}`, which is no header: nil.
        let parent = try? decoder.decode(MessageHeader.self, from: parts[1])
        return Message(
            identities: Array(frames[..<split]), header: header, parentHeader: parent,
            metadata: try JSONValue.parse(parts[2]), content: try JSONValue.parse(parts[3]),
            buffers: Array(rest.dropFirst(5)))
    }
}
