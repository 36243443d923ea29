import TensorCore

/// max(x, 0) as a layer (`torch.nn.ReLU`).
public final class ReLU: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// x·σ(x) as a layer (`torch.nn.SiLU`).
public final class SiLU: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.silu() }
}

/// σ(x) as a layer (`torch.nn.Sigmoid`).
public final class Sigmoid: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// tanh(x) as a layer (`torch.nn.Tanh`).
public final class Tanh: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.tanh() }
}

/// Any tensor function as a layer, for a step without parameters:
/// `Lambda { $0.flatten(startAxis: 1) }`.
public final class Lambda: Layer {
    let body: (Tensor) -> Tensor
    public init(_ body: @escaping (Tensor) -> Tensor) { self.body = body }
    public func callAsFunction(_ input: Tensor) -> Tensor { body(input) }
}
