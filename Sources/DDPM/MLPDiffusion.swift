import Foundation
import NN
import TensorCore

/// A network that predicts the noise ε in x_t: ε_θ(x_t, t) (Ho et al. 2020,
/// eq. 11), or ε_θ(x_t, t, y) for a class-conditional model. Samplers and
/// `diffusionLoss` take any such model.
public protocol NoisePredictor: Module {
    /// `x` is `[B, …]`; `t` holds one step per row.
    func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor
    /// The number of class labels the model is conditioned on (nil: none).
    var classes: Int? { get }
    /// ε_θ(x_t, t, y): `labels` holds one class per row (nil: unconditional).
    func callAsFunction(_ x: Tensor, _ t: [Int], labels: [Int]?) -> Tensor
}

extension NoisePredictor {
    /// An unconditional model.
    public var classes: Int? { nil }

    /// An unconditional model takes no labels.
    public func callAsFunction(_ x: Tensor, _ t: [Int], labels: [Int]?) -> Tensor {
        if labels != nil {
            fail(
                "\(type(of: self)) is not class-conditional: it takes no labels. Drop labels:, or build a model "
                    + "with classes, such as UNet(imageChannels: 1, classes: 10).")
        }
        return self(x, t)
    }

    /// ε_θ(x, t) with one step t for every row of `x` (as PyTorch broadcasts
    /// a single t): `model(xt, 60)`.
    public func callAsFunction(_ x: Tensor, _ t: Int) -> Tensor {
        guard let rows = x.shape.first else {
            fail("\(type(of: self)): x must have a batch axis first, got shape \(x.shape).")
        }
        return self(x, [Int](repeating: t, count: rows))
    }
}

/// How a model sees the step t.
public enum StepEmbedding: String, Sendable {
    /// A learned table with one row per step (seed 000's `nn.Embedding`).
    case learned
    /// Fixed sinusoidal features of t (Vaswani et al. 2017, §3.5, as DDPM
    /// uses them, Ho et al. 2020, App. B), each layer projecting them linearly.
    case sinusoidal
}

/// The seeds' noise-prediction network for 2-D points (seed 000,
/// `MLPDiffusion`): three hidden layers of `width` units; after each hidden
/// linear layer an embedding of the step t is added, then ReLU:
///
///     h₁ = ReLU(W₁x + b₁ + E₁[t]),  h₂ = ReLU(W₂h₁ + b₂ + E₂[t]),
///     h₃ = ReLU(W₃h₂ + b₃ + E₃[t]),  ε_θ(x, t) = W₄h₃ + b₄
///
/// With `.sinusoidal`, E_i[t] = P_i · PE(t) with fixed sinusoidal features
/// PE(t) and a learned projection P_i.
///
/// Its parameters have the names of the seed's PyTorch class
/// (`linears.0.weight` … `linears.6.bias`, `step_embeddings.0.weight` …), so
/// a checkpoint loads into `MLPDiffusion(n_steps, num_units)` of seed 000
/// with `load_state_dict(…, strict=True)`, and back.
public final class MLPDiffusion: NoisePredictor {
    /// The seed's `nn.ModuleList`: Linear, ReLU, Linear, ReLU, Linear, ReLU,
    /// Linear (the ReLUs at the odd indices).
    public let linears: [any Layer]
    /// The learned tables (`.learned`), as the seed names them.
    public let stepEmbeddings: [Embedding]
    /// The projections of sinusoidal features (`.sinusoidal`).
    public let stepProjections: [Linear]
    public let steps: Int
    public let width: Int
    public let embedding: StepEmbedding

    /// - Parameters:
    ///   - steps: the number of diffusion steps T; t ranges over 0..<T.
    ///   - width: hidden units (the seed's article uses 128).
    ///   - dimension: the dimension of the data points.
    public init(
        steps: Int, width: Int = 128, dimension: Int = 2, embedding: StepEmbedding = .learned,
        generator: Generator = .default
    ) {
        guard steps >= 1, width >= 1, dimension >= 1 else {
            fail("MLPDiffusion: steps, width and dimension must be at least 1, got \(steps), \(width), \(dimension).")
        }
        self.steps = steps
        self.width = width
        self.embedding = embedding
        linears = [
            Linear(dimension, width, generator: generator), ReLU(),
            Linear(width, width, generator: generator), ReLU(),
            Linear(width, width, generator: generator), ReLU(),
            Linear(width, dimension, generator: generator),
        ]
        switch embedding {
        case .learned:
            stepEmbeddings = (0..<3).map { _ in Embedding(steps, width, generator: generator) }
            stepProjections = []
        case .sinusoidal:
            stepEmbeddings = []
            stepProjections = (0..<3).map { _ in Linear(width, width, bias: false, generator: generator) }
        }
    }

    /// The four linear layers, W₁ … W₄ (`linears.0, 2, 4, 6`).
    var linearLayers: [Linear] { stride(from: 0, to: linears.count, by: 2).map { linears[$0] as! Linear } }

    /// ε_θ(x, t): x is `[B, dimension]`, t holds B steps.
    public func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor {
        let linears = linearLayers
        guard x.shape.count == 2, x.shape[0] == t.count else {
            fail(
                "MLPDiffusion: x must be [B, \(linears[0].weight.shape[1])] with one step per row, "
                    + "got x of shape \(x.shape) and \(t.count) steps.")
        }
        if let bad = t.first(where: { $0 < 0 || $0 >= steps }) {
            fail("MLPDiffusion: step \(bad) is out of range; this model was made for steps 0..<\(steps).")
        }
        let sameStep = uniform(t)
        let features = embedding == .sinusoidal ? sinusoidalEmbedding(sameStep ? [t[0]] : t, dimension: width) : nil
        if sameStep {
            // A sampler asks about one step for every row: then E_i[t] is one row,
            // folded into the layer's bias, and the four layers are one stack.
            var layers = (0..<3).map { i in
                let row = stepEmbedding(i, [t[0]], features).reshape([width])
                return (weight: linears[i].weight, bias: Optional(linears[i].bias.map { $0 + row } ?? row), relu: true)
            }
            layers.append((weight: linears[3].weight, bias: linears[3].bias, relu: false))
            return linearStack(x, layers)
        }
        var h = x
        for i in 0..<3 {
            if embedding == .learned {
                // E_i[t] straight from the table into the layer's output.
                h = linear(
                    h, weight: linears[i].weight, bias: linears[i].bias, embedding: stepEmbeddings[i].weight,
                    indices: t, relu: true)
            } else {
                h = linear(
                    h, weight: linears[i].weight, bias: linears[i].bias, addend: stepEmbedding(i, t, features),
                    relu: true)
            }
        }
        return linears[3](h)
    }

    /// E_i[t] for the rows' steps `[rows, width]`: rows of the learned table,
    /// or the projection of their sinusoidal `features`.
    private func stepEmbedding(_ i: Int, _ rows: [Int], _ features: Tensor?) -> Tensor {
        features.map { stepProjections[i]($0) } ?? stepEmbeddings[i](rows)
    }
}

/// Whether there are rows and every one asks about the same step.
private func uniform(_ t: [Int]) -> Bool {
    !t.isEmpty && t.allSatisfy { $0 == t[0] }
}

/// Sinusoidal features of steps (Vaswani et al. 2017, §3.5):
/// PE(t)_{2i} = sin(t / 10000^{2i/d}), PE(t)_{2i+1} = cos(t / 10000^{2i/d}).
/// Shape `[t.count, dimension]`.
public func sinusoidalEmbedding(_ t: [Int], dimension: Int) -> Tensor {
    var values = [Float](repeating: 0, count: t.count * dimension)
    for (row, step) in t.enumerated() {
        for j in 0..<dimension {
            let frequency = pow(10_000, -Double(2 * (j / 2)) / Double(dimension))
            let angle = Double(step) * frequency
            values[row * dimension + j] = Float(j % 2 == 0 ? sin(angle) : cos(angle))
        }
    }
    return Tensor(values, shape: [t.count, dimension])
}
