import Foundation
import XCTest

@testable import CellCompiler

/// The fork server (Sources/CForkServer) kept in a tool: here /bin/sh, whose
/// runs show the status, the output and the arguments a run gets.
final class ForkServerTests: XCTestCase {
    var library = ""
    var output = ""

    override func setUpWithError() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        library = root.appendingPathComponent(".build/release/libDDPMForkServer.so").path
        guard FileManager.default.fileExists(atPath: library) else {
            throw XCTSkip("libDDPMForkServer.so is not built; scripts/test.sh builds it first")
        }
        output = FileManager.default.temporaryDirectory.appendingPathComponent("fork-server-\(getpid()).log").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: output)
    }

    func testRunsGetTheirArgumentsOutputAndStatusFromOneServer() throws {
        let server = ForkServer(tool: "/bin/sh", library: library)
        XCTAssertEqual(
            server.run(["-c", "echo \"$0 $1\"; echo to stderr >&2; exit 3", "first", "a b"], outputPath: output), 3)
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "first a b\nto stderr\n")
        let pid = server.pid
        XCTAssertEqual(server.run(["-c", "echo $LD_PRELOAD$DDPM_FORK_SERVER_FD; exit 0"], outputPath: output), 0)
        XCTAssertEqual(
            try String(contentsOfFile: output, encoding: .utf8), "\n", "a run sees the tool's own environment")
        XCTAssertEqual(server.pid, pid, "the same server ran both")
        XCTAssertEqual(server.run(["-c", "kill -9 $$"], outputPath: output), 128 + 9)
    }

    func testADeadServerIsReplacedAndAReleasedOneEnds() throws {
        var server: ForkServer? = ForkServer(tool: "/bin/sh", library: library)
        let first = try XCTUnwrap(server?.pid)
        kill(first, SIGKILL)
        XCTAssertNil(server?.run(["-c", "exit 0"], outputPath: output), "the caller runs the tool itself")
        XCTAssertEqual(server?.run(["-c", "exit 0"], outputPath: output), 0)
        let second = try XCTUnwrap(server?.pid)
        XCTAssertNotEqual(second, first)
        server = nil
        XCTAssertEqual(kill(second, 0), -1, "the server ended with its owner")
    }
}
