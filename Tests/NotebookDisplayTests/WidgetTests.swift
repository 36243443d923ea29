import ExecutorWire
import Foundation
import NotebookDisplay
import XCTest

/// Widgets as the notebook runtime speaks them (ipywidgets 8, protocol
/// 2.1.0): the messages they send on the display channel, and what a
/// frontend's message does when the executor hands it over
/// (`ddpm_notebook_dispatch`). Attribute names and defaults are those of
/// ipywidgets' `packages/schema/jupyterwidgetmodels.latest.md`.
final class WidgetTests: XCTestCase {
    enum Kind: CaseIterable { case linear, sigmoid, cosine }

    var channel: DisplayPipe!
    var folder: URL!

    override func setUp() {
        channel = DisplayPipe()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("widget-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        channel.close()
        try? FileManager.default.removeItem(at: folder)
    }

    func comms() throws -> [CommEvent] {
        try channel.events().compactMap { if case .comm(let comm) = $0 { return comm } else { return nil } }
    }

    /// What the executor does for a frontend's comm message.
    func deliver(_ widget: Widget, _ data: JSONValue, buffers: [Data] = [], parent: String = "msg-1") throws {
        let path = folder.appendingPathComponent("event.json").path
        let delivery = CommDelivery(
            parent: parent, message: CommEvent(kind: "comm_msg", commID: widget.id, data: data, buffers: buffers))
        try JSONEncoder().encode(delivery).write(to: URL(fileURLWithPath: path))
        notebookDispatch(path)
    }

    func testASliderOpensItsLayoutStyleAndModelAndShowsAsAWidgetView() throws {
        let slider = IntSlider("t", 0...99, value: 50)
        let opened = try comms()
        XCTAssertEqual(opened.map(\.kind), ["comm_open", "comm_open", "comm_open"])
        XCTAssertEqual(
            opened.map { $0.data["state"]?["_model_name"]?.stringValue },
            ["LayoutModel", "SliderStyleModel", "IntSliderModel"])
        let model = opened[2]
        XCTAssertEqual(model.target, "jupyter.widget")
        XCTAssertEqual(model.commID, slider.id)
        XCTAssertEqual(model.metadata, ["version": "2.1.0"])
        let state = try XCTUnwrap(model.data["state"])
        XCTAssertEqual(state["_model_module"], "@jupyter-widgets/controls")
        XCTAssertEqual(state["_model_module_version"], "2.0.0")
        XCTAssertEqual(state["_view_name"], "IntSliderView")
        XCTAssertEqual(state["value"], 50)
        XCTAssertEqual(state["min"], 0)
        XCTAssertEqual(state["max"], 99)
        XCTAssertEqual(state["layout"], .string("IPY_MODEL_" + opened[0].commID))
        XCTAssertEqual(state["style"], .string("IPY_MODEL_" + opened[1].commID))
        XCTAssertEqual(opened[0].data["state"]?["_model_module"], "@jupyter-widgets/base")
        XCTAssertEqual(opened[1].data["state"]?["_view_name"], "StyleView")
        XCTAssertEqual(model.data["buffer_paths"], [])

        _cellResult(slider)
        guard case .executeResult(let data, _) = try channel.events().first else { return XCTFail("no result") }
        XCTAssertEqual(
            data["application/vnd.jupyter.widget-view+json"],
            ["model_id": .string(slider.id), "version_major": 2, "version_minor": 0])
        XCTAssertEqual(data["text/plain"], "IntSlider(t = 50, 0...99)")  // what a frontend without widgets shows
    }

    func testAFrontendUpdateChangesTheValueAndRunsEachObserverOnce() throws {
        let slider = FloatSlider("s", 0...1, value: 0.5)
        var seen: [Double] = []
        slider.observe { seen.append($0) }
        var calls = 0
        slider.observe(["value", "max"]) { _ in calls += 1 }
        _ = try comms()

        try deliver(slider, ["method": "update", "state": ["value": 0.25, "max": 2], "buffer_paths": []])
        XCTAssertEqual(slider.value, 0.25)
        XCTAssertEqual(seen, [0.25])
        XCTAssertEqual(calls, 1, "one call for one message, however many of its attributes changed")
        XCTAssertEqual(try comms(), [], "the frontend's own change is not sent back")

        try deliver(slider, ["method": "update", "state": ["value": 0.25], "buffer_paths": []])
        XCTAssertEqual(seen, [0.25], "no change, no call")
        try deliver(slider, ["method": "update", "state": ["value": 1], "buffer_paths": []])  // an integer on the wire
        XCTAssertEqual(seen, [0.25, 1.0])
    }

    func testSettingAValueSendsOnlyTheChangeAndClampsToTheRange() throws {
        let slider = IntSlider("T", 10...1000, step: 10, value: 100)
        var seen: [Int] = []
        slider.observe { seen.append($0) }
        _ = try comms()
        slider.value = 5000
        XCTAssertEqual(slider.value, 1000)
        slider.value = 1000
        let sent = try comms()
        XCTAssertEqual(sent.count, 1)
        XCTAssertEqual(sent[0].kind, "comm_msg")
        XCTAssertEqual(sent[0].data, ["method": "update", "state": ["value": 1000], "buffer_paths": []])
        XCTAssertEqual(seen, [1000], "observers see the notebook's own changes too, as in ipywidgets")
    }

    func testALogSliderKeepsExponentsInTheModelAndTheValueItself() throws {
        let beta = FloatLogSlider("β_T", 1e-4...0.5, value: 0.005)
        let state = try XCTUnwrap(try comms().last?.data["state"])
        XCTAssertEqual(state["base"]?.doubleValue, 10)
        XCTAssertEqual(state["min"]?.doubleValue ?? 0, -4, accuracy: 1e-12)
        XCTAssertEqual(state["max"]?.doubleValue ?? 0, log10(0.5), accuracy: 1e-12)
        XCTAssertEqual(state["step"], 0.1)
        XCTAssertEqual(state["value"], 0.005)
        try deliver(beta, ["method": "update", "state": ["value": 0.02], "buffer_paths": []])
        XCTAssertEqual(beta.value, 0.02)
    }

    func testADropdownShowsLabelsAndGivesTheTypedOption() throws {
        let kind = Dropdown("schedule", Kind.allCases, index: 1)
        let state = try XCTUnwrap(try comms().last?.data["state"])
        XCTAssertEqual(state["_model_name"], "DropdownModel")
        XCTAssertEqual(state["_options_labels"], ["linear", "sigmoid", "cosine"])
        XCTAssertEqual(state["index"], 1)
        XCTAssertEqual(kind.value, .sigmoid)
        var seen: [Kind] = []
        kind.observe { seen.append($0) }
        try deliver(kind, ["method": "update", "state": ["index": 2], "buffer_paths": []])
        XCTAssertEqual(seen, [.cosine])
        kind.select(.linear)
        XCTAssertEqual(try comms().last?.data["state"], ["index": 0])
        XCTAssertEqual(
            ToggleButtons("kind", options: [("one", 1), ("two", 2)]).textDescription,
            "ToggleButtons(kind = one, options: one, two)")
    }

    func testAButtonRunsItsHandlersOnAClick() throws {
        let button = Button("resample", style: "primary")
        var clicks = 0
        button.onClick { _ in clicks += 1 }
        try deliver(button, ["method": "custom", "content": ["event": "click"]])
        try deliver(button, ["method": "custom", "content": ["event": "hover"]])
        XCTAssertEqual(clicks, 1)
    }

    func testAnImageTravelsAsABinaryBufferAndRequestStateSendsItAgain() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let image = Image(png: png)
        let opened = try XCTUnwrap(try comms().last)
        XCTAssertEqual(opened.data["buffer_paths"], [["value"]])
        XCTAssertEqual(opened.buffers, [Data(png)])
        XCTAssertNil(opened.data["state"]?["value"], "a binary attribute is absent from the state (messages.md)")
        image.png = [9, 9]
        XCTAssertEqual(try comms().last?.buffers, [Data([9, 9])])

        try deliver(image, ["method": "request_state"])
        let full = try XCTUnwrap(try comms().last)
        XCTAssertEqual(full.data["method"], "update")
        XCTAssertEqual(full.data["state"]?["_model_name"], "ImageModel")
        XCTAssertEqual(full.data["buffer_paths"], [["value"]])
        XCTAssertEqual(full.buffers, [Data([9, 9])])
    }

    func testABinaryAttributeFromThePageReachesTheWidget() throws {
        let image = Image(png: [1])
        var seen = 0
        image.observe(["value"]) { _ in seen += 1 }
        try deliver(
            image, ["method": "update", "state": [:], "buffer_paths": [["value"]]], buffers: [Data([4, 5, 6])])
        XCTAssertEqual(image.png, [4, 5, 6])
        XCTAssertEqual(seen, 1)
    }

    func testAnOutputCapturesByTheParentMessage() throws {
        let output = Output()
        _ = try comms()
        NotebookChannel.parent = "execute-7"
        output.capture { display(markdown: "inside") }
        let events = try channel.events()
        XCTAssertEqual(events.count, 3)
        guard case .comm(let start) = events[0], case .displayData = events[1], case .comm(let end) = events[2] else {
            return XCTFail("\(events)")
        }
        XCTAssertEqual(start.data["state"], ["msg_id": "execute-7"])
        XCTAssertEqual(end.data["state"], ["msg_id": ""])
    }

    func testInteractDrawsAPictureIntoItsImageAndRedrawsOnEveryChange() throws {
        let t = IntSlider("t", 0...9, value: 2)
        let kind = Dropdown("kind", Kind.allCases)
        var calls: [String] = []
        let panel = interact(t, kind) { t, kind in
            calls.append("\(t) \(kind)")
            return MimeBundle(image: [UInt8](repeating: UInt8(t), count: 4), mimeType: "image/png")
        }
        XCTAssertEqual(calls, ["2 linear"])
        XCTAssertEqual(panel.image.png, [2, 2, 2, 2], "the first picture is in the image's initial state")
        XCTAssertEqual(panel.children.map(\.id), [t.id, kind.id, panel.image.id, panel.output.id])
        _ = try comms()

        try deliver(t, ["method": "update", "state": ["value": 7], "buffer_paths": []], parent: "slider-msg")
        XCTAssertEqual(calls, ["2 linear", "7 linear"])
        let events = try channel.events()
        // Capture on (by the slider's message), clear at once, the new picture, capture off.
        guard events.count == 4, case .comm(let captureOn) = events[0], case .clearOutput(let wait) = events[1],
            case .comm(let picture) = events[2], case .comm(let captureOff) = events[3]
        else { return XCTFail("\(events)") }
        XCTAssertEqual(captureOn.commID, panel.output.id)
        XCTAssertEqual(captureOn.data["state"], ["msg_id": "slider-msg"])
        XCTAssertFalse(wait)
        XCTAssertEqual(picture.commID, panel.image.id)
        XCTAssertEqual(picture.data["buffer_paths"], [["value"]])
        XCTAssertEqual(picture.buffers, [Data([7, 7, 7, 7])])
        XCTAssertEqual(captureOff.data["state"], ["msg_id": ""])

        try deliver(kind, ["method": "update", "state": ["index": 2], "buffer_paths": []])
        XCTAssertEqual(calls.last, "7 cosine")
    }

    func testInteractShowsOtherResultsAndErrorsInItsOutput() throws {
        struct TooLarge: Error {}
        let steps = IntSlider("T", 1...10, value: 3)
        let panel = interact(steps) { steps -> String in
            if steps > 5 { throw TooLarge() }
            return "T = \(steps)"
        }
        XCTAssertEqual(
            panel.output["outputs"],
            [["output_type": "display_data", "data": ["text/plain": "\"T = 3\""], "metadata": [:]]])
        XCTAssertEqual(panel.image.layout["display"], "none")
        _ = try comms()
        try deliver(steps, ["method": "update", "state": ["value": 4], "buffer_paths": []])
        let shown = try channel.events().compactMap { event -> JSONValue? in
            if case .displayData(let data, _, _) = event { return data["text/plain"] }
            if case .clearOutput(let wait) = event { return .bool(wait) }
            return nil
        }
        XCTAssertEqual(shown, [true, "\"T = 4\""], "clear when the next output arrives, then the result")
    }
}
