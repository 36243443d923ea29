import NN
import TensorCore

extension SimpleUnet {
    /// Seed 003's `Block`: two 3×3 convolutions, each followed by ReLU and
    /// BatchNorm, the step's embedding added per channel between them, then a
    /// resampling:
    ///
    ///     h = bnorm1(ReLU(conv1(x))) + ReLU(time_mlp(e_t))
    ///     out = transform(bnorm2(ReLU(conv2(h))))
    ///
    /// Down: `transform` is a 4×4 stride-2 convolution (halves H and W). Up:
    /// `conv1` reads the concatenation [x, skip] (2·in channels) and
    /// `transform` is a 4×4 stride-2 transposed convolution (doubles them).
    public final class Block: Module {
        public let timeMLP: Linear
        public let conv1: Conv2d
        public let transform: any Layer
        public let conv2: Conv2d
        public let bnorm1: BatchNorm2d
        public let bnorm2: BatchNorm2d
        public let relu = ReLU()
        public let up: Bool

        public init(
            _ inChannels: Int, _ outChannels: Int, timeEmbeddingDim: Int, up: Bool = false,
            generator: Generator = .default
        ) {
            self.up = up
            timeMLP = Linear(timeEmbeddingDim, outChannels, generator: generator)
            if up {
                conv1 = Conv2d(2 * inChannels, outChannels, kernelSize: 3, padding: 1, generator: generator)
                transform = ConvTranspose2d(
                    outChannels, outChannels, kernelSize: 4, stride: 2, padding: 1, generator: generator)
            } else {
                conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, generator: generator)
                transform = Conv2d(outChannels, outChannels, kernelSize: 4, stride: 2, padding: 1, generator: generator)
            }
            conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, generator: generator)
            bnorm1 = BatchNorm2d(outChannels)
            bnorm2 = BatchNorm2d(outChannels)
        }

        public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor) -> Tensor {
            var h = bnorm1(relu(conv1(x)))
            h = h + relu(timeMLP(timeEmbedding)).unsqueeze(axis: -1).unsqueeze(axis: -1)
            h = bnorm2(relu(conv2(h)))
            return transform(h)
        }
    }
}
