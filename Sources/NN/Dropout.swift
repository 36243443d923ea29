import TensorCore

/// Zeroes each element with probability `p` in training and scales the rest
/// by 1/(1 − p) (`torch.nn.Dropout`, Srivastava et al. 2014); in evaluation
/// it passes the input through.
public final class Dropout: Layer, ModeDependent {
    public let p: Float
    public var training = true
    let generator: Generator

    public init(p: Float = 0.5, generator: Generator = .default) {
        if !(p >= 0 && p <= 1) {
            fail("Dropout: the probability p must lie in [0, 1], got \(p).")
        }
        self.p = p
        self.generator = generator
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        dropout(input, p: p, training: training, generator: generator)
    }
}
