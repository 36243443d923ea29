import TensorCore

/// Group normalisation over `[N, C, ...]` (`torch.nn.GroupNorm`), with a
/// learned per-channel scale (ones) and shift (zeros).
public final class GroupNorm: Layer {
    public let groups: Int
    public let eps: Float
    public let weight: Tensor
    public let bias: Tensor

    public init(_ groups: Int, _ channels: Int, eps: Float = 1e-5) {
        if groups < 1 || channels % groups != 0 {
            fail(
                "GroupNorm: \(channels) channels cannot be split into \(groups) groups; "
                    + "the number of channels must be a multiple of the number of groups.")
        }
        self.groups = groups
        self.eps = eps
        weight = ones(channels).requiringGrad()
        bias = zeros(channels).requiringGrad()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        groupNorm(input, groups: groups, weight: weight, bias: bias, eps: eps)
    }

    /// The normalisation followed by `activation` in one pass,
    /// `norm(x, then: .silu)` = `norm(x).silu()`, keeping less for the
    /// backward pass.
    public func callAsFunction(_ input: Tensor, then activation: FusedActivation) -> Tensor {
        groupNorm(input, groups: groups, weight: weight, bias: bias, eps: eps, then: activation)
    }
}
