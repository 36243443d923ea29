import Foundation

/// The connection file a Jupyter frontend writes for a kernel
/// (jupyter_client's `write_connection_file`): where to bind each socket and
/// the key that signs messages.
public struct ConnectionInfo: Codable, Equatable, Sendable {
    public var transport: String
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var hbPort: Int
    public var key: String
    public var signatureScheme: String
    public var kernelName: String?

    enum CodingKeys: String, CodingKey {
        case transport, ip, key
        case shellPort = "shell_port", iopubPort = "iopub_port", stdinPort = "stdin_port"
        case controlPort = "control_port", hbPort = "hb_port"
        case signatureScheme = "signature_scheme", kernelName = "kernel_name"
    }

    /// The ZeroMQ endpoint of a port: `tcp://127.0.0.1:5555`, or for the ipc
    /// transport `ipc://<ip>-<port>` as jupyter_client names it.
    public func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "\(transport)://\(ip):\(port)"
    }

    /// Reads and checks a connection file.
    public static func load(from path: String) throws -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProtocolError("cannot read the connection file \(path); Jupyter passes it as `-f {connection_file}`.")
        }
        let info: ConnectionInfo
        do {
            info = try JSONDecoder().decode(ConnectionInfo.self, from: data)
        } catch {
            throw ProtocolError("the connection file \(path) is not a Jupyter connection file: \(error)")
        }
        guard info.signatureScheme == "hmac-sha256" || info.key.isEmpty else {
            throw ProtocolError(
                "the connection file asks for signature scheme \(info.signatureScheme); "
                    + "this kernel signs with hmac-sha256, the scheme jupyter_client uses.")
        }
        return info
    }
}

/// A malformed message or connection file, in one sentence.
public struct ProtocolError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
