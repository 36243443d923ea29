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
    let perGroup = channels / groups
    let m = perGroup * spatial
    var means = [Float](repeating: 0, count: n * groups)
    var rstds = [Float](repeating: 0, count: n * groups)
    let xp = x.storage.pointer
    let normalized = Tensor.make(x.shape) { xhat in
        for s in 0..<(n * groups) {
            let base = s * m
            var mean: Double = 0
            for i in 0..<m { mean += Double(xp[base + i]) }
            mean /= Double(m)
            var variance: Double = 0
            for i in 0..<m {
                let d = Double(xp[base + i]) - mean
                variance += d * d
            }
            variance /= Double(m)
            let rstd = Float(1 / (variance + Double(eps)).squareRoot())
            means[s] = Float(mean)
            rstds[s] = rstd
            let mu = Float(mean)
            for i in 0..<m { xhat[base + i] = (xp[base + i] - mu) * rstd }
        }
    }
    let wp = weight?.storage.pointer
    let bp = bias?.storage.pointer
    let result = Tensor.make(x.shape) { out in
        let xhat = normalized.storage.pointer
        for b in 0..<n {
            for c in 0..<channels {
                let base = (b * channels + c) * spatial
                let gamma = wp?[c] ?? 1
                let beta = bp?[c] ?? 0
                for i in 0..<spatial { out[base + i] = xhat[base + i] * gamma + beta }
            }
        }
    }
    var inputs = [x]
    if let weight = weight { inputs.append(weight) }
    if let bias = bias { inputs.append(bias) }
    return result.recorded("GroupNorm", inputs) { g, _ in
        let gp = g.storage.pointer
        let xhat = normalized.storage.pointer
        // With ĝ = g·γ over a group of m elements:
        // ∂L/∂x = rstd/m · (m·ĝ − Σĝ − x̂·Σ(ĝ·x̂)).
        let dx: Tensor? =
            x.requiresGrad
            ? Tensor.make(x.shape) { out in
                for s in 0..<(n * groups) {
                    let base = s * m
                    let firstChannel = (s % groups) * perGroup
                    var sumG: Float = 0
                    var sumGX: Float = 0
                    for i in 0..<m {
                        let gamma = wp?[firstChannel + i / spatial] ?? 1
                        let gh = gp[base + i] * gamma
                        sumG += gh
                        sumGX += gh * xhat[base + i]
                    }
                    let scale = rstds[s] / Float(m)
                    for i in 0..<m {
                        let gamma = wp?[firstChannel + i / spatial] ?? 1
                        let gh = gp[base + i] * gamma
                        out[base + i] = scale * (Float(m) * gh - sumG - xhat[base + i] * sumGX)
                    }
                }
            } : nil
        var grads = [dx]
        if let weight = weight {
            grads.append(
                weight.requiresGrad
                    ? Tensor.make([channels]) { out in
                        for c in 0..<channels {
                            var total: Float = 0
                            for b in 0..<n {
                                let base = (b * channels + c) * spatial
                                for i in 0..<spatial { total += gp[base + i] * xhat[base + i] }
                            }
                            out[c] = total
                        }
                    } : nil)
        }
        if let bias = bias {
            grads.append(
                bias.requiresGrad
                    ? g.sum(toShape: [1, channels] + [Int](repeating: 1, count: x.rank - 2))
                        .reshape([channels]) : nil)
        }
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
        return result.recorded("Softmax", [self]) { g, y in
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
