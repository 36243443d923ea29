internal import CNumerics
import TensorCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Adam (Kingma & Ba 2015, Algorithm 1) with bias correction, as
/// `torch.optim.Adam` (L2 `weightDecay` added to the gradient):
///
///     m ← β₁·m + (1 − β₁)·g,    v ← β₂·v + (1 − β₂)·g²
///     θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: Optimizer {
    /// The tensors it updates (`torch.optim.Adam(params)`).
    public let parameters: [Tensor]
    /// The learning rate (`lr`); change it between steps for a schedule.
    public var lr: Float
    public let beta1: Float
    public let beta2: Float
    public let eps: Float
    public let weightDecay: Float
    /// The number of steps taken, t in the formulas.
    public private(set) var stepCount = 0
    public private(set) var skippedSteps = 0
    private let m: [TensorStorage]
    private let v: [TensorStorage]

    public init(
        _ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
        weightDecay: Float = 0
    ) {
        if !(lr >= 0) { fail("Adam: the learning rate must be 0 or more, got \(lr).") }
        if !(0 <= betas.0 && betas.0 < 1 && 0 <= betas.1 && betas.1 < 1) {
            fail("Adam: beta parameters must be in [0, 1), got \(betas); PyTorch's defaults are (0.9, 0.999).")
        }
        if !(eps >= 0) || !(weightDecay >= 0) {
            fail("Adam: eps and weightDecay must be 0 or more, got eps \(eps), weightDecay \(weightDecay).")
        }
        self.parameters = validated(parameters, "Adam")
        self.lr = lr
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        m = parameters.map { TensorStorage(repeating: 0, count: $0.count) }
        v = parameters.map { TensorStorage(repeating: 0, count: $0.count) }
    }

    /// One update of every parameter from its `grad` (`optimizer.step()`); a step with a
    /// non-finite gradient is skipped and counted in `skippedSteps`.
    public func step() {
        defer { CoreSharingTrial.shared.stepFinished() }
        guard gradientsAreFinite() else {
            skippedSteps += 1
            return
        }
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(beta1), t))
        let correction2 = Float(1 - pow(Double(beta2), t))
        let stepSize = lr / correction1
        let rootCorrection2 = correction2.squareRoot()
        let parameters = parameters.indices.compactMap { index in
            self.parameters[index].grad.map { (self.parameters[index], $0, m[index], v[index]) }
        }
        // Each core its part of the tensors (`stepParts`): the weights'
        // gradients it made, and the same part of the others every step, so
        // that their moments stay in that core's cache.
        let parts = stepParts(parameters.map(\.1))
        onEachCore(sharesStep(parameterCount: parameters.reduce(0) { $0 + $1.0.count })) { share in
            let saved = ddpm_flush_subnormals()
            defer { ddpm_restore_float_environment(saved) }
            for (index, (p, grad, m, v)) in parameters.enumerated() {
                let part = parts.part(index, count: grad.count, share: share)
                if part.isEmpty { continue }
                let at = part.lowerBound
                ddpm_adam_update(
                    p.storage.pointer + at, grad.storage.pointer + at, m.pointer + at, v.pointer + at, part.count,
                    beta1, beta2, stepSize, rootCorrection2, eps, weightDecay)
            }
        }
    }
}
