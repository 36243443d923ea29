import TensorCore

/// y = x·Wᵀ + b (`torch.nn.Linear`), with `weight` `[out, in]` and `bias`
/// `[out]`, initialised as PyTorch does: both uniform in ±1/√in.
public final class Linear: Layer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator = .default) {
        if inFeatures < 1 || outFeatures < 1 {
            fail("Linear: sizes must be positive, got Linear(\(inFeatures), \(outFeatures)).")
        }
        let bound = Float(1 / Double(inFeatures).squareRoot())
        weight = uniformParameter(shape: [outFeatures, inFeatures], bound: bound, generator: generator)
        self.bias =
            bias
            ? uniformParameter(shape: [outFeatures], bound: bound, generator: generator) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        linear(input, weight: weight, bias: bias)
    }
}
