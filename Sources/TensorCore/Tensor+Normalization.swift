internal import CTensorKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Group normalisation (Wu & He 2018), as `torch.nn.functional.group_norm`:
/// the channels of `[N, C, ...]` are split into `groups`; each group of each
/// sample is normalised to zero mean and unit variance,
///
///     y = (x − μ) / √(σ² + ε) · γ_c + β_c,
///
/// with the biased variance σ², then scaled and shifted per channel. With
/// `then: .silu`, y = SiLU(GroupNorm(x)) in one pass: the same values as
/// `groupNorm(…).silu()`, without keeping the normalised tensor for the
/// backward pass (it is recomputed), as every block of the UNet uses the pair.
public func groupNorm(
    _ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5, then activation: FusedActivation? = nil
) -> Tensor {
    if x.rank < 2 || groups < 1 || x.shape[1] % groups != 0 {
        fail(
            "groupNorm: cannot split the \(x.rank >= 2 ? x.shape[1] : 0) channels of shape \(describe(x.shape)) "
                + "into \(groups) groups; the input must be [N, C, ...] with C divisible by the number of groups.")
    }
    let (n, channels) = (x.shape[0], x.shape[1])
    for (name, p) in [("weight", weight), ("bias", bias)] {
        if let p = p, p.shape != [channels] {
            fail("groupNorm: the \(name) has shape \(describe(p.shape)); it must be [\(channels)], one per channel.")
        }
    }
    let spatial = x.count / Swift.max(n * channels, 1)
    // Only the statistics are kept for the backward pass, not x̂.
    let statistics = Tensor.make([2, n * groups]) { _ in }
    let (mean, rstd) = (statistics.storage.pointer, statistics.storage.pointer + n * groups)
    let (xp, wp, bp) = (x.storage.pointer, weight?.storage.pointer, bias?.storage.pointer)
    let silu: Int32 = activation == .silu ? 1 : 0
    let result = Tensor.make(x.shape) { out in
        ddpm_group_norm_forward(xp, n, channels, spatial, groups, wp, bp, eps, silu, out, mean, rstd)
    }
    var inputs = [x]
    if let weight = weight { inputs.append(weight) }
    if let bias = bias { inputs.append(bias) }
    return result.recorded(activation == .silu ? "GroupNormSiLU" : "GroupNorm", inputs) { g in
        let dx: Tensor? = x.requiresGrad ? Tensor.make(x.shape) { _ in } : nil
        let dw: Tensor? = weight?.requiresGrad == true ? Tensor.make([channels]) { _ in } : nil
        let db: Tensor? = bias?.requiresGrad == true ? Tensor.make([channels]) { _ in } : nil
        let (mean, rstd) = (statistics.storage.pointer, statistics.storage.pointer + n * groups)
        ddpm_group_norm_backward(
            xp, g.storage.pointer, n, channels, spatial, groups, wp, bp, silu, mean, rstd, dx?.storage.pointer,
            dw?.storage.pointer, db?.storage.pointer)
        var grads = [dx]
        if weight != nil { grads.append(dw) }
        if bias != nil { grads.append(db) }
        return grads
    }
}

extension Tensor {
    /// softmax(x)_i = e^{x_i − max x} / Σ_j e^{x_j − max x} along `axis`.
    public func softmax(axis: Int = -1) -> Tensor {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "softmax") }
        let outer = shape[..<a].reduce(1, *)
        let n = shape[a]
        let inner = shape[(a + 1)...].reduce(1, *)
        let source = storage.pointer
        let result = Tensor.make(shape) { out in
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * n * inner + i
                    var largest = -Float.infinity
                    for j in 0..<n { largest = Swift.max(largest, source[base + j * inner]) }
                    var total: Float = 0
                    for j in 0..<n {
                        let e = expf(source[base + j * inner] - largest)
                        out[base + j * inner] = e
                        total += e
                    }
                    for j in 0..<n { out[base + j * inner] /= total }
                }
            }
        }
        return result.recordedWithOutput("Softmax", [self]) { g, y in
            // ∂L/∂x = y ⊙ (g − Σ_j g_j y_j)
            let gp = g.storage.pointer
            let yp = y.storage.pointer
            return [
                Tensor.make(self.shape) { out in
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let base = o * n * inner + i
                            var dot: Float = 0
                            for j in 0..<n { dot += gp[base + j * inner] * yp[base + j * inner] }
                            for j in 0..<n {
                                out[base + j * inner] = yp[base + j * inner] * (gp[base + j * inner] - dot)
                            }
                        }
                    }
                }
            ]
        }
    }
}

/// An activation computed in the same pass as the normalisation before it.
public enum FusedActivation: Sendable {
    /// x·σ(x) (`torch.nn.SiLU`).
    case silu
}

/// Batch normalisation (Ioffe & Szegedy 2015, Alg. 1), as
/// `torch.nn.functional.batch_norm` over the channels of `[N, C, ...]`:
///
///     y = (x − μ_c) / √(σ²_c + ε) · γ_c + β_c.
///
/// In training μ_c and σ²_c (biased) are the batch's statistics over N and the
/// spatial axes, and the running statistics move towards them in place:
/// μ̂ ← (1 − m)·μ̂ + m·μ_c and σ̂² ← (1 − m)·σ̂² + m·σ²_c·M/(M − 1) (the
/// unbiased variance, M values per channel). In evaluation the running
/// statistics are used and nothing changes.
public func batchNorm(
    _ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) -> Tensor {
    if x.rank < 2 {
        fail("batchNorm: the input has shape \(describe(x.shape)); it must be [N, C, ...].")
    }
    let (n, channels) = (x.shape[0], x.shape[1])
    for (name, p) in [("weight", weight), ("bias", bias), ("running mean", runningMean), ("running var", runningVar)] {
        if let p = p, p.shape != [channels] {
            fail("batchNorm: the \(name) has shape \(describe(p.shape)); it must be [\(channels)], one per channel.")
        }
    }
    let spatial = x.count / Swift.max(n * channels, 1)
    let m = n * spatial
    if training && m <= 1 {
        fail(
            "batchNorm: in training each channel needs more than one value to have a variance, but the input "
                + "\(describe(x.shape)) has \(m); use a batch of 2 or more, or call model.eval() first.")
    }
    if !training && (runningMean == nil || runningVar == nil) {
        fail("batchNorm: evaluation uses the running statistics; pass runningMean and runningVar, or train.")
    }
    let xp = x.storage.pointer
    var means = [Float](repeating: 0, count: channels)
    var rstds = [Float](repeating: 0, count: channels)
    if training {
        var variances = [Float](repeating: 0, count: channels)
        ddpm_batch_norm_statistics(xp, n, channels, spatial, &means, &variances)
        for c in 0..<channels { rstds[c] = 1 / (variances[c] + eps).squareRoot() }
        if let rm = runningMean?.storage.pointer, let rv = runningVar?.storage.pointer {
            let unbiased = Float(m) / Float(m - 1)
            for c in 0..<channels {
                rm[c] = (1 - momentum) * rm[c] + momentum * means[c]
                rv[c] = (1 - momentum) * rv[c] + momentum * variances[c] * unbiased
            }
        }
    } else {
        let rm = runningMean!.storage.pointer
        let rv = runningVar!.storage.pointer
        for c in 0..<channels {
            means[c] = rm[c]
            rstds[c] = 1 / (rv[c] + eps).squareRoot()
        }
    }
    let wp = weight?.storage.pointer
    let bp = bias?.storage.pointer
    // y = x·a + d per channel, with a = γ·rstd and d = β − μ·a.
    let scales = (0..<channels).map { (wp?[$0] ?? 1) * rstds[$0] }
    let shifts = (0..<channels).map { (bp?[$0] ?? 0) - means[$0] * scales[$0] }
    let result = Tensor.make(x.shape) { ddpm_channel_affine(xp, n, channels, spatial, scales, shifts, $0) }
    var inputs = [x]
    if let weight = weight { inputs.append(weight) }
    if let bias = bias { inputs.append(bias) }
    let (needWeight, needBias) = (weight?.requiresGrad == true, bias?.requiresGrad == true)
    return result.recorded("BatchNorm", inputs) { g in
        let gp = g.storage.pointer
        // Per channel Σg and Σg·(x − μ); Σg·x̂ = rstd·Σg·(x − μ).
        var sumG = [Float](repeating: 0, count: channels)
        var sumGX = [Float](repeating: 0, count: channels)
        ddpm_batch_norm_sums(xp, gp, n, channels, spatial, means, &sumG, &sumGX)
        // Training: ∂L/∂x = γ·rstd·(g − mean(g) − (x − μ)·rstd²·mean(g·(x − μ))); evaluation: γ·rstd·g.
        let meanG = training ? sumG.map { $0 / Float(m) } : [Float](repeating: 0, count: channels)
        let k = training ? (0..<channels).map { sumGX[$0] / Float(m) * rstds[$0] * rstds[$0] } : meanG
        let dx: Tensor? =
            x.requiresGrad
            ? Tensor.make(x.shape) {
                ddpm_batch_norm_input_gradient(xp, gp, n, channels, spatial, means, scales, meanG, k, $0)
            } : nil
        var grads = [dx]
        if weight != nil {
            grads.append(needWeight ? Tensor((0..<channels).map { sumGX[$0] * rstds[$0] }, shape: [channels]) : nil)
        }
        if bias != nil { grads.append(needBias ? Tensor(sumG, shape: [channels]) : nil) }
        return grads
    }
}
