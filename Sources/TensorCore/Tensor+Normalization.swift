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
/// with the biased variance σ², then scaled and shifted per channel.
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
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
    let result = Tensor.make(x.shape) { out in
        ddpm_group_norm_forward(xp, n, channels, spatial, groups, wp, bp, eps, out, mean, rstd)
    }
    var inputs = [x]
    if let weight = weight { inputs.append(weight) }
    if let bias = bias { inputs.append(bias) }
    return result.recorded("GroupNorm", inputs) { g in
        let dx: Tensor? = x.requiresGrad ? Tensor.make(x.shape) { _ in } : nil
        let dw: Tensor? = weight?.requiresGrad == true ? Tensor.make([channels]) { _ in } : nil
        let db: Tensor? = bias?.requiresGrad == true ? Tensor.make([channels]) { _ in } : nil
        let (mean, rstd) = (statistics.storage.pointer, statistics.storage.pointer + n * groups)
        ddpm_group_norm_backward(
            xp, g.storage.pointer, n, channels, spatial, groups, wp, mean, rstd, dx?.storage.pointer,
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
        for c in 0..<channels {
            var total: Double = 0
            for b in 0..<n {
                let row = xp + (b * channels + c) * spatial
                for i in 0..<spatial { total += Double(row[i]) }
            }
            let mean = total / Double(m)
            var squares: Double = 0
            for b in 0..<n {
                let row = xp + (b * channels + c) * spatial
                for i in 0..<spatial {
                    let d = Double(row[i]) - mean
                    squares += d * d
                }
            }
            let variance = squares / Double(m)
            means[c] = Float(mean)
            rstds[c] = Float(1 / (variance + Double(eps)).squareRoot())
            if let rm = runningMean?.storage.pointer, let rv = runningVar?.storage.pointer {
                rm[c] = (1 - momentum) * rm[c] + momentum * Float(mean)
                rv[c] = (1 - momentum) * rv[c] + momentum * Float(squares / Double(m - 1))
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
    let result = Tensor.make(x.shape) { out in
        for b in 0..<n {
            for c in 0..<channels {
                let base = (b * channels + c) * spatial
                // y = x·a + d with a = γ·rstd, d = β − μ·a
                let a = (wp?[c] ?? 1) * rstds[c]
                let d = (bp?[c] ?? 0) - means[c] * a
                for i in 0..<spatial { out[base + i] = xp[base + i] * a + d }
            }
        }
    }
    var inputs = [x]
    if let weight = weight { inputs.append(weight) }
    if let bias = bias { inputs.append(bias) }
    return result.recorded("BatchNorm", inputs) { g in
        let gp = g.storage.pointer
        // Per channel: Σg and Σg·x̂, with x̂ = (x − μ)·rstd.
        var sumG = [Float](repeating: 0, count: channels)
        var sumGX = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            var s: Float = 0
            var sx: Float = 0
            for b in 0..<n {
                let base = (b * channels + c) * spatial
                for i in 0..<spatial {
                    s += gp[base + i]
                    sx += gp[base + i] * (xp[base + i] - means[c]) * rstds[c]
                }
            }
            sumG[c] = s
            sumGX[c] = sx
        }
        // Training: ∂L/∂x = γ·rstd/M · (M·g − Σg − x̂·Σ(g·x̂)); evaluation: γ·rstd·g.
        let dx: Tensor? =
            x.requiresGrad
            ? Tensor.make(x.shape) { out in
                for b in 0..<n {
                    for c in 0..<channels {
                        let base = (b * channels + c) * spatial
                        let scale = (wp?[c] ?? 1) * rstds[c]
                        if training {
                            let meanG = sumG[c] / Float(m)
                            let meanGX = sumGX[c] / Float(m)
                            for i in 0..<spatial {
                                let xhat = (xp[base + i] - means[c]) * rstds[c]
                                out[base + i] = scale * (gp[base + i] - meanG - xhat * meanGX)
                            }
                        } else {
                            for i in 0..<spatial { out[base + i] = scale * gp[base + i] }
                        }
                    }
                }
            } : nil
        var grads = [dx]
        if let weight = weight { grads.append(weight.requiresGrad ? Tensor(sumGX, shape: [channels]) : nil) }
        if let bias = bias { grads.append(bias.requiresGrad ? Tensor(sumG, shape: [channels]) : nil) }
        return grads
    }
}
