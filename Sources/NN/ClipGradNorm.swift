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
    var total: Double = 0
    for p in parameters {
        guard let grad = p.grad else { continue }
        let squares = grad.squaredNorm()
        // Σg² is finite only if every g is (scaling by a coefficient below 1
        // keeps them so): the optimiser's step need not check them again.
        p.gradIsKnownFinite = squares.isFinite
        total += Double(squares)
    }
    let norm = Float(total.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters {
            guard let grad = p.grad else { continue }
            ddpm_scale(grad.storage.pointer, grad.count, coefficient)
        }
    }
    return norm
}
