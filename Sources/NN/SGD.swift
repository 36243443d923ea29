import TensorCore

/// Stochastic gradient descent with optional momentum, as `torch.optim.SGD`
/// (no dampening):
///
///     b ← μ·b + g,    θ ← θ − lr·b      (b = g when μ = 0)
public final class SGD: Optimizer {
    /// The tensors it updates (`torch.optim.SGD(params)`).
    public let parameters: [Tensor]
    /// The learning rate (`lr`).
    public var lr: Float
    public let momentum: Float
    public let weightDecay: Float
    private let buffers: [TensorStorage]
    private var started = false

    public init(_ parameters: [Tensor], lr: Float, momentum: Float = 0, weightDecay: Float = 0) {
        if !(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0) {
            fail(
                "SGD: lr, momentum and weightDecay must be 0 or more, got lr \(lr), momentum \(momentum), "
                    + "weightDecay \(weightDecay).")
        }
        self.parameters = validated(parameters, "SGD")
        self.lr = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = momentum > 0 ? parameters.map { TensorStorage(repeating: 0, count: $0.count) } : []
    }

    public private(set) var skippedSteps = 0

    /// One update θ ← θ − lr·b of every parameter from its `grad` (`optimizer.step()`); a step
    /// with a non-finite gradient is skipped and counted in `skippedSteps`.
    public func step() {
        defer { CoreSharingTrial.shared.stepFinished() }
        guard gradientsAreFinite() else {
            skippedSteps += 1
            return
        }
        for (index, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let theta = p.storage.pointer
            let g = grad.storage.pointer
            if momentum > 0 {
                // PyTorch starts the buffer at the first gradient itself.
                let b = buffers[index].pointer
                for i in 0..<p.count {
                    let gi = g[i] + weightDecay * theta[i]
                    b[i] = started ? momentum * b[i] + gi : gi
                    theta[i] -= lr * b[i]
                }
            } else {
                for i in 0..<p.count { theta[i] -= lr * (g[i] + weightDecay * theta[i]) }
            }
        }
        started = true
    }
}
