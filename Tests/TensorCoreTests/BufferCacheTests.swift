import XCTest

@testable import TensorCore

/// Tensor memory is reused by size: a loop that makes the same tensors every
/// step, as a sampler's reverse steps and a training step do, maps memory in
/// its first step only.
final class BufferCacheTests: XCTestCase {
    func testAStepLoopMapsMemoryOnlyInItsFirstStep() {
        let generator = Generator(seed: 7)
        let w1 = randn(shape: [128, 2], generator: generator), b1 = randn(shape: [128], generator: generator)
        let w2 = randn(shape: [128, 128], generator: generator), b2 = randn(shape: [128], generator: generator)
        let w3 = randn(shape: [2, 128], generator: generator)
        var x = randn(shape: [4096, 2], generator: generator)  // 32 KB: above BufferCache.largeBytes
        func step() {
            GradMode.withNoGrad {
                let h = linear(linear(x, weight: w1, bias: b1, relu: true), weight: w2, bias: b2, relu: true)
                x = x * 0.9 + linear(h, weight: w3, bias: nil) * 0.1
            }
        }
        step()
        let mapped = BufferCache.mappedBlocks
        for _ in 0..<20 { step() }
        XCTAssertEqual(BufferCache.mappedBlocks, mapped, "steps after the first mapped new memory")
        XCTAssertTrue(x.scalars.allSatisfy(\.isFinite))
    }

    func testBlocksAreReusedByPageRoundedSize() {
        let a = BufferCache.allocate(bytes: 40_000)
        BufferCache.release(a, bytes: 40_000)
        let b = BufferCache.allocate(bytes: 40_960)  // the same 10 pages
        XCTAssertEqual(a, b)
        BufferCache.release(b, bytes: 40_960)
    }
}

/// The large products go through oneDNN (bias and ReLU in the output pass),
/// the small ones through sgemm: both agree with sums in Double.
final class LinearPathTests: XCTestCase {
    func testLargeAndSmallLinearLayersAgreeWithDirectSums() {
        let generator = Generator(seed: 11)
        for rows in [16, 10_000] {  // 16×128×128 through sgemm, 10,000×128×128 through oneDNN
            let x = randn(shape: [rows, 128], generator: generator)
            let w = randn(shape: [128, 128], generator: generator)
            let b = randn(shape: [128], generator: generator)
            for relu in [false, true] {
                let y = linear(x, weight: w, bias: b, relu: relu).scalars
                let xs = x.scalars, ws = w.scalars, bs = b.scalars
                for r in [0, rows / 2, rows - 1] {
                    for o in [0, 77, 127] {
                        var sum = Double(bs[o])
                        for i in 0..<128 { sum += Double(xs[r * 128 + i]) * Double(ws[o * 128 + i]) }
                        if relu { sum = Swift.max(sum, 0) }
                        XCTAssertEqual(Double(y[r * 128 + o]), sum, accuracy: 1e-3, "rows \(rows), relu \(relu)")
                    }
                }
            }
        }
    }
}
