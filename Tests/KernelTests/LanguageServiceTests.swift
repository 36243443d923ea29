import Foundation
import JupyterProtocol
import XCTest

@testable import Kernel

/// The parts of completion that need no server: positions between
/// Jupyter's code points and LSP's lines of UTF-16 units, the kinds Jupyter
/// shows, and the bounded failure when no server is there.
final class LanguageServiceTests: XCTestCase {
    func testPositionsConvertBetweenCodePointsAndUTF16Lines() {
        // "ᾱ" is one UTF-16 unit, "🙂" two; the cell starts after two import lines.
        let code = "let ᾱ = 1\nlet 🙂 = ᾱ\n🙂."
        let scalars = Array(code.unicodeScalars)
        XCTAssertEqual(LSPPosition(code: code, codePoint: 0, linesBefore: 2), LSPPosition(line: 2, character: 0))
        XCTAssertEqual(LSPPosition(code: code, codePoint: 5, linesBefore: 2), LSPPosition(line: 2, character: 5))
        let afterSmiley = 10 + 5  // "let 🙂" on the second line
        XCTAssertEqual(scalars[afterSmiley - 1], "🙂")
        XCTAssertEqual(
            LSPPosition(code: code, codePoint: afterSmiley, linesBefore: 2), LSPPosition(line: 3, character: 6))
        XCTAssertEqual(
            LSPPosition(code: code, codePoint: scalars.count, linesBefore: 2), LSPPosition(line: 4, character: 3))
        for offset in 0...scalars.count {
            let position = LSPPosition(code: code, codePoint: offset, linesBefore: 2)
            let json: JSONValue = ["line": .int(position.line), "character": .int(position.character)]
            XCTAssertEqual(LSPPosition.codePoint(json, in: code, linesBefore: 2), offset, "offset \(offset)")
        }
        XCTAssertNil(LSPPosition.codePoint(["line": 1, "character": 0], in: code, linesBefore: 2))
    }

    func testKindsMapToJupyterTypes() {
        XCTAssertEqual(LanguageService.jupyterType(2), "function")
        XCTAssertEqual(LanguageService.jupyterType(10), "instance")
        XCTAssertEqual(LanguageService.jupyterType(10, detail: "Tensor"), "Tensor")  // a property shows its type
        XCTAssertEqual(LanguageService.jupyterType(22), "class")
        XCTAssertEqual(LanguageService.jupyterType(14), "keyword")
        XCTAssertEqual(LanguageService.jupyterType(nil), "text")
    }

    func testAMissingServerAnswersNilAtOnce() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let service = LanguageService(
            configuration: .init(
                server: folder + "/no-such-sourcekit-lsp", workDirectory: folder, moduleCache: folder, importPaths: []))
        let started = Date()
        XCTAssertNil(service.complete(code: "NoiseSchedule.", cursor: 14, imports: ["import DDPM"]))
        XCTAssertNil(service.inspect(code: "NoiseSchedule", cursor: 3, imports: ["import DDPM"]))
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "the kernel's own completion must not wait")
    }

    func testAServerThatDoesNotAnswerIsGivenUpOnAndNotWaitedForAgain() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A "server" that keeps its pipes open and never answers.
        let silent = folder + "/silent-server"
        try "#!/bin/sh\nexec sleep 30\n".write(toFile: silent, atomically: true, encoding: .utf8)
        chmod(silent, 0o755)
        var configuration = LanguageService.Configuration(
            server: silent, workDirectory: folder, moduleCache: folder, importPaths: [])
        configuration.startTimeout = 0.5
        let service = LanguageService(configuration: configuration)
        defer { service.close() }
        var started = Date()
        XCTAssertNil(service.complete(code: "x.", cursor: 2, imports: []))
        XCTAssertEqual(Date().timeIntervalSince(started), 0.5, accuracy: 0.4)
        // Tab again: the kernel answers from its word list at once, without waiting for the server.
        started = Date()
        XCTAssertNil(service.complete(code: "x.", cursor: 2, imports: []))
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.1)
    }

    func testAnIdleServerIsStoppedAndStartedAgainByTheNextRequest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A minimal server: answers every request with an empty completion list.
        let echo = folder + "/echo-server.py"
        try """
        #!/usr/bin/env python3
        import json, sys
        while True:
            length = 0
            while (line := sys.stdin.buffer.readline().strip()):
                if line.lower().startswith(b"content-length:"): length = int(line.split(b":")[1])
            if not length: break
            message = json.loads(sys.stdin.buffer.read(length))
            if "id" in message:
                body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"items": []}}).encode()
                sys.stdout.buffer.write(b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body)
                sys.stdout.buffer.flush()
        """.write(toFile: echo, atomically: true, encoding: .utf8)
        chmod(echo, 0o755)
        var configuration = LanguageService.Configuration(
            server: echo, workDirectory: folder, moduleCache: folder, importPaths: [])
        configuration.idleStop = 60
        let service = LanguageService(configuration: configuration)
        defer { service.close() }
        XCTAssertEqual(service.complete(code: "x.", cursor: 2, imports: [])?.matches, [])
        let first = try XCTUnwrap(service.serverPID)
        service.stopIfIdle(now: Date().addingTimeInterval(30))
        XCTAssertEqual(service.serverPID, first, "used half a minute ago: kept")
        service.stopIfIdle(now: Date().addingTimeInterval(61))
        XCTAssertNil(service.serverPID)
        XCTAssertEqual(service.complete(code: "x.", cursor: 2, imports: [])?.matches, [])
        XCTAssertNotEqual(service.serverPID, first)
    }
}
