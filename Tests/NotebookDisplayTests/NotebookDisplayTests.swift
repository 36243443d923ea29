import ExecutorWire
import Foundation
import NotebookDisplay
import XCTest

/// The runtime side of the display channel, over a real pipe, as the
/// executor sets it up.
final class NotebookDisplayTests: XCTestCase {
    struct Schedule: Displayable {
        var mimeBundle: MimeBundle { MimeBundle(html: "<table/>", text: "Schedule(T: 10)") }
    }

    var channel: DisplayPipe!
    var inputFDs: [Int32] { channel.inputFDs }

    override func setUp() { channel = DisplayPipe() }
    override func tearDown() { channel.close() }

    func events() throws -> [DisplayEvent] { try channel.events() }

    func testCellResultOfPlainValuesStringsAndVoid() throws {
        _cellResult(42)
        _cellResult("text")
        _cellResult(())
        XCTAssertEqual(
            try events(),
            [
                .executeResult(data: ["text/plain": "42"], metadata: [:]),
                .executeResult(data: ["text/plain": "\"text\""], metadata: [:]),
            ])
        // `display(…)` on a cell's last line shows its output once, not also its handle.
        _cellResult(display(markdown: "once"))
        XCTAssertEqual(try events().count, 1)
    }

    func testDisplayableValuesShowTheirRichForm() throws {
        _cellResult(Schedule())
        XCTAssertEqual(
            try events(),
            [.executeResult(data: ["text/html": "<table/>", "text/plain": "Schedule(T: 10)"], metadata: [:])])
    }

    func testDisplayHandlesUpdateTheirOwnOutput() throws {
        let handle = display(html: "<b>1</b>")
        handle.update(markdown: "**2**")
        clearOutput(wait: true)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
        display(png: png)
        let received = try events()
        XCTAssertEqual(received.count, 4)
        XCTAssertEqual(
            received[0],
            .displayData(
                data: ["text/html": "<b>1</b>", "text/plain": "<HTML>"], metadata: [:],
                displayID: handle.id))
        XCTAssertEqual(
            received[1],
            .updateDisplayData(
                data: ["text/markdown": "**2**", "text/plain": "**2**"], metadata: [:],
                displayID: handle.id))
        XCTAssertEqual(received[2], .clearOutput(wait: true))
        guard case .displayData(let data, _, let id) = received[3] else { return XCTFail("\(received[3])") }
        XCTAssertEqual(data["image/png"], "iVBORw==")  // base64 of the four bytes
        XCTAssertNotEqual(id, handle.id)
    }

    func testReadLineAsksTheKernelAndReturnsItsAnswer() throws {
        let answer = InputReply(value: "Ada").encodedLine() + InputReply(value: nil).encodedLine()
        _ = answer.withUnsafeBytes { write(inputFDs[1], $0.baseAddress, $0.count) }
        XCTAssertEqual(readLine(prompt: "Name? "), "Ada")
        XCTAssertNil(readLine())
        XCTAssertEqual(
            try events(),
            [
                .inputRequest(prompt: "Name? ", password: false),
                .inputRequest(prompt: "", password: false),
            ])
    }

    func testTheInterruptFlagIsSetBySIGINTAndCleared() {
        Interrupt.installHandler()
        Interrupt.clear()
        XCTAssertFalse(Interrupt.isRequested)
        raise(SIGINT)  // the handler only records it
        XCTAssertTrue(Interrupt.isRequested)
        notebookCellBegin("execute-3")
        XCTAssertFalse(Interrupt.isRequested)
        XCTAssertEqual(NotebookChannel.parent, "execute-3")  // what an Output captures by
    }
}
