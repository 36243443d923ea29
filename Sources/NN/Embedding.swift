import TensorCore

/// A lookup table of learned vectors (`torch.nn.Embedding`): row `i` of
/// `weight` `[count, dimension]` is the embedding of index `i`. Initialised
/// N(0, 1), as in PyTorch. The seeds' MLP learns one per diffusion step.
public final class Embedding: Module {
    public let weight: Tensor

    public init(_ count: Int, _ dimension: Int, generator: Generator = .default) {
        if count < 1 || dimension < 1 {
            fail("Embedding: sizes must be positive, got Embedding(\(count), \(dimension)).")
        }
        weight = randn(shape: [count, dimension], generator: generator).requiringGrad()
    }

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    /// The embeddings of `indices`, shape `[indices.count, dimension]`.
    public func callAsFunction(_ indices: [Int]) -> Tensor {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            fail(
                "Embedding: index \(bad) is out of range for a table of \(count) rows; indices must lie in "
                    + "0..<\(count). (For diffusion steps: the model was built for \(count) steps.)")
        }
        return weight.gatherRows(indices)
    }
}
