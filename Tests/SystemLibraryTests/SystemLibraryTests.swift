import COpenBLAS
import CPNG
import CZeroMQ
import XCTest

/// The Debian libraries are found through pkg-config, link, and work.
final class SystemLibraryTests: XCTestCase {
    func testZeroMQSendsAMessage() throws {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        XCTAssertEqual(major, 4, "the kernel protocol needs libzmq 4")

        let context = zmq_ctx_new()
        defer { zmq_ctx_term(context) }
        let server = zmq_socket(context, ZMQ_PAIR)
        let client = zmq_socket(context, ZMQ_PAIR)
        defer {
            zmq_close(server)
            zmq_close(client)
        }
        XCTAssertEqual(zmq_bind(server, "inproc://system-library-test"), 0)
        XCTAssertEqual(zmq_connect(client, "inproc://system-library-test"), 0)
        let message = Array("hello".utf8)
        XCTAssertEqual(zmq_send(client, message, message.count, 0), 5)
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(zmq_recv(server, &buffer, buffer.count, 0), 5)
        XCTAssertEqual(Array(buffer[0..<5]), message)
    }

    func testLibPNGCreatesAWriter() {
        XCTAssertGreaterThanOrEqual(png_access_version_number(), 10600, "libpng 1.6 or later")
        var writer = png_create_write_struct(PNG_LIBPNG_VER_STRING, nil, nil, nil)
        XCTAssertNotNil(writer)
        var info = png_create_info_struct(writer)
        XCTAssertNotNil(info)
        png_destroy_write_struct(&writer, &info)
    }

    func testOpenBLASComputes() {
        let x: [Float] = [1, 2, 3]
        let y: [Float] = [4, 5, 6]
        XCTAssertEqual(cblas_sdot(3, x, 1, y, 1), 32)
        XCTAssertGreaterThanOrEqual(openblas_get_num_threads(), 1)
    }
}
