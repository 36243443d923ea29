internal import CNumerics
import TensorCore

/// Rescales the gradients of `parameters` so that their joint L2 norm is at
/// most `maxNorm` (`torch.nn.utils.clip_grad_norm_`): with
/// ‖g‖ = √(Σ g²) over all gradients, each is multiplied by
/// min(1, maxNorm / (‖g‖ + 10⁻⁶)). Returns ‖g‖ before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    if !(maxNorm > 0) {
        fail("clipGradNorm: maxNorm must be positive, got \(maxNorm); the seeds clip at 1.0.")
    }
    let gradients = parameters.compactMap { p in p.grad.map { (p, $0) } }
    // Σg² of each core's part of each gradient (`onEachCore`, the parts
    // Adam's step takes next), added in the same order whether or not the
    // cores share the work.
    let shared = sharesStep(parameterCount: gradients.reduce(0) { $0 + $1.1.count })
    let shares = coreShareCount()
    var squares = [Float](repeating: 0, count: gradients.count * shares)
    squares.withUnsafeMutableBufferPointer { sums in
        let sums = sums  // a copy of the pointer, which the closure below may capture
        onEachCore(shared) { share, _ in
            for (index, (_, grad)) in gradients.enumerated() {
                sums[index * shares + share] = grad.squaredNorm(coreShare(of: grad.count, share: share, shares: shares))
            }
        }
    }
    var total: Double = 0
    for (index, (p, _)) in gradients.enumerated() {
        let parts = squares[index * shares..<(index + 1) * shares]
        // Σg² is finite only if every g is (scaling by a coefficient below 1
        // keeps them so): the optimiser's step need not check them again.
        p.gradIsKnownFinite = parts.allSatisfy(\.isFinite)
        total += parts.reduce(0) { $0 + Double($1) }
    }
    let norm = Float(total.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        onEachCore(shared) { share, shares in
            for (_, grad) in gradients {
                let part = coreShare(of: grad.count, share: share, shares: shares)
                ddpm_scale(grad.storage.pointer + part.lowerBound, part.count, coefficient)
            }
        }
    }
    return norm
}
