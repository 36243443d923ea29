import NN
import TensorCore

extension SimpleUnet {
    /// Seed 003's sinusoidal features of the step: with h = d/2 and
    /// f_i = exp(−i·ln(10000)/(h − 1)) (the seed divides by h − 1 where seed
    /// 001 divides by h),
    ///
    ///     PE(t) = [sin(t·f_0) … sin(t·f_{h−1}), cos(t·f_0) … cos(t·f_{h−1})].
    ///
    /// Input `[B]` (the steps as numbers), output `[B, d]`. No parameters.
    public final class SinusoidalPositionEmbeddings: Layer {
        public let dimension: Int

        public init(dimension: Int) {
            if dimension < 4 || dimension % 2 != 0 {
                fail("SinusoidalPositionEmbeddings: the dimension must be even and at least 4, got \(dimension).")
            }
            self.dimension = dimension
        }

        public func callAsFunction(_ t: Tensor) -> Tensor {
            sinusoidalFeatures(t, dimension: dimension, scale: 1, denominator: dimension / 2 - 1)
        }
    }
}
