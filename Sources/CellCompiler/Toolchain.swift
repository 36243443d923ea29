import Foundation

/// Where the compiler, the linker, the Swift runtime and the DSL's modules
/// are. Cells are compiled against the DSL as built (`.build/<config>`):
/// its `Modules/` folder, libDDPM.so, and the C module maps its modules
/// import internally, which a client of a non-resilient module must find.
public struct Toolchain: Sendable {
    /// `swift-frontend`: one invocation emits the object and the module
    /// (the driver, given `-g`, fails with "multiple producers for output").
    public var frontend: String
    /// `ld.lld` from the Swift toolchain.
    public var linker: String
    /// The Swift runtime libraries (`…/lib/swift/linux`).
    public var runtimeDirectory: String
    /// `swiftrt.o`, which registers a library's Swift metadata with the runtime.
    public var runtimeObject: String
    /// Folders given to the compiler with `-I`.
    public var importPaths: [String]
    /// The folder of libDDPM.so.
    public var libraryDirectory: String

    /// `libDDPMForkServer.so` beside libDDPM.so, which keeps the compiler and
    /// the linker started (`ForkServer`), or nil if it was not built (the
    /// tools are then started for every cell) or `DDPM_FORK_SERVER=0` is set
    /// (for comparisons).
    public var forkServerLibrary: String? {
        let path = libraryDirectory + "/libDDPMForkServer.so"
        guard ProcessInfo.processInfo.environment["DDPM_FORK_SERVER"] != "0" else { return nil }
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    public init(
        frontend: String, linker: String, runtimeDirectory: String, runtimeObject: String,
        importPaths: [String], libraryDirectory: String
    ) {
        self.frontend = frontend
        self.linker = linker
        self.runtimeDirectory = runtimeDirectory
        self.runtimeObject = runtimeObject
        self.importPaths = importPaths
        self.libraryDirectory = libraryDirectory
    }

    /// The toolchain of the `swiftc` found on PATH (or at `swiftc`), for a
    /// DSL built into `libraryDirectory`.
    public static func locate(swiftc: String? = nil, libraryDirectory: String, includePaths: [String]) throws
        -> Toolchain
    {
        guard let compiler = swiftc ?? findOnPath("swiftc") else {
            throw ToolchainError("swiftc is not on PATH; install the Swift toolchain or pass --swiftc <path>")
        }
        let binary = URL(fileURLWithPath: compiler).resolvingSymlinksInPath().deletingLastPathComponent()
        let runtime = binary.deletingLastPathComponent().appendingPathComponent("lib/swift/linux")
        var system = utsname()
        uname(&system)
        let machine = withUnsafeBytes(of: &system.machine) {
            String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let toolchain = Toolchain(
            frontend: binary.appendingPathComponent("swift-frontend").path,
            linker: binary.appendingPathComponent("ld.lld").path,
            runtimeDirectory: runtime.path,
            runtimeObject: runtime.appendingPathComponent("\(machine)/swiftrt.o").path,
            importPaths: [URL(fileURLWithPath: libraryDirectory).appendingPathComponent("Modules").path] + includePaths,
            libraryDirectory: libraryDirectory)
        for (path, what) in [
            (toolchain.frontend, "swift-frontend"), (toolchain.linker, "ld.lld"),
            (toolchain.runtimeObject, "swiftrt.o"),
            (toolchain.libraryDirectory + "/libDDPM.so", "libDDPM.so (build it with `swift build -c release`)"),
        ]
        where !FileManager.default.fileExists(atPath: path) {
            throw ToolchainError("\(what) is missing at \(path)")
        }
        return toolchain
    }

    /// The folders of the package's C module maps
    /// (`Sources/<target>/module.modulemap` or `…/include/module.modulemap`),
    /// given the package's `Sources` folder. A cell is a client of the DSL's
    /// modules, and a client of a non-resilient module must find the C
    /// modules it imports, even internally; reading them off the package means
    /// a new C dependency cannot be forgotten in a hand-kept list.
    public static func moduleMapFolders(sources: URL) -> [String] {
        let targets = (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []
        return targets.sorted().compactMap { target in
            let folder = sources.appendingPathComponent(target)
            return [folder, folder.appendingPathComponent("include")].first {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("module.modulemap").path)
            }?.path
        }
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
}

public struct ToolchainError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
