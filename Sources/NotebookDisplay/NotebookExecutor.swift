@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency
#if canImport(Glibc)
    import Glibc
#endif
internal import CNotebookRuntime

/// Swift concurrency in the notebook runs on one thread, the executor's
/// main thread: this executor is both the main actor's and the default
/// (global) one, and keeps its timers itself.
///
/// Why: the executor forks before every cell so that a failed cell rolls
/// back (DESIGN.md, "Processes"), and a fork copies only the calling
/// thread. The platform's executors would start libdispatch worker threads
/// at a cell's first `await`, after which no later fork could use them;
/// and a cell with top-level `await` compiles into an asynchronous main
/// that gives the main thread to libdispatch and ends with `exit(0)`.
/// Here jobs run between a cell's statements on the thread that runs the
/// cell, `Task.sleep` waits on this executor's clock, and the cell returns
/// to the executor when its code has ended (`_cellAsyncMainEnded`).
final class NotebookExecutor: MainExecutor, TaskExecutor, SchedulingExecutor, @unchecked Sendable {
    static let shared = NotebookExecutor()

    /// Jobs in the order they became ready (FIFO; priorities are ignored).
    private var ready: [UnownedJob] = []
    private var readyHead = 0
    /// Sleeping jobs by due time (nanoseconds of CLOCK_MONOTONIC).
    private var timers: [(due: UInt64, job: UnownedJob)] = []
    private var mutex = pthread_mutex_t()
    private var wakeUp = pthread_cond_t()

    private init() {
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&wakeUp, &attributes)
    }

    /// Makes this executor the main and default executor of the process and
    /// the runner of asynchronous cells. Called once, before any task exists.
    static func install() {
        _createExecutors(factory: Factory.self)
        ddpm_cell_install_async_main { wait in NotebookExecutor.shared.runNextJob(wait: wait != 0) ? 1 : 0 }
    }

    private struct Factory: ExecutorFactory {
        static var mainExecutor: any MainExecutor { NotebookExecutor.shared }
        static var defaultExecutor: any TaskExecutor { NotebookExecutor.shared }
    }

    // MARK: Enqueueing (any thread)

    /// A job for the main actor or for the default executor: both run here.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock()
        ready.append(job)
        pthread_cond_signal(&wakeUp)
        unlock()
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        let job = UnownedJob(job)
        let due = Self.now() &+ Self.nanoseconds(delay)
        lock()
        timers.append((due, job))
        timers.sort { $0.due < $1.due }
        pthread_cond_signal(&wakeUp)
        unlock()
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
        enqueue(job, after: clock.now.duration(to: instant), tolerance: tolerance, clock: clock)
    }

    // MARK: Running (the main thread)

    /// Runs the next ready job; with `wait`, first waits until one is ready
    /// or a timer is due. Returns whether a job ran.
    func runNextJob(wait: Bool) -> Bool {
        lock()
        while true {
            let now = Self.now()
            while let first = timers.first, first.due <= now {
                ready.append(first.job)
                timers.removeFirst()
            }
            if readyHead < ready.count { break }
            guard wait else {
                unlock()
                return false
            }
            if let due = timers.first?.due {
                var deadline = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
                pthread_cond_timedwait(&wakeUp, &mutex, &deadline)
            } else {
                pthread_cond_wait(&wakeUp, &mutex)  // only another thread can enqueue now
            }
        }
        let job = ready[readyHead]
        readyHead += 1
        if readyHead == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
        }
        unlock()
        job.runSynchronously(on: asUnownedSerialExecutor())
        return true
    }

    /// The platform's entry for an asynchronous main; cells never reach it
    /// (their drain is `ddpm_cell_run`'s), a program linking the DSL might.
    func run() throws {
        while true { _ = runNextJob(wait: true) }
    }

    func stop() {}

    /// Every job of the notebook runs on the thread that runs cells.
    func checkIsolated() {}
    func isIsolatingCurrentContext() -> Bool? { true }

    private func lock() { pthread_mutex_lock(&mutex) }
    private func unlock() { pthread_mutex_unlock(&mutex) }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// A clock's duration in nanoseconds (zero for a clock whose durations
    /// are not `Duration`s, which then fire at once).
    private static func nanoseconds<D: DurationProtocol>(_ duration: D) -> UInt64 {
        guard let duration = duration as? Swift.Duration else { return 0 }
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(max(0, attoseconds / 1_000_000_000))
    }
}

/// The end of a cell's asynchronous top-level code (the rewriter appends
/// `await _cellAsyncMainEnded()` to cells that use `await` at top level).
/// The cell's task suspends for good here instead of reaching the `exit(0)`
/// that ends an asynchronous main; its globals live on in the process.
public func _cellAsyncMainEnded() async {
    await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
        endedMainTasks.append(continuation)  // kept, never resumed
        ddpm_cell_async_main_ended()
    }
}

nonisolated(unsafe) private var endedMainTasks: [UnsafeContinuation<Void, Never>] = []
