import TensorCore

/// Returns its input (`torch.nn.Identity`): the place-holder where a block
/// has no layer, such as a residual connection between equal channel counts.
public final class Identity: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input }
}
