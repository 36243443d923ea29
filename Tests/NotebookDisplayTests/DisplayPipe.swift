import ExecutorWire
import Foundation
import NotebookDisplay

/// The runtime's display channel over a real pipe, as the executor sets it
/// up; `events()` reads what the runtime sent since the last call.
final class DisplayPipe {
    var displayFDs: [Int32] = [0, 0]
    var inputFDs: [Int32] = [0, 0]

    init() {
        pipe(&displayFDs)
        pipe(&inputFDs)
        NotebookChannel.current = NotebookChannel(displayFD: displayFDs[1], inputFD: inputFDs[0])
    }

    func close() {
        NotebookChannel.current = nil
        for fd in displayFDs + inputFDs { Glibc.close(fd) }
    }

    func events() throws -> [DisplayEvent] {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var status = fcntl(displayFDs[0], F_GETFL)
        status |= O_NONBLOCK
        _ = fcntl(displayFDs[0], F_SETFL, status)
        while true {
            let count = read(displayFDs[0], &buffer, buffer.count)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return try data.split(separator: 0x0A).map { try DisplayEvent(line: Data($0)) }
    }
}
