import CellCompiler
import ExecutorWire
import JupyterProtocol
import XCTest

@testable import Kernel

final class StreamBufferTests: XCTestCase {
    func testTextWaitsForTheIntervalUnlessForced() {
        var buffer = StreamBuffer(name: "stdout", interval: 0.05)
        let start = Date()
        buffer.append(Data("progress 10%".utf8))
        XCTAssertNil(buffer.take(force: false, now: start))
        XCTAssertEqual(buffer.take(force: false, now: start.addingTimeInterval(0.06)), "progress 10%")
        buffer.append(Data("done\n".utf8))
        XCTAssertEqual(buffer.take(force: true), "done\n")
        XCTAssertNil(buffer.due)
    }

    func testAnIncompleteUTF8SequenceWaitsForItsLastBytes() {
        var buffer = StreamBuffer(name: "stdout", interval: 0)
        let bytes = Array("ᾱ=1".utf8)  // ᾱ is three bytes
        buffer.append(Data(bytes[0..<2]))
        XCTAssertNil(buffer.take(force: false))
        buffer.append(Data(bytes[2...]))
        XCTAssertEqual(buffer.take(force: false), "ᾱ=1")
    }

    /// What the Swift 6.3 runtime writes to stderr when a cell traps.
    let trap = [
        "warning: slow\nSwift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range\n",
        "\n*** Signal 4: Backtracing from 0x7f...", " done ***\n\n",
    ]

    func testTrapReportsAndWhatFollowsThemAreHeldBackFromStderr() {
        var buffer = StreamBuffer(name: "stderr", interval: 0, holdsTrapReports: true)
        var sent = ""
        for chunk in trap {
            buffer.append(Data(chunk.utf8))
            sent += buffer.take(force: false) ?? ""
        }
        XCTAssertEqual(sent, "warning: slow\n")
        let finished = buffer.finishCell(failed: true)
        XCTAssertEqual(finished.trapReports, ["Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range"])
        XCTAssertNil(finished.text)
        XCTAssertEqual(buffer.finishCell(failed: true).trapReports, [])
    }

    func testACrashBannerWithoutAFatalErrorIsHeldBackToo() {
        var buffer = StreamBuffer(name: "stderr", interval: 0, holdsTrapReports: true)
        var sent = ""
        for chunk in ["\n*** Signal 11: Backtracing from 0x7fd278066858...", " done ***\n"] {
            buffer.append(Data(chunk.utf8))
            sent += buffer.take(force: false) ?? ""
        }
        XCTAssertEqual(sent, "")
        XCTAssertEqual(
            buffer.finishCell(failed: true).trapReports, ["*** Signal 11: Backtracing from 0x7fd278066858..."])
    }

    func testHeldTextIsReleasedWhenTheCellSucceeds() {
        var buffer = StreamBuffer(name: "stderr", interval: 0, holdsTrapReports: true)
        buffer.append(Data("a\n\n".utf8))
        XCTAssertEqual(buffer.take(force: true), "a\n")  // the blank line waits
        buffer.append(Data("b\n".utf8))
        XCTAssertEqual(buffer.take(force: true), "\nb\n")  // and goes out before the next text
        buffer.append(Data("my own Fatal error: text\nmore\n".utf8))
        XCTAssertNil(buffer.take(force: true))
        XCTAssertEqual(buffer.finishCell(failed: false).text, "my own Fatal error: text\nmore\n")
    }
}

final class CellErrorTests: XCTestCase {
    /// A backtrace as the Swift 6.3 backtracer writes it (output-to=file), cut down.
    let backtrace = """
        *** Program crashed: Illegal instruction at 0x00007fb82296df7f ***
        Thread 0 crashed:
          0      0x00007fb82296df7f closure #1 in _assertionFailure(_:_:file:line:flags:) + 623 in libswiftCore.so
          2 [ra] 0x00007fb822f9df65 specialized Array.subscript.getter + 84 in libswiftSwiftOnoneSupport.so
          3 [ra] 0x00007fb822f2022f f() + 334 in libCell2.so at /tmp/ddpm-kernel-1/Cell[2]:5:8
          4 [ra] 0x00007fb822f2022f cell3_main + 20 in libCell3.so at /tmp/ddpm-kernel-1/Cell[3]:1:1
        """

    func testATrapNamesTheRuntimeMessageAndTheCellLines() {
        let error = CellError.runtime(
            .signal(SIGILL), trapReports: ["Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range"],
            backtrace: backtrace, sources: ["Cell[2]": "func f() {\n\n\n\n    print(a[5])\n}", "Cell[3]": "f()"])
        XCTAssertEqual(error.ename, "Fatal error")
        XCTAssertEqual(error.evalue, "Index out of range")
        XCTAssertEqual(
            Array(error.traceback.dropFirst()),
            [
                "Cell[2], line 5, column 8", "        print(a[5])", "           ^",
                "Cell[3], line 1, column 1 (called from)", "    f()", "    ^",
                CellError.rolledBack,
            ])
    }

    func testAFailedPreconditionOrAssertionIsNamedWithItsMessage() {
        for (report, name) in [
            ("Cell[1]:1: Precondition failed: k must not be 9", "Precondition failed"),
            ("Cell[1]:1: Assertion failed: sorted", "Assertion failed"),
        ] {
            XCTAssertTrue(StreamBuffer.isTrapReport(Substring(report)))
            let error = CellError.runtime(.signal(SIGILL), trapReports: [report], backtrace: nil, sources: [:])
            XCTAssertEqual(error.ename, name)
            XCTAssertEqual(error.evalue, String(report.split(separator: ": ").last!))
        }
    }

    func testAThrownErrorReportsItsTypeAndDescription() {
        let error = CellError.runtime(
            .signal(SIGILL),
            trapReports: [
                "Swift/ErrorType.swift:253: Fatal error: Error raised at top level: Cell7.ParseError(line: 2)"
            ],
            backtrace: nil, sources: [:])
        XCTAssertEqual(error.ename, "ParseError")
        XCTAssertEqual(error.evalue, "ParseError(line: 2)")
        XCTAssertEqual(CellError.thrownTypeName("Cell3.Oops.bad"), "Oops")
        XCTAssertEqual(CellError.thrownTypeName("Cell3.Oops.bad(\"no\")"), "Oops")
        XCTAssertEqual(CellError.thrownTypeName("Cell3.Outer.Inner(x: 1)"), "Outer.Inner")
        // An error that describes itself: its sentence is all the runtime reports.
        XCTAssertNil(CellError.thrownTypeName("safetensors: cannot read /nonexistent/x: no such file."))
    }

    func testARecursionWithoutEndIsCalledAStackOverflow() {
        let frame = "  5 [ra] 0x1 down(_:) + 20 in libCell5.so at /tmp/k/Cell[5]:1:30\n"
        let backtrace =
            "*** Program crashed: Bad pointer dereference at 0x7fff15949fe8 ***\n"
            + String(repeating: frame, count: 60)
            + "  66 [ra] 0x1 cell5_main + 9 in libCell5.so at /tmp/k/Cell[5]:2:1\n"
        let error = CellError.runtime(
            .signal(SIGSEGV), trapReports: [], backtrace: backtrace,
            sources: ["Cell[5]": "func down(_ n: Int) -> Int { down(n + 1) + 1 }\ndown(0)"])
        XCTAssertEqual(error.ename, "Stack overflow")
        XCTAssertTrue(error.evalue.hasPrefix("Cell[5], line 1 calls itself"), error.evalue)
        XCTAssertEqual(error.traceback[1], "Cell[5], line 1, column 30 (60 times in a row)")
        XCTAssertEqual(error.traceback[4], "Cell[5], line 2, column 1 (called from)")
        XCTAssertEqual(error.traceback.count, 8)
    }

    func testACrashWithoutAMessageUsesTheBacktracerOrTheSignal() {
        XCTAssertEqual(
            CellError.runtime(
                .signal(SIGSEGV), trapReports: [],
                backtrace: "*** Program crashed: Stack overflow at 0x1 ***", sources: [:]
            ).evalue, "Stack overflow at 0x1")
        XCTAssertTrue(
            CellError.runtime(.signal(SIGSEGV), trapReports: [], backtrace: nil, sources: [:])
                .evalue.contains("stack overflow"))
        XCTAssertEqual(
            CellError.runtime(.signal(SIGKILL), trapReports: [], backtrace: nil, sources: [:], interruptGrace: 2).ename,
            "Interrupted")
        XCTAssertEqual(
            CellError.runtime(.signal(SIGKILL), trapReports: [], backtrace: nil, sources: [:], interruptGrace: 0.5)
                .evalue, "the cell did not stop within 0.5 seconds of the interrupt, so it was stopped")
        XCTAssertEqual(
            CellError.runtime(.exit(3), trapReports: [], backtrace: nil, sources: [:]).evalue,
            "the cell called exit(3)")
    }

    func testCompileErrorsShowTheLineAndACaret() {
        let diagnostics = CompilerDiagnostic.parse(
            """
            Cell[4]:2:14: error: cannot find 'y' in scope
            1 | let x = 1
            Cell[4]:1:5: warning: initialization of immutable value 'x' was never used
            """)
        XCTAssertEqual(diagnostics.count, 2)
        let error = CellError.compile(diagnostics, sources: ["Cell[4]": "let x = 1\nlet z: Int = y + 1"], output: "")
        XCTAssertEqual(error.ename, "CompileError")
        XCTAssertEqual(error.evalue, "cannot find 'y' in scope")
        XCTAssertEqual(error.traceback.count, 4)  // the warning is left out
        XCTAssertTrue(error.traceback[0].contains("Cell[4], line 2, column 14: error: cannot find 'y' in scope"))
        XCTAssertEqual(error.traceback[1], "    let z: Int = y + 1")
        XCTAssertEqual(error.traceback[2], "                 ^")
    }
}

final class HistoryAndCompletionTests: XCTestCase {
    func testTailRangeAndSearch() {
        var history = History()
        for (line, input) in ["6 * 7", "let a = 1", "6 * 7", "a"].enumerated() {
            history.append(line: line + 1, input: input)
        }
        history.setOutput(line: 1, "42")
        XCTAssertEqual(history.reply(to: ["hist_access_type": "tail", "n": 2]), [[1, 3, "6 * 7"], [1, 4, "a"]])
        XCTAssertEqual(
            history.reply(to: ["hist_access_type": "range", "session": 0, "start": 2, "stop": 3]),
            [[1, 2, "let a = 1"]])
        XCTAssertEqual(history.reply(to: ["hist_access_type": "search", "pattern": "6 *"]).count, 2)
        XCTAssertEqual(
            history.reply(to: ["hist_access_type": "search", "pattern": "6 *", "unique": true]),
            [[1, 3, "6 * 7"]])
        XCTAssertEqual(history.reply(to: ["hist_access_type": "tail", "n": 1, "output": true]), [[1, 4, ["a", nil]]])
        XCTAssertEqual(
            history.reply(to: ["hist_access_type": "range", "start": 1, "stop": 2, "output": true]),
            [[1, 1, ["6 * 7", "42"]]])
    }

    func testCompletionCountsCodePoints() {
        let code = "let ᾱBar = 1\nᾱB"
        let completion = Completion.complete(code: code, cursor: code.unicodeScalars.count, context: [])
        XCTAssertEqual(completion.matches, ["ᾱBar"])
        XCTAssertEqual(completion.start, code.unicodeScalars.count - 2)
        XCTAssertEqual(
            Completion.complete(code: "whi", cursor: 3, context: ["let whistle = 1"]).matches, ["while", "whistle"])
    }
}

/// The comms the kernel keeps (issue 14): ipywidgets' control target is
/// answered, any other target closed, `comm_info` lists what is open.
final class CommRegistryTests: XCTestCase {
    func testTheWidgetControlCommAnswersRequestStatesAndOthersAreClosed() {
        var comms = CommRegistry()
        XCTAssertTrue(comms.opened(["comm_id": "ctl", "target_name": "jupyter.widget.control", "data": [:]]).isEmpty)
        let closed = comms.opened(["comm_id": "x", "target_name": "no.such.target", "data": [:]])
        XCTAssertEqual(closed.map(\.type), ["comm_close"])
        XCTAssertEqual(closed.first?.content, ["comm_id": "x", "data": [:]])

        comms.widgetStates["w1"] = ["model_name": "IntSliderModel", "state": ["value": 3]]
        guard case .answer(let answer) = comms.received(["comm_id": "ctl", "data": ["method": "request_states"]])
        else { return XCTFail("request_states is answered by the kernel") }
        XCTAssertEqual(answer.map(\.type), ["comm_msg"])
        XCTAssertEqual(answer.first?.content["data"]?["method"], "update_states")
        XCTAssertEqual(answer.first?.content["data"]?["states"]?["w1"]?["state"]?["value"], 3)
        XCTAssertEqual(comms.received(["comm_id": "x", "data": ["method": "request_states"]]), .done)

        XCTAssertEqual(
            comms.info(target: nil), ["status": "ok", "comms": ["ctl": ["target_name": "jupyter.widget.control"]]])
        XCTAssertEqual(comms.info(target: "jupyter.widget"), ["status": "ok", "comms": [:]])
        comms.closed(["comm_id": "ctl"])
        XCTAssertEqual(comms.info(target: nil), ["status": "ok", "comms": [:]])
    }

    func testWidgetsTheRuntimeOpensAreKeptWithTheirLatestState() throws {
        var comms = CommRegistry()
        let state: JSONValue = [
            "_model_name": "FloatSliderModel", "_model_module": "@jupyter-widgets/controls",
            "_model_module_version": "2.0.0", "value": 0.5, "max": 1,
        ]
        let open = CommEvent(
            kind: "comm_open", commID: "w", target: "jupyter.widget", data: ["state": state, "buffer_paths": []],
            metadata: ["version": "2.1.0"], buffers: [Data([9])])
        // The event crosses the executor's pipe as a line of JSON, buffers in base64.
        guard case .comm(let received) = try DisplayEvent(line: DisplayEvent.comm(open).encodedLine()) else {
            return XCTFail("not a comm event")
        }
        XCTAssertEqual(received, open)
        comms.sent(received)
        comms.sent(CommEvent(kind: "comm_msg", commID: "w", data: ["method": "update", "state": ["value": 0.75]]))
        XCTAssertEqual(comms.widgetStates["w"]?["model_name"], "FloatSliderModel")
        XCTAssertEqual(comms.widgetStates["w"]?["state"]?["value"], 0.75)
        XCTAssertEqual(comms.widgetStates["w"]?["state"]?["max"], 1)
        XCTAssertEqual(
            comms.info(target: "jupyter.widget"), ["status": "ok", "comms": ["w": ["target_name": "jupyter.widget"]]])
        comms.sent(CommEvent(kind: "comm_close", commID: "w", data: [:]))
        XCTAssertNil(comms.widgetStates["w"])
        XCTAssertEqual(comms.info(target: nil), ["status": "ok", "comms": [:]])
    }

    func testRollingBackClosesNewCommsAndRestoresChangedStates() {
        var comms = CommRegistry()
        let state: JSONValue = ["_model_name": "IntSliderModel", "value": 1]
        comms.sent(CommEvent(kind: "comm_open", commID: "a", target: "jupyter.widget", data: ["state": state]))
        let before = comms
        comms.sent(CommEvent(kind: "comm_msg", commID: "a", data: ["method": "update", "state": ["value": 9]]))
        comms.sent(CommEvent(kind: "comm_open", commID: "b", target: "jupyter.widget", data: ["state": state]))
        let events = comms.rollback(to: before)
        XCTAssertEqual(events.map(\.type), ["comm_close", "comm_msg"])
        XCTAssertEqual(events[0].content["comm_id"], "b")
        XCTAssertEqual(events[1].content["comm_id"], "a")
        XCTAssertEqual(events[1].content["data"]?["state"]?["value"], 1)
        XCTAssertTrue(before.rollback(to: before).isEmpty)
    }

    /// A widget model the runtime opened, as its `comm_open` arrives.
    func opened(_ id: String, model: String, state: JSONValue = [:], buffers: [String: Data] = [:]) -> CommEvent {
        let keys = buffers.keys.sorted()
        return CommEvent(
            kind: "comm_open", commID: id, target: "jupyter.widget",
            data: [
                "state": state.merging(["_model_name": .string(model)]),
                "buffer_paths": .array(keys.map { [.string($0)] }),
            ],
            buffers: keys.map { buffers[$0]! })
    }

    func testFrontendUpdatesAreRecordedAndDeliveredExceptAnOutputsEcho() {
        var comms = CommRegistry()
        comms.sent(opened("s", model: "IntSliderModel", state: ["value": 1]))
        comms.sent(opened("o", model: "OutputModel", state: ["outputs": []]))
        let update: JSONValue = [
            "comm_id": "s", "data": ["method": "update", "state": ["value": 4], "buffer_paths": []],
        ]
        XCTAssertEqual(comms.received(update), .deliver)
        XCTAssertEqual(comms.widgetStates["s"]?["state"]?["value"], 4)
        let outputs: JSONValue = [
            "comm_id": "o", "data": ["method": "update", "state": ["outputs": [["output_type": "stream"]]]],
        ]
        XCTAssertEqual(comms.received(outputs), .done, "nothing in the notebook observes an Output's outputs")
        XCTAssertEqual(comms.widgetStates["o"]?["state"]?["outputs"]?.arrayValue?.count, 1)
        XCTAssertEqual(comms.received(["comm_id": "s", "data": ["method": "custom", "content": [:]]]), .deliver)
        XCTAssertEqual(comms.received(["comm_id": "nobody", "data": ["method": "update"]]), .done)
    }

    func testBinaryAttributesAreKeptAndSentBackAsBuffers() {
        var comms = CommRegistry()
        _ = comms.opened(["comm_id": "ctl", "target_name": "jupyter.widget.control", "data": [:]])
        comms.sent(opened("img", model: "ImageModel", state: ["format": "png"], buffers: ["value": Data([1, 2])]))
        comms.sent(
            CommEvent(
                kind: "comm_msg", commID: "img", data: ["method": "update", "state": [:], "buffer_paths": [["value"]]],
                buffers: [Data([3, 4, 5])]))
        guard case .answer(let one) = comms.received(["comm_id": "img", "data": ["method": "request_state"]]) else {
            return XCTFail("request_state is answered by the kernel")
        }
        XCTAssertEqual(one.first?.content["data"]?["buffer_paths"], [["value"]])
        XCTAssertEqual(one.first?.content["data"]?["state"]?["format"], "png")
        XCTAssertEqual(one.first?.buffers, [Data([3, 4, 5])])
        guard case .answer(let all) = comms.received(["comm_id": "ctl", "data": ["method": "request_states"]]) else {
            return XCTFail("request_states is answered by the kernel")
        }
        // Paths into `states`, as ipywidgets' _remove_buffers(full_state) makes them.
        XCTAssertEqual(all.first?.content["data"]?["buffer_paths"], [["img", "state", "value"]])
        XCTAssertEqual(all.first?.buffers, [Data([3, 4, 5])])
    }

    func testARollbackSendsOnlyTheChangedAttributesAndALostExecutorClosesEveryWidget() {
        var comms = CommRegistry()
        comms.sent(opened("o", model: "OutputModel", state: ["msg_id": "", "outputs": [["output_type": "stream"]]]))
        let before = comms
        comms.sent(CommEvent(kind: "comm_msg", commID: "o", data: ["method": "update", "state": ["msg_id": "m1"]]))
        let events = comms.rollback(to: before)
        // Only msg_id: resending `outputs` would wipe what the frontend captured meanwhile (the error).
        XCTAssertEqual(events.first?.content["data"]?["state"], ["msg_id": ""])

        _ = comms.opened(["comm_id": "ctl", "target_name": "jupyter.widget.control", "data": [:]])
        let closed = comms.dropWidgets()
        XCTAssertEqual(closed.map(\.type), ["comm_close"])
        XCTAssertEqual(closed.first?.content["comm_id"], "o")
        XCTAssertTrue(comms.widgetStates.isEmpty)
        XCTAssertEqual(
            comms.info(target: nil), ["status": "ok", "comms": ["ctl": ["target_name": "jupyter.widget.control"]]])
    }
}
