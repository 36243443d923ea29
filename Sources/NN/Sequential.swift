import TensorCore

/// Layers applied in order (`torch.nn.Sequential`), written as a list:
///
/// ```swift
/// let net = Sequential {
///     Linear(2, 128); ReLU()
///     Linear(128, 2)
/// }
/// ```
///
/// As in PyTorch, its layers' state-dict keys are their indices directly
/// under it (`time_mlp.1.weight`), with no name for the list.
public final class Sequential: Layer, IndexedContainer {
    public let layers: [any Layer]

    var elements: [Any] { layers }

    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    public convenience init(@LayerBuilder _ build: () -> [any Layer]) {
        self.init(build())
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }
}

/// Builds the layer list of a `Sequential`, with `if` and `for` allowed.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first part: [any Layer]) -> [any Layer] { part }
    public static func buildEither(second part: [any Layer]) -> [any Layer] { part }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}
