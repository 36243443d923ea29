import Foundation

/// The header of a message (messaging spec, "General Message Format").
public struct MessageHeader: Codable, Equatable, Sendable {
    public var msgID: String
    public var session: String
    public var username: String
    public var date: String
    public var msgType: String
    public var version: String

    enum CodingKeys: String, CodingKey {
        case session, username, date, version
        case msgID = "msg_id", msgType = "msg_type"
    }

    /// The protocol version this kernel speaks. 5.3 or later: the
    /// conformance schema forbids extra fields in messages claiming 5.0/5.1.
    public static let protocolVersion = "5.3"

    public init(
        msgType: String, session: String, username: String = "kernel", msgID: String = UUID().uuidString,
        date: Date = Date()
    ) {
        self.msgID = msgID
        self.session = session
        self.username = username
        self.date = MessageHeader.timestamp(date)
        self.msgType = msgType
        self.version = MessageHeader.protocolVersion
    }

    /// ISO 8601 with microseconds and a Z, as ipykernel writes dates.
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        let micro = Int(((seconds - whole) * 1e6).rounded()) % 1_000_000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micro)
    }

    var json: JSONValue {
        [
            "msg_id": .string(msgID), "session": .string(session), "username": .string(username), "date": .string(date),
            "msg_type": .string(msgType), "version": .string(version),
        ]
    }
}

/// One Jupyter message with its routing identities and binary buffers.
public struct Message: Equatable, Sendable {
    public var identities: [Data]
    public var header: MessageHeader
    /// The header of the request this answers; nil for requests.
    public var parentHeader: MessageHeader?
    public var metadata: JSONValue
    public var content: JSONValue
    public var buffers: [Data]

    public init(
        identities: [Data] = [], header: MessageHeader, parentHeader: MessageHeader? = nil,
        metadata: JSONValue = [:], content: JSONValue = [:], buffers: [Data] = []
    ) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    public var msgType: String { header.msgType }

    /// A message answering or caused by `self` (a reply, or an iopub message
    /// about it): same session and routing identities, `self`'s header as parent.
    public func child(_ msgType: String, content: JSONValue, metadata: JSONValue = [:]) -> Message {
        Message(
            identities: identities, header: MessageHeader(msgType: msgType, session: header.session),
            parentHeader: header, metadata: metadata, content: content)
    }
}
