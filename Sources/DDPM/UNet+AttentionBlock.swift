import NN
import TensorCore

extension UNet {
    /// Seed 001's self-attention over the pixels of a feature map, with a
    /// residual connection: the H·W positions attend to each other,
    ///
    ///     q, k, v = split(to_qkv(norm(x)))          (1×1 convolution to 3C)
    ///     out = to_out(softmax(q·kᵀ/√C)·v) + x       (as [B, H·W, C] sequences)
    public final class AttentionBlock: Layer {
        public let norm: GroupNorm
        public let toQKV: Conv2d
        public let toOut: Conv2d
        public let channels: Int

        public init(_ channels: Int, groups: Int = 32, generator: Generator = .default) {
            self.channels = channels
            norm = GroupNorm(groups, channels)
            toQKV = Conv2d(channels, channels * 3, kernelSize: 1, generator: generator)
            toOut = Conv2d(channels, channels, kernelSize: 1, generator: generator)
        }

        public func callAsFunction(_ x: Tensor) -> Tensor {
            let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            // [B, C, H, W] → [B, H·W, C], one row per pixel.
            let sequences = toQKV(norm(x)).split(channels, axis: 1).map {
                $0.permute(0, 2, 3, 1).reshape(b, h * w, c)
            }
            let out = scaledDotProductAttention(sequences[0], sequences[1], sequences[2])
            return toOut(out.reshape(b, h, w, c).permute(0, 3, 1, 2)) + x
        }
    }
}
