import TensorCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decides from the training loop's own steps whether sharing them between
/// the cores pays on this machine: `coresShareCheaply()` only says that the
/// cores pass a cache line back and forth quickly, not that a step split
/// between them is faster. Every `period` optimiser steps, `blocks` blocks of
/// `blockLength` steps run alternately shared and on one core; each step is
/// timed from one `step()` to the next (the whole loop's step: forward,
/// backward, clipping, the update), the first of each block not counted (it
/// pays for moving the data to where the new way wants it), and the cores
/// keep sharing only while the shared steps' median is at least 3% below the
/// others'. On the AMD machine the shared step was 222–248 µs against
/// 296–302; on the Intel machine of earlier sessions a split product made
/// the step slower, and this is what would turn the sharing off there. The
/// results have the same bits either way.
final class CoreSharingTrial {
    static let period = 1024
    static let blockLength = 4
    static let blocks = 8
    static let warmUp = 64

    /// The one trial that the process's optimisers report their steps to.
    static let shared = CoreSharingTrial()

    /// Whether the last trial found that sharing did not pay.
    private(set) var declined = false
    private let now: () -> UInt64
    private var last: UInt64?
    /// The first trial starts after `warmUp` steps, whose times include the
    /// memory a loop's first steps map and the code they first touch.
    private var stepsSinceTrial = period - warmUp
    /// The step of the trial running now (the interval until the next call), or nil outside one.
    private var position: Int?
    private var sharedSteps: [UInt64] = []
    private var aloneSteps: [UInt64] = []

    init(clock: @escaping () -> UInt64 = CoreSharingTrial.monotonicNanoseconds) {
        now = clock
    }

    static func monotonicNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Called at the end of each optimiser step: times the step that just
    /// ended and sets `coreSharingDeclined` for the next one.
    func stepFinished() {
        let time = now()
        defer { last = time }
        if let step = position {
            if step % Self.blockLength != 0, let last {
                if Self.sharesInTrial(step) {
                    sharedSteps.append(time &- last)
                } else {
                    aloneSteps.append(time &- last)
                }
            }
            position = step + 1 < Self.blocks * Self.blockLength ? step + 1 : nil
            if position == nil {
                declined = !(Self.median(sharedSteps) < 0.97 * Self.median(aloneSteps))
                stepsSinceTrial = 0
            }
        } else {
            stepsSinceTrial += 1
            if stepsSinceTrial >= Self.period {
                position = 0
                sharedSteps.removeAll(keepingCapacity: true)
                aloneSteps.removeAll(keepingCapacity: true)
            }
        }
        coreSharingDeclined = position.map { !Self.sharesInTrial($0) } ?? declined
    }

    /// Whether step `step` of a trial runs shared: the even blocks.
    private static func sharesInTrial(_ step: Int) -> Bool { step / blockLength % 2 == 0 }

    private static func median(_ values: [UInt64]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : Double(sorted[sorted.count / 2])
    }
}
