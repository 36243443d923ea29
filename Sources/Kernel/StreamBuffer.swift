import Foundation

/// Output of the executor on one stream, batched into `stream` messages:
/// text goes out once it has waited `interval` (so a loop printing a
/// thousand lines sends a few messages, and a progress bar without a
/// newline still shows), and at the end of the cell.
///
/// On stderr, the runtime's own report of a trap (`…: Fatal error: …`, the
/// backtracer's banner) is held back, and so is everything after it and any
/// text that is only blank lines: the kernel puts the report into the
/// cell's one `error` message instead, and `finishCell` releases the held
/// text only if the cell did not fail after all.
struct StreamBuffer {
    /// How the Swift runtime begins the message of `fatalError`, `precondition` and `assert`.
    static let trapPrefixes = ["Fatal error: ", "Precondition failed: ", "Assertion failed: "]

    let name: String
    let interval: TimeInterval
    let holdsTrapReports: Bool
    private var bytes: [UInt8] = []
    private var firstPending: Date?
    /// Trap reports held back during the current cell.
    private(set) var trapReports: [String] = []
    /// Held text: blank lines (which the runtime writes around its report),
    /// and all text after a trap report.
    private var held = ""

    init(name: String, interval: TimeInterval = 0.05, holdsTrapReports: Bool = false) {
        self.name = name
        self.interval = interval
        self.holdsTrapReports = holdsTrapReports
    }

    mutating func append(_ data: Data) {
        guard !data.isEmpty else { return }
        bytes += data
        if firstPending == nil { firstPending = Date() }
    }

    /// When the pending text is due, for the poll timeout.
    var due: Date? { firstPending.map { $0.addingTimeInterval(interval) } }

    /// The text to send now (all of it when `force`), or nil.
    mutating func take(force: Bool, now: Date = Date()) -> String? {
        guard let first = firstPending, force || now.timeIntervalSince(first) >= interval else { return nil }
        // Keep an incomplete UTF-8 sequence at the end for the next read.
        var end = bytes.count
        if !force {
            var back = 0
            while back < min(3, end), bytes[end - 1 - back] & 0xC0 == 0x80 { back += 1 }
            if back < end {
                let lead = bytes[end - 1 - back]
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
                if length > back + 1 { end -= back + 1 }
            }
        }
        var text = String(decoding: bytes[0..<end], as: UTF8.self)
        bytes.removeFirst(end)
        firstPending = bytes.isEmpty ? nil : now
        if holdsTrapReports { text = holdBack(text) }
        return text.isEmpty ? nil : text
    }

    /// Ends the cell: the trap reports it held, and the held text, which is
    /// the user's (to be sent) unless the cell `failed`.
    mutating func finishCell(failed: Bool) -> (trapReports: [String], text: String?) {
        var text = held
        if !failed && !trapReports.isEmpty { text = trapReports.joined(separator: "\n") + "\n" + text }
        defer {
            trapReports = []
            held = ""
        }
        return (trapReports, failed || text.isEmpty ? nil : text)
    }

    private mutating func holdBack(_ text: String) -> String {
        if !trapReports.isEmpty {
            held += text  // the process is going down: the backtracer's progress, blank lines
            return ""
        }
        var kept = ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let last = lines.removeLast()  // after the last newline (maybe empty)
        for line in lines {
            if StreamBuffer.isTrapReport(line) {
                trapReports.append(String(line))
            } else if !trapReports.isEmpty {
                held += line + "\n"
            } else if line.allSatisfy(\.isWhitespace) {
                held += line + "\n"
            } else {
                kept += held + line + "\n"
                held = ""
            }
        }
        if StreamBuffer.isTrapReport(last) {
            trapReports.append(String(last))  // the backtracer's banner, continued later on its line
        } else if !trapReports.isEmpty || last.allSatisfy(\.isWhitespace) {
            held += last
        } else {
            kept += held + last
            held = ""
        }
        return kept
    }

    /// The Swift runtime's `<file>:<line>: Fatal error: <message>` (or
    /// `Precondition failed: `, `Assertion failed: `) and the backtracer's
    /// `*** Signal 4: Backtracing … ***` lines.
    static func isTrapReport(_ line: Substring) -> Bool {
        trapPrefixes.contains { line.contains($0) } || (line.hasPrefix("*** ") && line.contains("Backtracing"))
            || line.hasPrefix("💣 Program crashed")
    }
}
