import NN
import TensorCore

/// The seeds' noise-prediction network for 2-D points (seed 000,
/// `MLPDiffusion`): three hidden layers of `width` units; after each hidden
/// linear layer a learned embedding of the step t is added, then ReLU:
///
///     h₁ = ReLU(W₁x + b₁ + E₁[t]),  h₂ = ReLU(W₂h₁ + b₂ + E₂[t]),
///     h₃ = ReLU(W₃h₂ + b₃ + E₃[t]),  ε_θ(x, t) = W₄h₃ + b₄
public final class MLPDiffusion: Module {
    public let linears: [Linear]
    public let stepEmbeddings: [Embedding]

    /// - Parameters:
    ///   - steps: the number of diffusion steps T; t ranges over 0..<T.
    ///   - width: hidden units (the seed's article uses 128).
    ///   - dimension: the dimension of the data points.
    public init(steps: Int, width: Int = 128, dimension: Int = 2, generator: Generator = .default) {
        linears = [
            Linear(dimension, width, generator: generator),
            Linear(width, width, generator: generator),
            Linear(width, width, generator: generator),
            Linear(width, dimension, generator: generator),
        ]
        stepEmbeddings = (0..<3).map { _ in Embedding(steps, width, generator: generator) }
    }

    /// ε_θ(x, t): x is `[B, dimension]`, t holds B steps.
    public func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor {
        var h = x
        for (linear, embedding) in zip(linears, stepEmbeddings) {
            h = (linear(h) + embedding(t)).relu()
        }
        return linears[3](h)
    }
}
