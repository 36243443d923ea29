import CZeroMQ
import Foundation

/// The heartbeat channel: a REP socket that echoes every ping, on a thread of
/// its own so that it answers while a cell runs (as ipykernel's
/// `zmq.device(zmq.QUEUE, socket, socket)` does).
public final class Heartbeat: @unchecked Sendable {
    private let socket: ZMQSocket
    private let thread: Thread
    public let endpoint: String

    public init(_ context: ZMQContext, endpoint: String) throws {
        let socket = try ZMQSocket(context, .rep)
        self.endpoint = try socket.bind(endpoint)
        self.socket = socket
        thread = Thread {
            // Returns when the context is shut down (ETERM).
            zmq_proxy(socket.raw, socket.raw, nil)
            socket.close()
        }
        thread.name = "heartbeat"
        thread.start()
    }
}
