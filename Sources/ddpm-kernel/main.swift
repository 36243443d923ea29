// The command line: `ddpm-kernel install` registers the kernelspec,
// `ddpm-kernel run --connection-file <file>` is what Jupyter starts.
import ArgumentParser
import CellCompiler
import Foundation
import JupyterProtocol
import Kernel

/// Where this build's pieces are: the binaries and libDDPM.so sit together in
/// `.build/<configuration>`; the C module maps the DSL imports are in the
/// package's `Sources`.
struct BuildLayout: ParsableArguments {
    @Option(help: "Folder of libDDPM.so, its Modules/ and ddpm-executor (default: beside this program).")
    var libraryDir: String?

    @Option(name: .customLong("include"), help: "Extra -I folders for cells (default: the package's C module maps).")
    var includes: [String] = []

    @Option(help: "The swiftc whose toolchain compiles cells (default: the one on PATH).")
    var swiftc: String?

    var resolvedLibraryDir: String {
        libraryDir
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().path
    }

    var resolvedIncludes: [String] {
        if !includes.isEmpty { return includes }
        // This file is Sources/ddpm-kernel/main.swift in the package.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return Toolchain.moduleMapFolders(sources: sources)
    }
}

@main
struct DDPMKernel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddpm-kernel",
        abstract: "A Jupyter kernel for Swift with the DDPM teaching library.",
        subcommands: [Install.self, Run.self])
}

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register the \"Swift (DDPM)\" kernelspec with Jupyter.")

    @Flag(help: "Install for this user (the default): ~/.local/share/jupyter, or $JUPYTER_DATA_DIR.")
    var user = false

    @Flag(help: "Install into the active virtual environment ($VIRTUAL_ENV/share/jupyter).")
    var sysPrefix = false

    @Option(help: "Install into <prefix>/share/jupyter.")
    var prefix: String?

    @Option(help: "The kernelspec's folder name.")
    var name = "swift-ddpm"

    @OptionGroup var layout: BuildLayout

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("Choose one of --user, --sys-prefix and --prefix.")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let dataDirectory: String
        if let prefix {
            dataDirectory = prefix + "/share/jupyter"
        } else if sysPrefix {
            guard let venv = environment["VIRTUAL_ENV"] else {
                throw ValidationError(
                    "--sys-prefix needs an active virtual environment (VIRTUAL_ENV is not set); "
                        + "activate one, or use --prefix <venv folder>.")
            }
            dataDirectory = venv + "/share/jupyter"
        } else {
            dataDirectory =
                environment["JUPYTER_DATA_DIR"]
                ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/jupyter"
        }
        let target = URL(fileURLWithPath: dataDirectory).appendingPathComponent("kernels/\(name)")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)

        let program = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        var argv = [
            program, "run", "--connection-file", "{connection_file}", "--library-dir", layout.resolvedLibraryDir,
        ]
        for include in layout.resolvedIncludes { argv += ["--include", include] }
        if let swiftc = layout.swiftc { argv += ["--swiftc", swiftc] }
        let spec: JSONValue = [
            "argv": .array(argv.map(JSONValue.string)),
            "display_name": "Swift (DDPM)",
            "language": "swift",
            "interrupt_mode": "message",
            "metadata": ["debugger": false],
        ]
        try spec.serialized().write(to: target.appendingPathComponent("kernel.json"))

        // The logos ship in the package's kernelspec/ folder.
        let logos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("kernelspec")
        for logo in ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] {
            let source = logos.appendingPathComponent(logo), destination = target.appendingPathComponent(logo)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.copyItem(at: source, to: destination)
        }
        print("Installed the kernelspec \"Swift (DDPM)\" in \(target.path)")
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the kernel (Jupyter starts it with a connection file).")

    @Option(name: [.short, .customLong("connection-file")], help: "The connection file Jupyter wrote.")
    var connectionFile: String

    @OptionGroup var layout: BuildLayout

    func run() throws {
        let connection = try ConnectionInfo.load(from: connectionFile)
        let libraryDir = layout.resolvedLibraryDir
        let toolchain = try Toolchain.locate(
            swiftc: layout.swiftc, libraryDirectory: libraryDir,
            includePaths: layout.resolvedIncludes)
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"] ?? (environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache"
        let session = NotebookSession.Configuration(build: toolchain, moduleCache: cache + "/ddpm-kernel/module-cache")
        try Kernel(configuration: KernelConfiguration(connection: connection, session: session)).run()
    }
}
