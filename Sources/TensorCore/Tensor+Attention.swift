#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scaled dot-product attention (Vaswani et al. 2017, eq. 1) over batches of
/// sequences, as `torch.nn.functional.scaled_dot_product_attention`:
///
///     Attention(Q, K, V) = softmax(Q·Kᵀ·s)·V,  s = 1/√C by default,
///
/// with `q` `[B, N, C]`, `k` `[B, M, C]`, `v` `[B, M, D]`; the result is
/// `[B, N, D]`. The only intermediate kept is the attention matrix P
/// `[B, N, M]` (the scores are turned into P in place); the backward pass
/// needs P and nothing else:
///
///     dV = Pᵀ·dO,  dS = P ⊙ (dO·Vᵀ − rowsum(P ⊙ dO·Vᵀ)),  dQ = s·dS·K,  dK = s·dSᵀ·Q.
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float? = nil) -> Tensor {
    if q.rank != 3 || k.rank != 3 || v.rank != 3 || q.shape[0] != k.shape[0] || k.shape[0] != v.shape[0]
        || q.shape[2] != k.shape[2] || k.shape[1] != v.shape[1]
    {
        fail(
            "scaledDotProductAttention: queries \(describe(q.shape)), keys \(describe(k.shape)) and values "
                + "\(describe(v.shape)) do not fit; they must be [B, N, C], [B, M, C] and [B, M, D].")
    }
    let (batch, n, c) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, d) = (k.shape[1], v.shape[2])
    let s = scale ?? 1 / Float(c).squareRoot()
    let (qp, kp, vp) = (q.storage.pointer, k.storage.pointer, v.storage.pointer)
    let attention = Tensor.make([batch, n, m]) { p in
        for b in 0..<batch {
            let pb = p + b * n * m
            gemm(
                qp + b * n * c, transposeA: false, kp + b * m * c, transposeB: true, into: pb, m: n, n: m, k: c,
                alpha: s)
            for row in 0..<n { softmaxInPlace(pb + row * m, count: m) }
        }
    }
    let pp = attention.storage.pointer
    let result = Tensor.make([batch, n, d]) { out in
        for b in 0..<batch {
            gemm(
                pp + b * n * m, transposeA: false, vp + b * m * d, transposeB: false, into: out + b * n * d, m: n, n: d,
                k: m)
        }
    }
    return result.recorded("ScaledDotProductAttention", [q, k, v]) { g in
        let gp = g.storage.pointer
        let pp = attention.storage.pointer  // keeps P alive with the graph
        let dq: Tensor? = q.requiresGrad ? Tensor(repeating: 0, shape: q.shape) : nil
        let dk: Tensor? = k.requiresGrad ? Tensor(repeating: 0, shape: k.shape) : nil
        let dv: Tensor? = v.requiresGrad ? Tensor(repeating: 0, shape: v.shape) : nil
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n * m, 1))
        defer { scores.deallocate() }
        for b in 0..<batch {
            let (pb, gb) = (pp + b * n * m, gp + b * n * d)
            if let dv = dv {
                gemm(
                    pb, transposeA: true, gb, transposeB: false, into: dv.storage.pointer + b * m * d, m: m, n: d, k: n)
            }
            if dq == nil && dk == nil { continue }
            // dP = dO·Vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) in place.
            gemm(gb, transposeA: false, vp + b * m * d, transposeB: true, into: scores, m: n, n: m, k: d)
            for row in 0..<n {
                let (dpRow, pRow) = (scores + row * m, pb + row * m)
                var dot: Float = 0
                for j in 0..<m { dot += dpRow[j] * pRow[j] }
                for j in 0..<m { dpRow[j] = pRow[j] * (dpRow[j] - dot) }
            }
            if let dq = dq {
                gemm(
                    scores, transposeA: false, kp + b * m * c, transposeB: false, into: dq.storage.pointer + b * n * c,
                    m: n, n: c, k: m, alpha: s)
            }
            if let dk = dk {
                gemm(
                    scores, transposeA: true, qp + b * n * c, transposeB: false, into: dk.storage.pointer + b * m * c,
                    m: m, n: c, k: n, alpha: s)
            }
        }
        return [dq, dk, dv]
    }
}

/// softmax of one contiguous row, in place.
@inline(__always)
func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
    var largest = -Float.infinity
    for j in 0..<count { largest = Swift.max(largest, row[j]) }
    var total: Float = 0
    for j in 0..<count {
        let e = expf(row[j] - largest)
        row[j] = e
        total += e
    }
    let inverse = 1 / total
    for j in 0..<count { row[j] *= inverse }
}
