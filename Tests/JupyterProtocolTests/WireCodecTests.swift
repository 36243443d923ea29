import Foundation
import XCTest

@testable import JupyterProtocol

final class WireCodecTests: XCTestCase {
    func header() -> MessageHeader {
        var h = MessageHeader(msgType: "kernel_info_request", session: "s1", username: "u", msgID: "m1")
        h.date = "2026-11-23T07:00:00.000000Z"
        return h
    }

    /// The signature jupyter_client computes: Python's
    /// `hmac.new(b"secret-key", digestmod=hashlib.sha256)` updated with the
    /// header, parent header, metadata and content frames below gives
    /// b406bdf4…75feb (computed with Python 3.11's hmac module).
    func testSignatureMatchesPythonHMAC() {
        let frames = WireCodec(key: "secret-key").encode(Message(header: header()))
        XCTAssertEqual(
            String(decoding: frames[2], as: UTF8.self),
            #"{"date":"2026-11-23T07:00:00.000000Z","msg_id":"m1","msg_type":"kernel_info_request","#
                + #""session":"s1","username":"u","version":"5.3"}"#)
        XCTAssertEqual(
            String(decoding: frames[1], as: UTF8.self),
            "b406bdf4b96ceda7e91f990761126d3d058807c5ae993aee71d810893fc75feb")
    }

    func testRoundTripKeepsIdentitiesParentAndBuffers() throws {
        let codec = WireCodec(key: "k")
        let request = Message(
            identities: [Data("client-7".utf8)], header: header(),
            content: ["code": "let x = 1", "silent": false, "n": 3])
        var reply = request.child("execute_reply", content: ["status": "ok", "execution_count": 1])
        reply.buffers = [Data([0, 1, 2])]
        let frames = codec.encode(reply)
        XCTAssertEqual(frames[0], Data("client-7".utf8))
        XCTAssertEqual(frames[1], WireCodec.delimiter)
        let decoded = try codec.decode(frames)
        XCTAssertEqual(decoded, reply)
        XCTAssertEqual(decoded.parentHeader?.msgID, "m1")
        XCTAssertEqual(decoded.content["execution_count"], .int(1), "integers stay integers")
        XCTAssertEqual(try codec.decode(codec.encode(request)).parentHeader, nil, "{} parent decodes to nil")
    }

    func testWrongSignatureIsRejected() {
        var frames = WireCodec(key: "right").encode(Message(header: header()))
        XCTAssertThrowsError(try WireCodec(key: "wrong").decode(frames)) {
            XCTAssertTrue("\($0)".contains("signature does not match"))
        }
        frames[3] = Data(#"{"tampered":true}"#.utf8)
        XCTAssertThrowsError(try WireCodec(key: "right").decode(frames))
    }

    func testEmptyKeyMeansUnsigned() throws {
        let frames = WireCodec(key: "").encode(Message(header: header()))
        XCTAssertEqual(frames[1], Data())
        XCTAssertEqual(try WireCodec(key: "").decode(frames).msgType, "kernel_info_request")
    }

    func testMalformedFramesFailWithASentence() {
        let codec = WireCodec(key: "")
        XCTAssertThrowsError(try codec.decode([Data("x".utf8)])) { XCTAssertTrue("\($0)".contains("<IDS|MSG>")) }
        XCTAssertThrowsError(try codec.decode([WireCodec.delimiter, Data(), Data("{}".utf8)])) {
            XCTAssertTrue("\($0)".contains("at least 5"))
        }
    }

    func testTimestampFormat() {
        // Python: datetime.fromtimestamp(1795000000.25, timezone.utc) is
        // 2026-11-18T11:06:40.250000+00:00.
        let date = Date(timeIntervalSince1970: 1_795_000_000.25)
        XCTAssertEqual(MessageHeader.timestamp(date), "2026-11-18T11:06:40.250000Z")
    }
}

final class ConnectionInfoTests: XCTestCase {
    func testReadsAJupyterConnectionFile() throws {
        // As jupyter_client.connect.write_connection_file writes it.
        let text = """
            {"shell_port": 53001, "iopub_port": 53002, "stdin_port": 53003, "control_port": 53004,
             "hb_port": 53005, "ip": "127.0.0.1", "key": "a0b1", "transport": "tcp",
             "signature_scheme": "hmac-sha256", "kernel_name": "swift-ddpm"}
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-\(UUID()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let info = try ConnectionInfo.load(from: path)
        XCTAssertEqual(info.endpoint(info.shellPort), "tcp://127.0.0.1:53001")
        XCTAssertEqual(info.hbPort, 53005)
        XCTAssertEqual(info.key, "a0b1")
        var ipc = info
        ipc.transport = "ipc"
        ipc.ip = "/tmp/kernel"
        XCTAssertEqual(ipc.endpoint(5), "ipc:///tmp/kernel-5")
        XCTAssertThrowsError(try ConnectionInfo.load(from: "/nonexistent.json")) {
            XCTAssertTrue("\($0)".contains("cannot read the connection file"))
        }
    }
}
