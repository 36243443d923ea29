import XCTest

@testable import TensorCore

/// Matmul and convolution at sizes where OpenBLAS takes its blocked paths,
/// against naive loops in Double; broadcasting on concrete numbers.
final class NumericsTests: XCTestCase {
    func assertClose(
        _ got: Tensor, _ want: Ref, tolerance: Double = 1e-4, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(got.shape, want.shape, file: file, line: line)
        let worst = zip(got.scalars, want.values).map { Swift.abs(Double($0) - $1) / (1 + Swift.abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, file: file, line: line)
    }

    func testMatmulAgainstNaiveLoops() {
        let g = Generator(seed: 1)
        let a = randn(37, 53, generator: g)
        let b = randn(53, 29, generator: g)
        assertClose(a.matmul(b), Ref.matmul(Ref(a), Ref(b)))
        // Large enough to run on every OpenBLAS thread.
        let c = randn(300, 260, generator: g)
        let d = randn(260, 270, generator: g)
        var naive = [Double](repeating: 0, count: 300 * 270)
        let (cs, ds) = (c.scalars, d.scalars)
        for i in 0..<300 {
            for p in 0..<260 {
                for j in 0..<270 { naive[i * 270 + j] += Double(cs[i * 260 + p]) * Double(ds[p * 270 + j]) }
            }
        }
        assertClose(c.matmul(d), Ref([300, 270], naive))
        let batchA = randn(3, 7, 11, generator: g)
        let batchB = randn(3, 11, 5, generator: g)
        assertClose(batchA.matmul(batchB), Ref.matmul(Ref(batchA), Ref(batchB)))
    }

    func testConvolutionAgainstNaiveLoops() {
        let g = Generator(seed: 2)
        let x = randn(2, 5, 9, 8, generator: g)
        let w = randn(6, 5, 3, 3, generator: g)
        let b = randn(6, generator: g)
        for (stride, padding) in [(1, 1), (2, 1), (1, 0), (3, 2)] {
            assertClose(
                conv2d(x, weight: w, bias: b, stride: stride, padding: padding),
                Ref.conv2d(Ref(x), Ref(w), Ref(b), stride: stride, padding: padding))
        }
    }

    func testBroadcastingOnNumbers() {
        let column = Tensor([1, 2, 3], shape: [3, 1])
        let row = Tensor([10, 20])
        XCTAssertEqual((column + row).shape, [3, 2])
        XCTAssertEqual((column + row).scalars, [11, 21, 12, 22, 13, 23])
        XCTAssertEqual((row * Tensor(2)).scalars, [20, 40])
        XCTAssertEqual((Tensor(1) - column).scalars, [0, -1, -2])
        let cube = Tensor((0..<8).map(Float.init), shape: [2, 2, 2])
        XCTAssertEqual((cube - Tensor([1, 0], shape: [2, 1])).scalars, [-1, 0, 2, 3, 3, 4, 6, 7])
        XCTAssertEqual(cube.sum(axes: [0, 2]).scalars, [10, 18])  // 0+1+4+5, 2+3+6+7
        XCTAssertEqual(cube.max(axis: 1).scalars, [2, 3, 6, 7])
        XCTAssertEqual(Tensor([3, 4], shape: [2, 1]).broadcast(to: [2, 3]).scalars, [3, 3, 3, 4, 4, 4])
    }

    func testLayoutOnNumbers() {
        let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
        XCTAssertEqual(x.T.scalars, [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(x[1].scalars, [3, 4, 5])
        XCTAssertEqual(x[[1, 1, 0]].scalars, [3, 4, 5, 3, 4, 5, 0, 1, 2])
        XCTAssertEqual(concat([x, x], axis: 0).shape, [4, 3])
        XCTAssertEqual(x.narrow(axis: 1, start: 1, length: 2).scalars, [1, 2, 4, 5])
        XCTAssertEqual(
            Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2]).upsampleNearest(scale: 2).scalars,
            [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        XCTAssertEqual(Tensor([1, 2, 3]).softmax().sum().item(), 1, accuracy: 1e-6)
    }

    func testReshapeSharesMemoryLikeAView() {
        let x = zeros(2, 3)
        let y = x.reshape(6)
        x.storage.pointer[4] = 7
        XCTAssertEqual(y.scalars[4], 7)
    }

    /// Products of at least 2^24 multiply-adds are split into slices of rows
    /// (M ≥ N) or columns (M < N) of C, one per OpenMP thread, with OpenBLAS
    /// on one thread: every transpose, both splits, checked entry by entry
    /// against the definition.
    func testLargeProductsSplitAcrossThreadsAgreeWithTheDefinition() {
        let generator = Generator(seed: 3)
        for (m, n, k) in [(300, 280, 220), (40, 1_100, 400)] {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = randn(shape: transposeA ? [k, m] : [m, k], generator: generator)
                let b = randn(shape: transposeB ? [n, k] : [k, n], generator: generator)
                let c = Tensor(repeating: 0.5, shape: [m, n])
                gemm(
                    a.storage.pointer, transposeA: transposeA, b.storage.pointer, transposeB: transposeB,
                    into: c.storage.pointer, m: m, n: n, k: k, alpha: 2, beta: 1)
                for _ in 0..<40 {
                    let (i, j) = (generator.integer(0, m), generator.integer(0, n))
                    var dot: Double = 0
                    for p in 0..<k {
                        let x = transposeA ? a.scalar(at: p, i) : a.scalar(at: i, p)
                        let y = transposeB ? b.scalar(at: j, p) : b.scalar(at: p, j)
                        dot += Double(x) * Double(y)
                    }
                    XCTAssertEqual(
                        Double(c.scalar(at: i, j)), 2 * dot + 0.5, accuracy: 1e-3 * (1 + Swift.abs(dot)),
                        "C[\(i), \(j)] of \(m)×\(n)×\(k), transposes \(transposeA) \(transposeB)")
                }
            }
        }
        XCTAssertEqual(Int(openblasThreads()), 1, "OpenBLAS stays on one thread; OpenMP's threads split the work")
    }
}

import COpenBLAS
func openblasThreads() -> Int32 { openblas_get_num_threads() }
