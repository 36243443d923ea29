import ExecutorWire
import WireJSON
import XCTest

final class ExecutorWireTests: XCTestCase {
    func testCommandsAreOneJSONLineEach() throws {
        let command = ExecutorCommand.run(
            cell: 12, entryPoint: "cell12_main", library: "/tmp/a dir/libCell\n12.so", parent: "msg-12")
        XCTAssertEqual(command.line.filter { $0 == "\n" }.count, 1)  // a newline in a path is escaped
        let fields = try JSONValue.parse(Data(command.line.utf8))
        XCTAssertEqual(fields["run"]?["cell"], 12)
        XCTAssertEqual(fields["run"]?["library"]?.stringValue, "/tmp/a dir/libCell\n12.so")
        XCTAssertEqual(ExecutorCommand(line: String(command.line.dropLast())), command)
        XCTAssertNil(ExecutorCommand(line: "run 12 cell12_main /tmp/libCell12.so"))

        let event = ExecutorCommand.event(number: 13, payload: "/tmp/work/event13.json")
        XCTAssertEqual(ExecutorCommand(line: String(event.line.dropLast())), event)
    }

    func testACommDeliveryKeepsItsBuffersThroughJSON() throws {
        let delivery = CommDelivery(
            parent: "msg-3",
            message: CommEvent(
                kind: "comm_msg", commID: "abc", data: ["method": "update", "state": ["value": 7]],
                buffers: [Data([0, 255, 10])]))
        XCTAssertEqual(try JSONDecoder().decode(CommDelivery.self, from: JSONEncoder().encode(delivery)), delivery)
    }

    func testStatusLinesRoundTrip() {
        let statuses: [ExecutorStatus] = [
            .ready(pid: 10), .started(cell: 3, pid: 4242), .succeeded(cell: 3),
            .failed(cell: 3, .exit(1)), .failed(cell: 3, .signal(4)), .failed(cell: 3, .load("undefined symbol: x y")),
        ]
        for status in statuses {
            XCTAssertEqual(ExecutorStatus(line: String(status.line.dropLast())), status, status.line)
        }
        XCTAssertNil(ExecutorStatus(line: "failed 3 boom 1"))
        // A loader message with a newline still fits one line.
        XCTAssertEqual(ExecutorStatus.failed(cell: 1, .load("a\nb")).line, "failed 1 load a b\n")
    }

    func testDisplayEventsAreOneJSONLineEach() throws {
        let view: JSONValue = ["model_id": "w-1", "version_major": 2, "version_minor": 0]
        let event = DisplayEvent.displayData(
            data: ["text/plain": "a\nb", "application/vnd.jupyter.widget-view+json": view],
            metadata: ["image/png": ["width": 3], "text/html": ["isolated": true]], displayID: "id-1")
        let line = event.encodedLine()
        // JSON stays JSON: a widget view is an object, a flag a boolean.
        let text = String(decoding: line, as: UTF8.self)
        XCTAssertTrue(text.contains(#""isolated":true"#), text)
        XCTAssertTrue(text.contains(#""version_major":2"#), text)
        XCTAssertEqual(line.last, 0x0A)
        XCTAssertEqual(line.filter { $0 == 0x0A }.count, 1)  // the newline in the text is escaped
        XCTAssertEqual(try DisplayEvent(line: line.dropLast()), event)
        XCTAssertEqual(try JSONDecoder().decode(InputReply.self, from: InputReply(value: nil).encodedLine()).value, nil)
    }
}
