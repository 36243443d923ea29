import ExecutorWire
import XCTest

final class ExecutorWireTests: XCTestCase {
    func testCommandLinesRoundTripWithSpacesInThePath() {
        let command = ExecutorCommand.run(cell: 12, entryPoint: "cell12_main", library: "/tmp/a dir/libCell12.so")
        XCTAssertEqual(command.line, "run 12 cell12_main /tmp/a dir/libCell12.so\n")
        XCTAssertEqual(ExecutorCommand(line: String(command.line.dropLast())), command)
        XCTAssertNil(ExecutorCommand(line: "run twelve x y"))
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
        let event = DisplayEvent.displayData(data: ["text/plain": "a\nb"], metadata: ["image/png": ["width": 3]],
                                             displayID: "id-1")
        let line = event.encodedLine()
        XCTAssertEqual(line.last, 0x0A)
        XCTAssertEqual(line.filter { $0 == 0x0A }.count, 1)  // the newline in the text is escaped
        XCTAssertEqual(try DisplayEvent(line: line.dropLast()), event)
        XCTAssertEqual(try JSONDecoder().decode(InputReply.self, from: InputReply(value: nil).encodedLine()).value, nil)
    }
}
