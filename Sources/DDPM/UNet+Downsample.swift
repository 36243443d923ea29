import NN
import TensorCore

extension UNet {
    /// Halves the height and width with a stride-2 3×3 convolution (seed
    /// 001's `Downsample`).
    public final class Downsample: Stage {
        public let downsample: Conv2d

        public init(_ channels: Int, generator: Generator = .default) {
            downsample = Conv2d(channels, channels, kernelSize: 3, stride: 2, padding: 1, generator: generator)
        }

        public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, labels: [Int]?) -> Tensor {
            if x.shape[2] % 2 == 1 || x.shape[3] % 2 == 1 {
                fail("Downsample: the feature map is \(x.shape[2])×\(x.shape[3]); its height and width must be even.")
            }
            return downsample(x)
        }
    }
}
