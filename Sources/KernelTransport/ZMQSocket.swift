import CZeroMQ
import Foundation

/// A failed ZeroMQ call, with libzmq's own words.
public struct TransportError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String) {
        description = "\(what): \(String(cString: zmq_strerror(zmq_errno())))"
    }
}

/// One ZeroMQ context for all of the kernel's sockets.
public final class ZMQContext: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    public init() {
        raw = zmq_ctx_new()
    }

    /// Makes every blocking call on this context's sockets return (ETERM),
    /// so that threads parked in them can close their sockets and end.
    public func shutdown() {
        zmq_ctx_shutdown(raw)
    }

    deinit {
        zmq_ctx_term(raw)
    }
}

/// A ZeroMQ socket that sends and receives multipart messages as `[Data]`.
///
/// Not thread-safe, as ZeroMQ sockets are not: each socket belongs to one
/// thread.
public final class ZMQSocket: @unchecked Sendable {
    public enum Kind {
        case router, dealer, pub, sub, rep, req, pair
        var raw: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .pub: return ZMQ_PUB
            case .sub: return ZMQ_SUB
            case .rep: return ZMQ_REP
            case .req: return ZMQ_REQ
            case .pair: return ZMQ_PAIR
            }
        }
    }

    let raw: UnsafeMutableRawPointer
    private var closed = false
    /// Held so that the context outlives its sockets: `zmq_ctx_term` waits
    /// for every socket to close.
    private let context: ZMQContext

    public init(_ context: ZMQContext, _ kind: Kind) throws {
        guard let socket = zmq_socket(context.raw, kind.raw) else { throw TransportError("zmq_socket") }
        raw = socket
        self.context = context
        var linger: Int32 = 0  // never block shutdown on unsent messages
        zmq_setsockopt(raw, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        if kind == .sub { zmq_setsockopt(raw, ZMQ_SUBSCRIBE, "", 0) }
    }

    deinit { close() }

    public func close() {
        if !closed {
            zmq_close(raw)
            closed = true
        }
    }

    /// Binds to an endpoint such as `tcp://127.0.0.1:5555` (or `:*` for any
    /// free port) and returns the endpoint actually bound.
    @discardableResult
    public func bind(_ endpoint: String) throws -> String {
        guard zmq_bind(raw, endpoint) == 0 else { throw TransportError("cannot bind \(endpoint)") }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(raw, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(cString: buffer)
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(raw, endpoint) == 0 else { throw TransportError("cannot connect to \(endpoint)") }
    }

    /// Sends the frames as one multipart message.
    public func send(_ frames: [Data]) throws {
        for (i, frame) in frames.enumerated() {
            let flags = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { bytes in
                zmq_send(raw, bytes.baseAddress, bytes.count, flags)
            }
            guard sent >= 0 else { throw TransportError("zmq_send") }
        }
    }

    /// Receives one multipart message, blocking until it arrives.
    public func receive() throws -> [Data] {
        var frames: [Data] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        repeat {
            guard zmq_msg_recv(&message, raw, 0) >= 0 else { throw TransportError("zmq_msg_recv") }
            frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
        } while zmq_msg_more(&message) == 1
        return frames
    }

    /// Whether a message can be received within `milliseconds` (-1: wait).
    public func poll(milliseconds: Int) throws -> Bool {
        var item = zmq_pollitem_t(socket: raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let ready = zmq_poll(&item, 1, milliseconds)
        guard ready >= 0 else { throw TransportError("zmq_poll") }
        return ready > 0
    }
}

extension ZMQSocket {
    /// Receives one multipart message if one is waiting, without blocking.
    public func receiveIfReady() throws -> [Data]? {
        try poll(milliseconds: 0) ? receive() : nil
    }
}

/// Waits on sockets and plain descriptors (the executor's pipes) together.
public enum Poller {
    /// Which of `sockets` and `fds` are readable (or, for a descriptor,
    /// closed by the writer), waiting at most `milliseconds` (-1: forever).
    public static func poll(sockets: [ZMQSocket], fds: [Int32], milliseconds: Int) throws -> (
        sockets: [Bool], fds: [Bool]
    ) {
        var items = sockets.map { zmq_pollitem_t(socket: $0.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        items += fds.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let ready = zmq_poll(&items, Int32(items.count), milliseconds)
        if ready < 0 && zmq_errno() != EINTR { throw TransportError("zmq_poll") }
        let flags = items.map { ready > 0 && $0.revents != 0 }
        return (Array(flags.prefix(sockets.count)), Array(flags.dropFirst(sockets.count)))
    }
}
