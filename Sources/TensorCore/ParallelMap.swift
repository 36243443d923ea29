internal import CTensorKernels

/// `body(i)` for every i in 0 ..< count, spread over the cores on OpenMP's
/// threads (`ddpm_parallel_for`); the results in order.
///
/// Not on Dispatch's: the executor forks before every cell, and a child
/// forked while a Dispatch worker of an earlier cell held the runtime's
/// one-time-initialisation lock hung there (two threads waiting forever on a
/// `static let`). OpenMP's pool is released before each fork and started
/// again on first use, so the child has no inherited threads or locks.
public func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    var results = [T?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { buffer in
        let slots = buffer  // a copy of the pointer, which the closure below may capture
        parallelRanges(count) { range in
            for i in range { slots[i] = body(i) }
        }
    }
    return results.map { $0! }
}

/// `body(share, shares)` once for each share of the work, shares = the
/// cores OpenMP runs on, the shares on its threads side by side: share 0 on
/// the calling thread, share s of a split on the same thread every time, so
/// that a loop cut the same way each call finds its part in that core's
/// cache. With `shared` false, the same shares one after another on this
/// thread: a sum over them then has the same bits either way.
public func onEachCore(_ shared: Bool = true, _ body: (_ share: Int, _ shares: Int) -> Void) {
    let shares = coreShareCount()
    if !shared || shares < 2 {
        for share in 0..<shares { body(share, shares) }
        return
    }
    parallelRanges(shares) { range in
        for share in range { body(share, shares) }
    }
}

/// The number of shares `onEachCore` cuts work into: the cores OpenMP runs on.
public func coreShareCount() -> Int { Swift.max(ddpm_parallel_threads(), 1) }

/// The elements of `count` that share `share` of `shares` (`onEachCore`)
/// takes of a tensor: cut at whole cache lines (16 floats), the last to the
/// end.
public func coreShare(of count: Int, share: Int, shares: Int) -> Range<Int> {
    let begin = count * share / shares & ~15
    let end = share + 1 == shares ? count : count * (share + 1) / shares & ~15
    return begin..<Swift.max(begin, end)
}

/// Whether the cores share work that one core's caches hold: when they pass
/// data between them cheaply (`ddpm_cores_share_cheaply`, checked at most 20
/// times a second) and the training loop has not found that sharing its
/// steps does not pay (`coreSharingDeclined`), unless a test has fixed the
/// answer (`coreSharingOverride`). The results are the same either way, to
/// the bit: only the time differs.
public func coresShareCheaply() -> Bool {
    coreSharingOverride ?? (!coreSharingDeclined && ddpm_cores_share_cheaply() != 0)
}

/// Set while the training loop's own step times show that sharing its steps
/// between the cores does not pay (NN's `CoreSharingTrial`).
package var coreSharingDeclined = false

/// Fixes `coresShareCheaply()`'s answer while not nil: for tests that
/// compare the shared and the one-core paths on any machine.
package var coreSharingOverride: Bool? = nil

/// `run(range)` for ranges that cover 0 ..< count, one to each of OpenMP's
/// threads (`ddpm_parallel_for`).
private func parallelRanges(_ count: Int, _ run: (Range<Int>) -> Void) {
    withoutActuallyEscaping(run) { run in
        var task = ParallelTask(run: run)
        withUnsafeMutablePointer(to: &task) { pointer in
            ddpm_parallel_for(
                count, 1,
                { context, begin, end in
                    context!.assumingMemoryBound(to: ParallelTask.self).pointee.run(begin..<end)
                }, pointer)
        }
    }
}

/// The range body `parallelRanges` hands to C.
private struct ParallelTask {
    let run: (Range<Int>) -> Void
}
