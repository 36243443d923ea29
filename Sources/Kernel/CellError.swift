import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol

/// The one `error` output of a failed cell (messaging spec, "Execution
/// errors"): a name, a value, and the traceback lines the frontend shows.
public struct CellError: Error {
    /// (cell name, line, column in the compiled text) → the user's column.
    typealias ColumnMap = (String, Int, Int) -> Int

    public var ename: String
    public var evalue: String
    public var traceback: [String]

    /// The fields of an `error` message, which an error reply repeats.
    var fields: [String: JSONValue] {
        ["ename": .string(ename), "evalue": .string(evalue), "traceback": .array(traceback.map(JSONValue.string))]
    }

    static let rolledBack = "The cell was rolled back: every variable is as it was before the cell ran."
    static let eventRolledBack =
        "The widget's callback was rolled back: every variable and widget is as it was before the change."

    /// Errors found by the parser or the compiler, each with its code line and a caret.
    /// `columns` maps a column of the rewritten cell to the user's (see
    /// `CellRewriter.Result.originalColumn`).
    static func compile(
        _ diagnostics: [CompilerDiagnostic], sources: [String: String], output: String,
        columns: ColumnMap = { $2 }
    ) -> CellError {
        let shown = diagnostics.filter { $0.severity != .warning }.map { diagnostic in
            var mapped = diagnostic
            mapped.column = columns(diagnostic.file, diagnostic.line, diagnostic.column)
            return mapped
        }
        let errors = shown.filter { $0.severity == .error }
        let lines =
            shown.isEmpty
            ? output.split(separator: "\n").map(String.init)
            : shown.flatMap { diagnostic in
                var excerpt = diagnostic.excerpt(sources: sources)
                if diagnostic.severity == .error { excerpt[0] = highlight(excerpt[0]) }
                return excerpt
            }
        let count = errors.count
        let summary = errors.first?.message ?? "the compiler failed"
        return CellError(
            ename: "CompileError",
            evalue: count > 1 ? "\(summary) (and \(count - 1) more)" : summary,
            traceback: lines + ["The cell did not run; nothing changed."])
    }

    /// A cell whose process ended before the cell did. `trapReports` are the
    /// runtime's held-back stderr lines; `backtrace` the backtracer's report;
    /// `interruptGrace` the time an interrupted cell had to stop (nil when
    /// it was not interrupted).
    static func runtime(
        _ failure: CellFailure, trapReports: [String], backtrace: String?,
        sources: [String: String], interruptGrace: TimeInterval? = nil,
        columns: ColumnMap = { $2 }
    ) -> CellError {
        let frames = (backtrace.map(cellFrames) ?? []).map { frame in
            (cell: frame.cell, line: frame.line, column: columns(frame.cell, frame.line, frame.column))
        }
        // Consecutive frames at the same place (recursion) are shown once, with a count.
        var runs: [(frame: (cell: String, line: Int, column: Int), count: Int)] = []
        for frame in frames {
            if let last = runs.last, last.frame == frame {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((frame, 1))
            }
        }
        var where_: [String] = []
        for (index, run) in runs.enumerated() {
            let frame = run.frame
            let diagnostic = CompilerDiagnostic(
                file: frame.cell, line: frame.line, column: frame.column,
                severity: .note, message: "")
            var lines = diagnostic.excerpt(sources: sources)
            lines[0] =
                "\(frame.cell), line \(frame.line), column \(frame.column)" + (index == 0 ? "" : " (called from)")
                + (run.count > 1 ? " (\(run.count) times in a row)" : "")
            where_ += lines
        }
        let recursion = runs.first(where: { $0.count >= 20 })?.frame
        var error: CellError
        switch failure {
        case .exit(let code):
            error = CellError(ename: "exit", evalue: "the cell called exit(\(code))", traceback: [])
        case .load(let message):
            error = CellError(ename: "LoadError", evalue: message, traceback: [])
        case .signal(let signal) where interruptGrace != nil && signal == SIGKILL:
            error = CellError(
                ename: "Interrupted",
                evalue:
                    "the cell did not stop within \(Self.duration(interruptGrace!)) of the interrupt, so it was stopped",
                traceback: [])
        case .signal(let signal):
            let isTrap = { (line: String) in StreamBuffer.trapPrefixes.contains { line.contains($0) } }
            if let report = trapReports.first(where: isTrap),
                let prefix = StreamBuffer.trapPrefixes.first(where: { report.contains($0) })
            {
                let message = String(report[report.range(of: prefix)!.upperBound...])
                let thrownPrefix = "Error raised at top level: "
                if message.hasPrefix(thrownPrefix) {
                    let thrown = String(message.dropFirst(thrownPrefix.count))
                    // An error with its own description (`CustomStringConvertible`) is
                    // reported by that sentence alone, which does not name its type.
                    error = CellError(
                        ename: thrownTypeName(thrown) ?? "Error", evalue: withoutCellModules(thrown),
                        traceback: [])
                } else {
                    error = CellError(ename: String(prefix.dropLast(2)), evalue: message, traceback: [])
                }
            } else if let recursion, signal == SIGSEGV || signal == SIGBUS {
                error = CellError(
                    ename: "Stack overflow",
                    evalue: "\(recursion.cell), line \(recursion.line) calls itself again and again "
                        + "(a recursion without an end?)", traceback: [])
            } else if let crash = backtrace.flatMap(crashLine) {
                error = CellError(ename: "Crash", evalue: crash, traceback: [])
            } else {
                error = CellError(
                    ename: "Crash", evalue: "the cell's process died of signal \(signal) (\(signalName(signal)))",
                    traceback: [])
            }
        }
        let headline = highlight("\(error.ename): \(error.evalue)")
        error.traceback = [headline] + where_ + [rolledBack]
        return error
    }

    /// Where the executor vanished altogether (killed from outside, out of memory).
    static let executorLost = CellError(
        ename: "ExecutorLost",
        evalue: "the process holding the notebook's state was killed from outside (or ran out of memory)",
        traceback: [
            highlight(
                "ExecutorLost: the process holding the notebook's state was killed from outside (or ran out of memory)."
            ),
            stateReset,
        ])

    /// A cell that stopped at an interrupt and kept what it did, reported as
    /// an error so that the frontend stops running the queued cells.
    static let interruptedKeepingState = CellError(
        ename: "Interrupted",
        evalue: "the cell stopped at the interrupt; what it did until then is kept",
        traceback: [highlight("Interrupted: the cell stopped at the interrupt; what it did until then is kept.")])

    static let stateReset = "The notebook's state was reset: run the cells that define what you need again."

    /// Frames of the backtrace that lie in cells, innermost first:
    /// `… in libCell7.so at /tmp/…/Cell[3]:5:8`.
    static func cellFrames(_ backtrace: String) -> [(cell: String, line: Int, column: Int)] {
        var frames: [(cell: String, line: Int, column: Int)] = []
        for line in backtrace.split(separator: "\n") {
            guard let open = line.range(of: "Cell[", options: .backwards) else { continue }
            let rest = line[open.lowerBound...]
            let parts = rest.split(separator: ":")
            guard parts.count >= 3, let lineNumber = Int(parts[1]),
                let column = Int(parts[2].prefix(while: \.isNumber))
            else { continue }
            frames.append((String(parts[0]), lineNumber, column))
        }
        return frames
    }

    /// `Program crashed: Bad pointer dereference at 0x…` from the backtracer's report.
    static func crashLine(_ backtrace: String) -> String? {
        guard let line = backtrace.split(separator: "\n").first(where: { $0.contains("Program crashed: ") }) else {
            return nil
        }
        let message = line[line.range(of: "Program crashed: ")!.upperBound...]
        return String(message.replacingOccurrences(of: " ***", with: ""))
    }

    /// The type of a thrown error from its reflection: `Cell3.ParseError(line: 2)`
    /// → `ParseError`; `Cell3.Oops.bad("no")` and `Cell3.Oops.bad` → `Oops`; nil
    /// for an error that describes itself in a sentence.
    static func thrownTypeName(_ reflected: String) -> String? {
        let plain = withoutCellModules(reflected)
        let name = plain.firstIndex(of: "(").map { String(plain[..<$0]) } ?? plain
        // A type's path (`Outer.Inner`, `Oops.bad`), not a sentence.
        guard
            name.range(of: #"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"#, options: .regularExpression) != nil
        else { return nil }
        var components = name.split(separator: ".")
        // A lower-case last component is an enum case.
        if components.count > 1, let first = components.last?.first, first.isLowercase { components.removeLast() }
        return components.joined(separator: ".")
    }

    /// Drops `Cell12.` qualifications, which mean nothing to the user.
    static func withoutCellModules(_ text: String) -> String {
        text.replacingOccurrences(of: #"\bCell\d+\."#, with: "", options: .regularExpression)
    }

    /// `2` → "2 seconds", `1` → "1 second", `0.5` → "0.5 seconds".
    static func duration(_ seconds: TimeInterval) -> String {
        let number = seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%g", seconds)
        return number + (seconds == 1 ? " second" : " seconds")
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV: a bad memory access, or a stack overflow"
        case SIGBUS: return "SIGBUS"
        case SIGILL: return "SIGILL: a trap"
        case SIGTRAP: return "SIGTRAP: a trap"
        case SIGABRT: return "SIGABRT: abort()"
        case SIGFPE: return "SIGFPE: an arithmetic error"
        case SIGKILL: return "SIGKILL: killed from outside, or out of memory"
        default: return "signal \(signal)"
        }
    }

    /// Red and bold in the frontend (tracebacks may carry ANSI colours).
    static func highlight(_ line: String) -> String {
        return "\u{1B}[1;31m" + line + "\u{1B}[0m"
    }
}
