import Foundation
import JupyterProtocol
import XCTest

@testable import KernelTransport

/// Real sockets on loopback: what a Jupyter client does to a kernel.
final class TransportTests: XCTestCase {
    func testHeartbeatEchoesOnItsOwnThread() throws {
        let context = ZMQContext()
        let heartbeat = try Heartbeat(context, endpoint: "tcp://127.0.0.1:*")
        let client = try ZMQSocket(context, .req)
        try client.connect(heartbeat.endpoint)
        for i in 0..<3 {
            let ping = Data("ping \(i)".utf8)
            try client.send([ping])
            XCTAssertTrue(try client.poll(milliseconds: 2000), "the heartbeat answers within 2 s")
            XCTAssertEqual(try client.receive(), [ping])
        }
        client.close()
        context.shutdown()
    }

    func testRouterAnswersADealerWithSignedFrames() throws {
        // The shell channel: the frontend's DEALER talks to the kernel's ROUTER,
        // which prefixes the routing identity the reply must carry back.
        let context = ZMQContext()
        let shell = try ZMQSocket(context, .router)
        let endpoint = try shell.bind("tcp://127.0.0.1:*")
        let frontend = try ZMQSocket(context, .dealer)
        try frontend.connect(endpoint)
        let codec = WireCodec(key: "k")
        let request = Message(header: MessageHeader(msgType: "kernel_info_request", session: "s"))
        try frontend.send(codec.encode(request))

        XCTAssertTrue(try shell.poll(milliseconds: 2000))
        let received = try codec.decode(shell.receive())
        XCTAssertEqual(received.identities.count, 1, "the ROUTER adds the sender's identity")
        XCTAssertEqual(received.header, request.header)
        try shell.send(codec.encode(received.child("kernel_info_reply", content: ["status": "ok"])))

        XCTAssertTrue(try frontend.poll(milliseconds: 2000))
        let reply = try codec.decode(frontend.receive())
        XCTAssertEqual(reply.msgType, "kernel_info_reply")
        XCTAssertEqual(reply.parentHeader?.msgID, request.header.msgID)
        shell.close()
        frontend.close()
    }

    func testPollTimesOutWhenNothingArrives() throws {
        let context = ZMQContext()
        let socket = try ZMQSocket(context, .router)
        try socket.bind("tcp://127.0.0.1:*")
        XCTAssertFalse(try socket.poll(milliseconds: 10))
    }

    func testBindFailureNamesTheEndpoint() throws {
        let context = ZMQContext()
        let socket = try ZMQSocket(context, .router)
        XCTAssertThrowsError(try socket.bind("tcp://256.0.0.1:1")) {
            XCTAssertTrue("\($0)".contains("cannot bind tcp://256.0.0.1:1"), "\($0)")
        }
    }
}
