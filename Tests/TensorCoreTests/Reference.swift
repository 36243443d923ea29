import Foundation
import TensorCore

/// A Double-precision n-d array with naive, index-by-index implementations of
/// the tensor operations: the reference that the Float32 kernels are checked
/// against, forward and (by central differences) backward. Written for
/// clarity, not speed: every op is a loop over output indices that reads the
/// definition off the PyTorch documentation.
struct Ref {
    var shape: [Int]
    var values: [Double]

    init(_ shape: [Int], _ values: [Double]) {
        precondition(values.count == shape.reduce(1, *))
        self.shape = shape
        self.values = values
    }

    init(_ tensor: Tensor) {
        self.init(tensor.shape, tensor.scalars.map(Double.init))
    }

    var count: Int { values.count }
    var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] }
        return s
    }

    subscript(_ index: [Int]) -> Double {
        values[zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }]
    }

    /// The element at `index` of the broadcast shape `target` (NumPy rules).
    func broadcastAt(_ index: [Int], target: [Int]) -> Double {
        let offset = target.count - shape.count
        let own = shape.indices.map { i in shape[i] == 1 ? 0 : index[i + offset] }
        return self[own]
    }

    /// Every multi-index of `shape`, row-major.
    static func indices(_ shape: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for size in shape {
            result = result.flatMap { prefix in (0..<size).map { prefix + [$0] } }
        }
        return result
    }

    static func generate(_ shape: [Int], _ f: ([Int]) -> Double) -> Ref {
        Ref(shape, indices(shape).map(f))
    }

    func map(_ f: (Double) -> Double) -> Ref { Ref(shape, values.map(f)) }

    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        return zip(pa, pb).map { max($0, $1) }
    }

    static func zip2(_ a: Ref, _ b: Ref, _ f: (Double, Double) -> Double) -> Ref {
        let shape = broadcastShape(a.shape, b.shape)
        return generate(shape) { f(a.broadcastAt($0, target: shape), b.broadcastAt($0, target: shape)) }
    }

    /// Sums over `axes`, keeping them as size 1.
    func sum(axes: Set<Int>) -> Ref {
        var kept = shape
        for a in axes { kept[a] = 1 }
        var out = Ref(kept, [Double](repeating: 0, count: kept.reduce(1, *)))
        let outStrides = out.strides
        for index in Ref.indices(shape) {
            let target = index.indices.reduce(0) { $0 + (axes.contains($1) ? 0 : index[$1] * outStrides[$1]) }
            out.values[target] += self[index]
        }
        return out
    }

    func reshaped(_ s: [Int]) -> Ref { Ref(s, values) }

    func permuted(_ order: [Int]) -> Ref {
        Ref.generate(order.map { shape[$0] }) { index in
            var source = [Int](repeating: 0, count: shape.count)
            for (i, a) in order.enumerated() { source[a] = index[i] }
            return self[source]
        }
    }

    static func matmul(_ a: Ref, _ b: Ref) -> Ref {
        let (m, k, n) = (a.shape[a.shape.count - 2], a.shape.last!, b.shape.last!)
        let batch = Array(a.shape.dropLast(2))
        return generate(batch + [m, n]) { index in
            let bi = Array(index.dropLast(2))
            let (i, j) = (index[index.count - 2], index[index.count - 1])
            return (0..<k).reduce(0) { total, p in
                total + a[bi + [i, p]] * (b.shape.count == 2 ? b[[p, j]] : b[bi + [p, j]])
            }
        }
    }

    static func conv2d(_ x: Ref, _ w: Ref, _ bias: Ref?, stride: Int, padding: Int) -> Ref {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding - kh) / stride + 1
        let ow = (wd + 2 * padding - kw) / stride + 1
        return generate([n, o, oh, ow]) { idx in
            var total = bias?.values[idx[1]] ?? 0
            for ci in 0..<c {
                for i in 0..<kh {
                    for j in 0..<kw {
                        let (y, xx) = (idx[2] * stride - padding + i, idx[3] * stride - padding + j)
                        if y >= 0 && y < h && xx >= 0 && xx < wd {
                            total += x[[idx[0], ci, y, xx]] * w[[idx[1], ci, i, j]]
                        }
                    }
                }
            }
            return total
        }
    }

    /// conv_transpose2d by its definition: each input pixel (h, w) adds
    /// x[n, c, h, w]·W[c, o, i, j] to output pixel (h·s − p + i, w·s − p + j).
    static func convTranspose2d(
        _ x: Ref, _ w: Ref, _ bias: Ref?, stride: Int, padding: Int, outputPadding: Int
    ) -> Ref {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let oh = (h - 1) * stride - 2 * padding + kh + outputPadding
        let ow = (wd - 1) * stride - 2 * padding + kw + outputPadding
        var out = generate([n, o, oh, ow]) { idx in bias?.values[idx[1]] ?? 0 }
        for index in indices([n, c, h, wd]) {
            for oc in 0..<o {
                for i in 0..<kh {
                    for j in 0..<kw {
                        let (y, xx) = (index[2] * stride - padding + i, index[3] * stride - padding + j)
                        if y >= 0 && y < oh && xx >= 0 && xx < ow {
                            out.values[((index[0] * o + oc) * oh + y) * ow + xx] +=
                                x[index] * w[[index[1], oc, i, j]]
                        }
                    }
                }
            }
        }
        return out
    }

    /// batch_norm: with `mean`/`variance` nil, the batch's statistics per
    /// channel (biased variance), else the given running ones.
    static func batchNorm(_ x: Ref, mean: [Double]?, variance: [Double]?, weight: Ref?, bias: Ref?, eps: Double)
        -> Ref
    {
        let (n, c) = (x.shape[0], x.shape[1])
        let spatial = x.count / (n * c)
        func channel(_ ch: Int) -> [Double] {
            (0..<n).flatMap { b in (0..<spatial).map { x.values[(b * c + ch) * spatial + $0] } }
        }
        let means = mean ?? (0..<c).map { channel($0).reduce(0, +) / Double(n * spatial) }
        let variances: [Double] =
            variance
            ?? (0..<c).map { ch -> Double in
                let squares: Double = channel(ch).reduce(0) { $0 + ($1 - means[ch]) * ($1 - means[ch]) }
                return squares / Double(n * spatial)
            }
        var out = x
        for i in 0..<x.count {
            let ch = (i / spatial) % c
            let normalized: Double = (x.values[i] - means[ch]) / (variances[ch] + eps).squareRoot()
            let gamma: Double = weight?.values[ch] ?? 1
            let beta: Double = bias?.values[ch] ?? 0
            out.values[i] = normalized * gamma + beta
        }
        return out
    }

    /// softmax(q·kᵀ·s)·v for [B, N, C], [B, M, C], [B, M, D].
    static func attention(_ q: Ref, _ k: Ref, _ v: Ref, scale: Double) -> Ref {
        let (b, n, c, m, d) = (q.shape[0], q.shape[1], q.shape[2], k.shape[1], v.shape[2])
        var out = Ref([b, n, d], [Double](repeating: 0, count: b * n * d))
        for bi in 0..<b {
            for i in 0..<n {
                let scores = (0..<m).map { j in (0..<c).reduce(0) { $0 + q[[bi, i, $1]] * k[[bi, j, $1]] } * scale }
                let largest = scores.max()!
                let e = scores.map { Foundation.exp($0 - largest) }
                let total = e.reduce(0, +)
                for dd in 0..<d {
                    out.values[(bi * n + i) * d + dd] = (0..<m).reduce(0) { $0 + e[$1] / total * v[[bi, $1, dd]] }
                }
            }
        }
        return out
    }

    static func groupNorm(_ x: Ref, groups: Int, weight: Ref?, bias: Ref?, eps: Double) -> Ref {
        let (n, c) = (x.shape[0], x.shape[1])
        let spatial = x.count / (n * c)
        let m = c / groups * spatial
        var out = x
        for s in 0..<(n * groups) {
            let slice = x.values[(s * m)..<((s + 1) * m)]
            let mean = slice.reduce(0, +) / Double(m)
            let variance = slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(m)
            for i in 0..<m {
                let channel = (s % groups) * (c / groups) + i / spatial
                let normalized = (x.values[s * m + i] - mean) / (variance + eps).squareRoot()
                out.values[s * m + i] = normalized * (weight?.values[channel] ?? 1) + (bias?.values[channel] ?? 0)
            }
        }
        return out
    }

    func softmax(axis: Int) -> Ref {
        Ref.generate(shape) { index in
            var others = index
            let row: [Double] = (0..<shape[axis]).map { j in
                others[axis] = j
                return self[others]
            }
            let largest = row.max()!
            return Foundation.exp(self[index] - largest) / row.reduce(0) { $0 + Foundation.exp($1 - largest) }
        }
    }
}
