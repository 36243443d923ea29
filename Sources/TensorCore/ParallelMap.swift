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

/// `body(share)` once for each share of the work, `coreShareCount()` of
/// them (the cores OpenMP runs on), on its threads side by side: share 0 on
/// the calling thread, share s of a split on the same thread every time, so
/// that a loop cut the same way each call finds its part in that core's
/// cache. With `shared` false, the same shares one after another on this
/// thread: a sum over them then has the same bits either way.
public func onEachCore(_ shared: Bool = true, _ body: (_ share: Int) -> Void) {
    let shares = coreShareCount()
    if !shared || shares < 2 {
        for share in 0..<shares { body(share) }
        return
    }
    parallelRanges(shares) { range in
        for share in range { body(share) }
    }
}

/// The number of shares `onEachCore` cuts work into: the cores OpenMP runs on.
public func coreShareCount() -> Int { Swift.max(ddpm_parallel_threads(), 1) }

/// How `onEachCore`'s shares cut a list of tensors: a tensor with a home
/// share (the core that wrote it last, `TensorStorage.homeShare`: a layer's
/// ∂L/∂W made on the other core) goes whole to that share, which takes
/// nothing else; the others are cut at cache lines (16 floats), each at the
/// same fractions, among the shares without a home, so that these get as
/// near the same number of elements in all as the homes allow. A home's
/// elements cost more (the other core reads those weights in the next
/// products): in the seeds' training step, with 8% of the other tensors
/// added to the second core's two weights to even the counts, its part of
/// Adam took 30 µs against the first core's 20, and the Adam phase 32–34 µs;
/// with the two weights alone, 27–29.
package struct CoreParts {
    private let homes: [Int?]
    /// Share s takes the fractions bounds[s] ..< bounds[s + 1] of every tensor without a home.
    private let bounds: [Double]

    /// The parts of tensors of `counts` elements whose homes are `homes`, among `shares` shares.
    package init(counts: [Int], homes: [Int?], shares: Int) {
        self.homes = homes.map { $0.flatMap { (0..<shares).contains($0) ? $0 : nil } }
        var homed = [Double](repeating: 0, count: shares)
        for (count, home) in zip(counts, self.homes) { if let home { homed[home] += Double(count) } }
        let even = Double(counts.reduce(0, +)) / Double(shares)
        var wanted = homed.map { $0 > 0 ? 0 : Swift.max(0, even - $0) }
        if !wanted.contains(where: { $0 > 0 }) { wanted = [Double](repeating: 1, count: shares) }
        var bounds = [0.0]
        for w in wanted { bounds.append(bounds[bounds.count - 1] + w) }
        let whole = bounds[shares]
        self.bounds = bounds.map { $0 / whole }
    }

    /// The elements of tensor `index` (of `count` elements) that `share` takes.
    package func part(_ index: Int, count: Int, share: Int) -> Range<Int> {
        if let home = homes[index] { return home == share ? 0..<count : count..<count }
        // The element at fraction f of the tensor, rounded down to a cache line.
        func cut(_ f: Double) -> Int { f >= 1 ? count : Swift.min(Int(Double(count) * f) & ~15, count) }
        let begin = cut(bounds[share]), end = cut(bounds[share + 1])
        return begin..<Swift.max(begin, end)
    }
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
