import ExecutorWire
import Foundation

/// One cell in the executor, from the `run` command to its status line: the
/// process that runs it, the interrupt (SIGINT at once, SIGKILL after the
/// grace period) and how it ended (DESIGN.md, "Interrupt").
struct RunningCell {
    /// The compile number, echoed by the executor's status lines.
    let cell: Int
    /// The forked child that runs the cell, once the executor said so.
    private(set) var pid: pid_t?
    /// When the command was sent, and when the child said it started.
    let sentAt = Date()
    private(set) var startedAt: Date?
    /// When an interrupted cell is killed if it has not ended.
    private(set) var interruptDeadline: Date?
    private var interruptSent = false
    private var killed = false
    /// How it ended: succeeded, interrupted (state kept) or failed.
    private(set) var outcome: ExecutorStatus?
    /// Every executor process is gone (killed from outside).
    private(set) var lost = false
    private var statusReader = LineReader()
    var displayReader = LineReader()

    init(cell: Int) { self.cell = cell }

    var isFinished: Bool { outcome != nil || lost }
    var wasInterrupted: Bool { interruptDeadline != nil }

    /// The user pressed interrupt: the first request starts the grace period.
    mutating func requestInterrupt(grace: TimeInterval, now: Date = Date()) {
        if interruptDeadline == nil { interruptDeadline = now.addingTimeInterval(grace) }
        signalIfDue(now: now)
    }

    /// Ends the cell at once (the kernel shuts down while it runs).
    mutating func kill() {
        guard let pid, !killed else { return }
        Glibc.kill(pid, SIGKILL)
        killed = true
    }

    /// The executor could not be told to run the cell.
    mutating func markLost() { lost = true }

    /// Reads the executor's status lines; returns the processes that started
    /// (to be reaped by the kernel, their subreaper).
    mutating func readStatus(_ fd: Int32, log: (String) -> Void) -> [pid_t] {
        var started: [pid_t] = []
        for line in statusReader.read(fd) {
            let text = String(decoding: line, as: UTF8.self)
            switch ExecutorStatus(line: text) {
            case .started(cell, let child)?:
                pid = child
                startedAt = Date()
                started.append(child)
            case .succeeded(cell)?, .interrupted(cell)?, .failed(cell, _)?:
                outcome = ExecutorStatus(line: text)
            case .ready?:
                break
            default:
                log("unexpected executor status: \(text)")
            }
        }
        if statusReader.closed && outcome == nil { lost = true }
        signalIfDue(now: Date())
        return started
    }

    /// How long to wait for the executor, at most 200 ms: until the first of
    /// `also` (streams due to be flushed) or the interrupt's deadline.
    func timeout(now: Date = Date(), also: [Date?]) -> Int {
        let wakeUps = (also + [interruptDeadline]).compactMap { $0 }
        let soonest = wakeUps.map { max(0, Int($0.timeIntervalSince(now) * 1000) + 1) }.min() ?? 200
        return min(soonest, 200)
    }

    /// SIGINT once the cell's process is known (the DSL's loops stop at their
    /// next step); SIGKILL when it is still running at the deadline (its
    /// parent then rolls the cell back).
    private mutating func signalIfDue(now: Date) {
        guard let deadline = interruptDeadline, let pid else { return }
        if !interruptSent {
            Glibc.kill(pid, SIGINT)
            interruptSent = true
        }
        if !killed, now >= deadline {
            Glibc.kill(pid, SIGKILL)
            killed = true
        }
    }
}
