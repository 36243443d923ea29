import Foundation
import JupyterProtocol

/// A language server run by the kernel (the toolchain's `sourcekit-lsp`),
/// spoken to in JSON-RPC 2.0 over its stdin and stdout with the Language
/// Server Protocol's base framing (`Content-Length: N\r\n\r\n` + N bytes of
/// JSON). Requests wait for their answer at most a given time; a late answer
/// is skipped when it arrives. The server's own requests (progress tokens,
/// capability registration) are answered with `null`; its notifications are
/// dropped. Runs no user code, so it lives in the kernel process.
final class LanguageServer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let input: FileHandle
    private let output: Int32
    private var received = Data()
    private var nextID = 1

    /// Starts `executable` with `arguments`; its stderr goes to the kernel's log.
    init(executable: String, arguments: [String] = []) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "no language server at \(executable)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdinPipe = Pipe(), stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.nullDevice
        signal(SIGPIPE, SIG_IGN)  // a dead server must not kill the kernel
        try process.run()
        input = stdinPipe.fileHandleForWriting
        output = stdoutPipe.fileHandleForReading.fileDescriptor
    }

    var isRunning: Bool { process.isRunning }

    var pid: Int32 { process.processIdentifier }

    /// Sends a request and waits at most `timeout` for its result.
    func request(_ method: String, _ params: JSONValue, timeout: TimeInterval) throws -> JSONValue {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params])
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard let message = try nextMessage(until: deadline) else {
                throw Failure(description: "\(method): no answer within \(Int(timeout * 1000)) ms")
            }
            if message["method"] != nil {
                // A request of the server's own (it has an id): answer it, or it waits for us.
                if let serverID = message["id"] { try send(["jsonrpc": "2.0", "id": serverID, "result": .null]) }
                continue
            }
            guard message["id"]?.intValue == id else { continue }  // the late answer of an earlier request
            if let error = message["error"] {
                throw Failure(description: "\(method): \(error["message"]?.stringValue ?? "error")")
            }
            return message["result"] ?? .null
        }
    }

    /// Sends a notification (no answer).
    func notify(_ method: String, _ params: JSONValue) throws {
        try send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        try? input.close()
    }

    private func send(_ message: JSONValue) throws {
        let body = message.serialized()
        var frame = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
        frame.append(body)
        do {
            try input.write(contentsOf: frame)
        } catch {
            throw Failure(description: "the language server is gone (\(error))")
        }
    }

    /// The next whole message, or nil when none came before `deadline`.
    private func nextMessage(until deadline: Date) throws -> JSONValue? {
        while true {
            if let message = try takeMessage() { return message }
            let wait = Int(deadline.timeIntervalSinceNow * 1000)
            guard wait > 0 else { return nil }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(wait))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(output, &chunk, chunk.count)
            if count <= 0 { throw Failure(description: "the language server ended") }
            received.append(contentsOf: chunk[0..<count])
        }
    }

    /// A message from the bytes received so far, if a whole one is there.
    private func takeMessage() throws -> JSONValue? {
        guard let headerEnd = received.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let header = String(decoding: received[received.startIndex..<headerEnd.lowerBound], as: UTF8.self)
        guard
            let lengthLine = header.split(separator: "\r\n").first(where: {
                $0.lowercased().hasPrefix("content-length:")
            }),
            let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
        else { throw Failure(description: "a message without Content-Length from the language server") }
        let bodyStart = headerEnd.upperBound
        guard received.distance(from: bodyStart, to: received.endIndex) >= length else { return nil }
        let bodyEnd = received.index(bodyStart, offsetBy: length)
        let body = received[bodyStart..<bodyEnd]
        received = Data(received[bodyEnd...])
        return try JSONValue.parse(Data(body))
    }
}
