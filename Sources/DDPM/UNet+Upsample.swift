import NN
import TensorCore

extension UNet {
    /// Doubles the height and width: nearest-neighbour upsampling, then a 3×3
    /// convolution (seed 001's `Upsample`, an `nn.Sequential` of the two).
    public final class Upsample: Stage {
        public let upsample: Sequential

        public init(_ channels: Int, generator: Generator = .default) {
            upsample = Sequential([
                NN.Upsample(scaleFactor: 2),
                Conv2d(channels, channels, kernelSize: 3, padding: 1, generator: generator),
            ])
        }

        public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, labels: [Int]?) -> Tensor {
            upsample(x)
        }
    }
}
