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
        withoutActuallyEscaping(body) { body in
            var task = ParallelTask { range in
                for i in range { slots[i] = body(i) }
            }
            withUnsafeMutablePointer(to: &task) { pointer in
                ddpm_parallel_for(
                    count, 1,
                    { context, begin, end in
                        context!.assumingMemoryBound(to: ParallelTask.self).pointee.run(begin..<end)
                    }, pointer)
            }
        }
    }
    return results.map { $0! }
}

/// The range body `parallelMap` hands to C.
private struct ParallelTask {
    let run: (Range<Int>) -> Void
}
