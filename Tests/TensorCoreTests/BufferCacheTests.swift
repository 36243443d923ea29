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
        for rows in [16, 10_000] {  // 16×128×128 on this core (ddpm_small_product), 10,000×128×128 on both (oneDNN)
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

    /// The seeds' hidden layer, ReLU(x·Wᵀ + b + E[t]) for 128 rows, and the
    /// products of its backward pass on this core: x·Wᵀ and gᵀ·x in our
    /// register-blocked loop (`ddpm_small_product`, the embedding's rows
    /// added in it), g·W through oneDNN; with 80 outputs a last panel of 16
    /// columns, with 72 (not a multiple of 16) all through oneDNN. Values
    /// and the gradients of W and x of L = Σ y·c agree with sums in Double.
    func testOneCoreLayerAndItsGradientsAgreeWithDirectSums() {
        let generator = Generator(seed: 17)
        let rows = 128, inputs = 128
        let steps = (0..<rows).map { ($0 * 37 + 5) % 100 }
        for outputs in [128, 80, 72] {
            let x = randn(shape: [rows, inputs], generator: generator).requiringGrad()
            let w = (randn(shape: [outputs, inputs], generator: generator) * 0.1).requiringGrad()
            let b = randn(shape: [outputs], generator: generator)
            let table = randn(shape: [100, outputs], generator: generator)
            let c = randn(shape: [rows, outputs], generator: generator)
            let y = linear(x, weight: w, bias: b, embedding: table, indices: steps, relu: true)
            (y * c).sum().backward()
            let xs = x.scalars, ws = w.scalars, bs = b.scalars, es = table.scalars, cs = c.scalars, ys = y.scalars
            // g = ∂L/∂(x·Wᵀ + b + E[t]) = c where y > 0
            func g(_ r: Int, _ o: Int) -> Double { ys[r * outputs + o] > 0 ? Double(cs[r * outputs + o]) : 0 }
            for r in [0, 63, rows - 1] {
                for o in [0, outputs / 2 + 3, outputs - 1] {
                    let sum = (0..<inputs).reduce(Double(bs[o]) + Double(es[steps[r] * outputs + o])) {
                        $0 + Double(xs[r * inputs + $1]) * Double(ws[o * inputs + $1])
                    }
                    XCTAssertEqual(Double(ys[r * outputs + o]), Swift.max(sum, 0), accuracy: 1e-3, "y, \(outputs)")
                }
            }
            let dw = w.grad!.scalars, dx = x.grad!.scalars
            for o in [0, outputs - 1] {
                for i in [0, 77] {
                    let sum = (0..<rows).reduce(0.0) { $0 + g($1, o) * Double(xs[$1 * inputs + i]) }
                    XCTAssertEqual(Double(dw[o * inputs + i]), sum, accuracy: 1e-3, "∂L/∂W, \(outputs)")
                }
            }
            for r in [0, rows - 1] {
                for i in [0, 77] {
                    let sum = (0..<outputs).reduce(0.0) { $0 + g(r, $1) * Double(ws[$1 * inputs + i]) }
                    XCTAssertEqual(Double(dx[r * inputs + i]), sum, accuracy: 1e-3, "∂L/∂x, \(outputs)")
                }
            }
        }
    }

    /// The same layer with its products split between the cores
    /// (`coresShareCheaply` fixed to true) and on one: y, ∂L/∂W and ∂L/∂x
    /// have the same bits, for 128 outputs (a panel of 64 columns each), 80
    /// (64 and 16) and 192 (three panels), and 128 or 100 rows (∂L/∂W split
    /// by rows, the last block of four short). On a one-core machine both
    /// runs take the one-core path and the test shows nothing but that.
    func testLayerSharedBetweenCoresHasTheBitsOfOneCore() {
        let generator = Generator(seed: 23)
        defer { coreSharingOverride = nil }
        for (rows, outputs) in [(128, 128), (128, 80), (100, 192)] {
            let steps = (0..<rows).map { ($0 * 37 + 5) % 100 }
            let x = randn(shape: [rows, 128], generator: generator)
            let w = randn(shape: [outputs, 128], generator: generator) * 0.1
            let b = randn(shape: [outputs], generator: generator)
            let table = randn(shape: [100, outputs], generator: generator)
            let c = randn(shape: [rows, outputs], generator: generator)
            var results: [[[Float]]] = []
            for shared in [false, true] {
                coreSharingOverride = shared
                let xs = x.detach().requiringGrad(), ws = w.detach().requiringGrad()
                let y = linear(xs, weight: ws, bias: b, embedding: table, indices: steps, relu: true)
                (y * c).sum().backward()
                results.append([y.scalars, ws.grad!.scalars, xs.grad!.scalars])
                // Shared, ∂L/∂W is made whole on the second core, whose share
                // of the optimiser's step then takes it.
                let home: Int? = shared ? (coreShareCount() > 1 ? 1 : 0) : nil
                XCTAssertEqual(ws.grad!.storage.homeShare, home, "∂L/∂W's home, \(rows) rows, \(outputs) outputs")
            }
            for (name, (one, two)) in zip(["y", "∂L/∂W", "∂L/∂x"], zip(results[0], results[1])) {
                XCTAssertEqual(one, two, "\(name), \(rows) rows, \(outputs) outputs")
            }
        }
    }

    /// Rows of A with few nonzero terms (as after a ReLU) are summed over
    /// those alone (`ddpm_small_product`'s sparse rows): the sums agree with
    /// sums in Double, a row has the same bits in a block of sparse rows as
    /// in a block of dense ones (where every term is multiplied), and A given
    /// transposed (gᵀ of ∂L/∂W = gᵀ·x) gives the same bits as A given as is.
    func testSparseRowsHaveTheBitsOfDenseOnes() {
        let m = 22, n = 64, k = 100
        let generator = Generator(seed: 31)
        let d = randn(shape: [4, k], generator: generator).scalars
        var s = randn(shape: [4, k], generator: generator).scalars
        for i in s.indices where (i * 7919) % 10 < 7 { s[i] = 0 }  // 70% zeros
        func row(_ values: [Float], _ r: Int) -> [Float] { Array(values[r * k..<(r + 1) * k]) }
        var withNaN = row(s, 0)
        withNaN[5] = .nan
        // Blocks of four rows: sparse; s0 among dense rows (> 3/4 nonzero:
        // the dense loop); a zero row among sparse ones; dense; a row with a
        // NaN; a short block of two.
        let rows: [[Float]] = [
            row(s, 0), row(s, 1), row(s, 2), row(s, 3), row(s, 0), row(d, 1), row(d, 2), row(d, 3),
            [Float](repeating: 0, count: k), row(s, 1), row(s, 2), row(s, 3), row(d, 0), row(d, 1), row(d, 2),
            row(d, 3),
            row(s, 1), row(s, 2), row(s, 3), withNaN, row(s, 2), row(d, 0),
        ]
        let a = rows.flatMap { $0 }
        let aT = (0..<k).flatMap { j in (0..<m).map { i in a[i * k + j] } }
        let b = randn(shape: [k, n], generator: generator).scalars
        // C = A·B through `product`, A given as is or transposed.
        func times(_ a: [Float], transposed: Bool) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        product(
                            a.baseAddress!, transposeA: transposed, b.baseAddress!, transposeB: false,
                            into: c.baseAddress!, m: m, n: n, k: k)
                    }
                }
            }
            return c
        }
        let c = times(a, transposed: false), cT = times(aT, transposed: true)
        XCTAssertEqual(c.map(\.bitPattern), cT.map(\.bitPattern), "A given transposed")
        XCTAssertEqual(Array(c[0..<n]), Array(c[4 * n..<5 * n]), "s0 in a sparse block and in a dense one")
        XCTAssertEqual(Array(c[8 * n..<9 * n]), [Float](repeating: 0, count: n), "a row of zeros")
        XCTAssertTrue(c[19 * n..<20 * n].allSatisfy(\.isNaN), "a NaN in A")
        for i in 0..<m where i != 19 {
            for l in stride(from: 0, to: n, by: 7) {
                let sum = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[$1 * n + l]) }
                XCTAssertEqual(Double(c[i * n + l]), sum, accuracy: 1e-4, "C[\(i), \(l)]")
            }
        }
    }

    /// `CoreParts` gives a tensor with a home share whole to that share and
    /// cuts the others at cache lines among the shares without a home, each
    /// element to exactly one share; without homes, near halves.
    func testCorePartsKeepHomesWholeAndCoverEveryElementOnce() {
        let counts = [256, 128, 16_384, 128, 16_384, 12_800, 12_800, 2]
        for (homes, shares) in [
            ([Int?](repeating: nil, count: counts.count), 2),
            ([nil, nil, 1, nil, 1, nil, nil, nil], 2),
            ([nil, nil, 1, nil, 1, nil, nil, nil], 1),
            ([nil, 0, 2, nil, 7, nil, nil, nil], 3),
        ] {
            let parts = CoreParts(counts: counts, homes: homes, shares: shares)
            var taken = [Int](repeating: 0, count: shares)
            for (index, count) in counts.enumerated() {
                var covered = [Int](repeating: 0, count: count)
                for share in 0..<shares {
                    let part = parts.part(index, count: count, share: share)
                    for i in part { covered[i] += 1 }
                    taken[share] += part.count
                    if part.lowerBound > 0 && part.lowerBound < count {
                        XCTAssertEqual(part.lowerBound % 16, 0, "tensor \(index) is cut inside a cache line")
                    }
                    if let home = homes[index], home < shares {
                        XCTAssertEqual(part.count, home == share ? count : 0, "tensor \(index), home \(home)")
                    }
                }
                XCTAssertEqual(covered, [Int](repeating: 1, count: count), "tensor \(index), homes \(homes)")
            }
            if homes.allSatisfy({ $0 == nil }) {
                XCTAssertLessThanOrEqual(abs(taken[0] - taken[1]), 16 * counts.count, "halves: \(taken)")
            } else if shares == 2 {
                // The share with homes takes only them: 32,768 elements; the other the rest.
                XCTAssertEqual(taken, [counts.reduce(0, +) - 32_768, 32_768])
            } else if shares == 3 {
                // Share 0 has a home (128), share 2 its 16,384, share 1 none: it takes the rest.
                XCTAssertEqual(taken, [128, counts.reduce(0, +) - 128 - 16_384, 16_384])
            }
        }
    }

    /// Products with an inner dimension of at most 8 (2-D points into a
    /// layer; the gradient through a layer of 2 outputs) are a loop in C
    /// (`ddpm_narrow_product`): with W transposed or not, an added term or
    /// rows of an embedding table, the bias and the ReLU, they agree with
    /// sums in Double.
    func testNarrowInnerDimensionAgreesWithDirectSums() {
        let generator = Generator(seed: 13)
        for k in [2, 3, 7] {
            let rows = 96
            let x = randn(shape: [rows, k], generator: generator)
            let w = randn(shape: [128, k], generator: generator)
            let b = randn(shape: [128], generator: generator)
            let e = randn(shape: [rows, 128], generator: generator)
            let table = randn(shape: [100, 128], generator: generator)
            let steps = (0..<rows).map { ($0 * 37 + 5) % 100 }
            let y = linear(x, weight: w, bias: b, addend: e, relu: true).scalars  // x·Wᵀ + b + e
            let yt = linear(x, weight: w, bias: b, embedding: table, indices: steps, relu: true).scalars  // + E[t]
            let z = x.matmul(w.transpose(0, 1)).scalars  // x·B, B = Wᵀ given k × 128
            let xs = x.scalars, ws = w.scalars, bs = b.scalars, es = e.scalars, ts = table.scalars
            for r in [0, 41, rows - 1] {
                for o in [0, 64, 127] {
                    let sum = (0..<k).reduce(0.0) { $0 + Double(xs[r * k + $1]) * Double(ws[o * k + $1]) }
                    XCTAssertEqual(Double(z[r * 128 + o]), sum, accuracy: 1e-4, "x·B, k \(k)")
                    let full = Swift.max(sum + Double(bs[o]) + Double(es[r * 128 + o]), 0)
                    XCTAssertEqual(Double(y[r * 128 + o]), full, accuracy: 1e-4, "linear, k \(k)")
                    let embedded = Swift.max(sum + Double(bs[o]) + Double(ts[steps[r] * 128 + o]), 0)
                    XCTAssertEqual(Double(yt[r * 128 + o]), embedded, accuracy: 1e-4, "linear + E[t], k \(k)")
                }
            }
        }
    }

    /// A sampler's MLP as one stack (rows in 512-row tiles on both cores,
    /// the last tile short) against sums in Double, layer by layer; with a
    /// gradient to record, the same numbers through `linear` and a graph.
    func testLinearStackAgreesWithDirectSumsAndRecordsAGraphWhenAsked() {
        // 2-D points (the narrow first layer's k = 2 loop) and 7-D ones (its general loop).
        for dimension in [2, 7] {
            let generator = Generator(seed: 12)
            let rows = 10_000
            let x = randn(shape: [rows, dimension], generator: generator)
            let layers: [(weight: Tensor, bias: Tensor?, relu: Bool)] = [
                (
                    randn(shape: [128, dimension], generator: generator), randn(shape: [128], generator: generator),
                    true
                ),
                (randn(shape: [128, 128], generator: generator) * 0.1, nil, true),
                (randn(shape: [2, 128], generator: generator) * 0.1, randn(shape: [2], generator: generator), false),
            ]
            let y = GradMode.withNoGrad { linearStack(x, layers) }
            XCTAssertEqual(y.shape, [rows, 2])
            let ys = y.scalars, xs = x.scalars
            for r in [0, 511, 512, 5_000, 9_727, 9_999] {
                var h = (0..<dimension).map { Double(xs[r * dimension + $0]) }
                for layer in layers {
                    let (out, inputs) = (layer.weight.shape[0], layer.weight.shape[1])
                    let w = layer.weight.scalars, b = layer.bias?.scalars
                    h = (0..<out).map { o in
                        let sum = (0..<inputs).reduce(Double(b?[o] ?? 0)) { $0 + Double(w[o * inputs + $1]) * h[$1] }
                        return layer.relu ? Swift.max(sum, 0) : sum
                    }
                }
                for o in 0..<2 {
                    XCTAssertEqual(Double(ys[r * 2 + o]), h[o], accuracy: 1e-3, "row \(r), \(dimension)-D")
                }
            }
            let weight = layers[0].weight.detach()
            weight.requiresGrad = true
            let recorded = linearStack(x, [(weight, layers[0].bias, true)] + layers.dropFirst())
            XCTAssertTrue(recorded.requiresGrad, "a stack with a trainable weight records the graph")
            for (a, b) in zip(recorded.scalars, ys) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }
}
