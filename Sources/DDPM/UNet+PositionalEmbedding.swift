import Foundation
import NN
import TensorCore

extension UNet {
    /// Seed 001's sinusoidal features of the step (Vaswani et al. 2017, §3.5,
    /// sines then cosines): with h = d/2 and f_i = exp(−i·ln(10000)/h),
    ///
    ///     PE(t) = [sin(s·t·f_0) … sin(s·t·f_{h−1}), cos(s·t·f_0) … cos(s·t·f_{h−1})].
    ///
    /// Input `[B]` (the steps as numbers), output `[B, d]`. No parameters.
    public final class PositionalEmbedding: Layer {
        public let dimension: Int
        public let scale: Float

        public init(dimension: Int, scale: Float = 1) {
            if dimension < 2 || dimension % 2 != 0 {
                fail("PositionalEmbedding: the dimension must be even and at least 2, got \(dimension).")
            }
            self.dimension = dimension
            self.scale = scale
        }

        public func callAsFunction(_ t: Tensor) -> Tensor {
            sinusoidalFeatures(t, dimension: dimension, scale: scale, denominator: dimension / 2)
        }
    }
}

/// [sin(s·t·f_i) …, cos(s·t·f_i) …] with f_i = exp(−i·ln(10000)/denominator),
/// i < d/2, for a `[B]` tensor of steps: the embeddings of seeds 001
/// (denominator d/2) and 003 (d/2 − 1). Computed in float32, as PyTorch
/// computes them; no gradient flows to t.
func sinusoidalFeatures(_ t: Tensor, dimension: Int, scale: Float, denominator: Int) -> Tensor {
    guard t.rank == 1 else {
        fail("sinusoidal embedding: the steps must be a 1-D tensor [B], got shape \(t.shape).")
    }
    let half = dimension / 2
    let exponent = Float(Foundation.log(10_000.0) / Double(denominator))
    let frequencies = (0..<half).map { Foundation.exp(Float($0) * -exponent) }
    let steps = t.scalars
    var values = [Float](repeating: 0, count: steps.count * dimension)
    for (row, step) in steps.enumerated() {
        for i in 0..<half {
            let angle = step * scale * frequencies[i]
            values[row * dimension + i] = Foundation.sin(angle)
            values[row * dimension + half + i] = Foundation.cos(angle)
        }
    }
    return Tensor(values, shape: [steps.count, dimension])
}
