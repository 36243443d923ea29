import CellCompiler
import ExecutorWire
import Foundation
import XCTest

@testable import Kernel

/// The notebook session without Jupyter and without ZeroMQ: the real
/// compiler and the real executor (the optimised DSL and executor that the
/// test command builds first), a host that records the output in order and
/// waits with poll(2).
final class NotebookSessionTests: XCTestCase {
    /// What the session sent, in order.
    enum Output: Equatable {
        case stream(String, String)
        case display(DisplayEvent)
        case input(String)
    }

    final class RecordingHost: NotebookHost {
        var outputs: [Output] = []
        weak var session: NotebookSession?
        /// Interrupt the running cell once this time has come.
        var interruptAt: Date?

        func stream(_ name: String, text: String) {
            if case .stream(name, let earlier)? = outputs.last {
                outputs[outputs.count - 1] = .stream(name, earlier + text)  // batching is not the point here
            } else {
                outputs.append(.stream(name, text))
            }
        }
        func display(_ event: DisplayEvent) { outputs.append(.display(event)) }
        func requestInput(prompt: String, password: Bool) {
            outputs.append(.input(prompt))
            session?.answerInput("Ada")
        }
        func wait(for fds: [Int32], milliseconds: Int) -> [Bool] {
            if let due = interruptAt, Date() >= due {
                interruptAt = nil
                session?.interrupt()
            }
            var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&polled, nfds_t(polled.count), Int32(min(milliseconds, 50)))
            return polled.map { $0.revents != 0 }
        }

        var streamed: String {
            outputs.compactMap { if case .stream("stdout", let text) = $0 { return text } else { return nil } }.joined()
        }
        var result: String? {
            outputs.compactMap {
                if case .display(.executeResult(let data, _)) = $0 {
                    return data["text/plain"]?.stringValue
                } else {
                    return nil
                }
            }.last
        }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var session: NotebookSession!
    var host: RecordingHost!

    override func setUpWithError() throws {
        let release = Self.packageRoot.appendingPathComponent(".build/release").path
        for needed in [ExecutorContract.dslLibrary, "ddpm-executor"]
        where !FileManager.default.fileExists(atPath: release + "/" + needed) {
            throw XCTSkip("\(needed) is not built; scripts/test.sh builds the optimised DSL and executor first")
        }
        let toolchain = try Toolchain.locate(
            libraryDirectory: release,
            includePaths: Toolchain.moduleMapFolders(sources: Self.packageRoot.appendingPathComponent("Sources")))
        var configuration = NotebookSession.Configuration(
            build: toolchain,
            moduleCache: FileManager.default.temporaryDirectory.appendingPathComponent("ddpm-session-tests-cache").path)
        configuration.interruptGrace = 2
        session = try NotebookSession(configuration: configuration)
        host = RecordingHost()
        host.session = session
    }

    override func tearDown() {
        session?.close()
    }

    @discardableResult
    func run(_ code: String, name: String = "Cell[1]") -> CellError? {
        host.outputs = []
        return session.execute(code, cellName: name, host: host)
    }

    func testACellShowsItsValueAndLaterCellsSeeItsState() {
        XCTAssertNil(run("struct Point { var x = 1; var y = 2 }\nlet p = Point(x: 40)"))
        XCTAssertNil(run("p.x + Point().y", name: "Cell[2]"))
        XCTAssertEqual(host.result, "42")
    }

    func testATrapRollsTheCellBackAndKeepsWhatItPrinted() throws {
        XCTAssertNil(run("var state = [1, 2, 3]"))
        let error = try XCTUnwrap(
            run("state.append(4)\nprint(\"before the trap\")\nlet i = state[10]", name: "Cell[2]"))
        XCTAssertEqual(error.ename, "Fatal error")
        XCTAssertEqual(error.evalue, "Index out of range")
        XCTAssertTrue(error.traceback.joined(separator: "\n").contains("Cell[2], line 3"), "\(error.traceback)")
        XCTAssertEqual(host.streamed, "before the trap\n")
        XCTAssertNil(run("state.count", name: "Cell[3]"))
        XCTAssertEqual(host.result, "3")
    }

    func testAnInterruptEndsACooperativeLoopKeepingItsProgress() throws {
        XCTAssertNil(run("var steps = 0"))
        host.interruptAt = Date().addingTimeInterval(1)
        let error = try XCTUnwrap(run("while !Interrupt.isRequested { steps += 1 }", name: "Cell[2]"))
        XCTAssertEqual(error.ename, "Interrupted")
        XCTAssertNil(run("steps > 0", name: "Cell[3]"))
        XCTAssertEqual(host.result, "true")
    }

    func testAnInterruptedBusyLoopIsKilledAndRolledBack() throws {
        XCTAssertNil(run("var spins = 0"))
        host.interruptAt = Date().addingTimeInterval(0.5)
        let error = try XCTUnwrap(run("while true { spins += 1 }", name: "Cell[2]"))
        XCTAssertEqual(error.ename, "Interrupted")
        XCTAssertEqual(error.evalue, "the cell did not stop within 2 seconds of the interrupt, so it was stopped")
        XCTAssertNil(run("spins", name: "Cell[3]"))
        XCTAssertEqual(host.result, "0")
    }

    func testStreamsAndDisplaysKeepTheOrderTheCellMadeThemIn() {
        XCTAssertNil(
            run(
                "print(\"first\")\ndisplay(html: \"<b>shown</b>\")\nprint(\"then\")\nlet name = readLine(prompt: \"Name? \")\nname ?? \"none\""
            ))
        XCTAssertEqual(host.outputs.count, 5, "\(host.outputs)")
        XCTAssertEqual(host.outputs.first, .stream("stdout", "first\n"))
        guard host.outputs.count == 5, case .display(.displayData(let data, _, _)) = host.outputs[1] else {
            return XCTFail("\(host.outputs)")
        }
        XCTAssertEqual(data["text/html"], "<b>shown</b>")
        XCTAssertEqual(host.outputs[2], .stream("stdout", "then\n"))
        XCTAssertEqual(host.outputs[3], .input("Name? "))
        XCTAssertEqual(host.result, "\"Ada\"")
    }

    func testAnExecutorKilledFromOutsideIsReplacedAndTheNextCellSaysSo() throws {
        XCTAssertNil(run("let before = 1"))
        XCTAssertNil(run("import Glibc\ngetpid()", name: "Cell[2]"))
        let holder = try XCTUnwrap(host.result.flatMap { Int32($0) })
        kill(holder, SIGKILL)
        let deadline = Date().addingTimeInterval(10)
        while session.stateWasLost == false && Date() < deadline {  // the host's idle poll, in short
            _ = host.wait(for: session.idleFDs, milliseconds: 50)
            session.serviceIdle(host: host)
            session.reapProcesses()
        }
        XCTAssertTrue(session.stateWasLost)
        XCTAssertNil(run("let after = 2", name: "Cell[3]"))
        XCTAssertTrue(
            host.outputs.contains {
                if case .stream("stderr", let text) = $0 {
                    return text.contains("state was reset")
                } else {
                    return false
                }
            })
        XCTAssertNotNil(run("before", name: "Cell[4]"), "the earlier state is gone")
    }
}

/// Every entry point the executor looks up in libDDPM.so is there.
final class ExecutorContractTests: XCTestCase {
    /// Read from the library's dynamic symbol table with the toolchain's
    /// llvm-nm (what dlsym finds), not by loading it: a Swift library cannot
    /// be unloaded again, and a second copy of the DSL's types would share
    /// this test process with the debug build's.
    func testTheDSLLibraryExportsEveryEntryPointTheExecutorCalls() throws {
        let library = NotebookSessionTests.packageRoot.appendingPathComponent(
            ".build/release/" + ExecutorContract.dslLibrary
        ).path
        guard FileManager.default.fileExists(atPath: library) else {
            throw XCTSkip("\(ExecutorContract.dslLibrary) is not built; scripts/test.sh builds it first")
        }
        let toolchain = try Toolchain.locate(
            libraryDirectory: URL(fileURLWithPath: library).deletingLastPathComponent().path,
            includePaths: [])
        let nm = Process()
        nm.executableURL = URL(fileURLWithPath: toolchain.linker).deletingLastPathComponent().appendingPathComponent(
            "llvm-nm")
        nm.arguments = ["--dynamic", "--defined-only", "--format=just-symbols", library]
        let output = Pipe()
        nm.standardOutput = output
        try nm.run()
        let symbols = Set(
            String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").map(String.init))
        nm.waitUntilExit()
        XCTAssertGreaterThan(symbols.count, 1000)
        for name in ExecutorContract.EntryPoint.all {
            XCTAssertTrue(symbols.contains(name), "libDDPM.so lacks \(name)")
        }
        XCTAssertEqual(ExecutorContract.entryPoint(module: "Cell12"), "cell12_main")
    }

    func testTheCellCompilerSeesEveryCModuleMapOfThePackage() {
        let folders = Toolchain.moduleMapFolders(
            sources: NotebookSessionTests.packageRoot.appendingPathComponent("Sources"))
        let names = folders.map { URL(fileURLWithPath: $0).pathComponents.suffix(2).joined(separator: "/") }
        for needed in [
            "Sources/COpenBLAS", "CNumerics/include", "CNotebookRuntime/include", "Sources/CPNG", "Sources/CCairo",
        ] {
            XCTAssertTrue(names.contains(needed), "\(needed) missing from \(names)")
        }
    }
}
