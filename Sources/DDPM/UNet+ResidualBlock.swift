import NN
import TensorCore

extension UNet {
    /// Seed 001's residual block: two 3×3 convolutions, each after GroupNorm
    /// and SiLU, with the step's embedding (and the class's, if any) added
    /// per channel between them, a residual connection, and optionally
    /// self-attention at the end:
    ///
    ///     h = conv_1(SiLU(norm_1(x))) + time_bias(SiLU(e_t)) [+ class_bias(y)]
    ///     out = attention(conv_2(SiLU(norm_2(h))) + residual_connection(x))
    ///
    /// `conv_2` is Dropout then Conv2d; `residual_connection` is a 1×1
    /// convolution when the channel count changes, else Identity.
    public final class ResidualBlock: Stage {
        public let norm_1: GroupNorm
        public let conv_1: Conv2d
        public let norm_2: GroupNorm
        public let conv_2: Sequential
        public let timeBias: Linear?
        public let classBias: Embedding?
        public let residualConnection: any Layer
        public let attention: any Layer

        public init(
            _ inChannels: Int, _ outChannels: Int, dropout: Float, timeEmbeddingDim: Int?, classes: Int?,
            groups: Int, useAttention: Bool, generator: Generator = .default
        ) {
            norm_1 = GroupNorm(groups, inChannels)
            conv_1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, generator: generator)
            norm_2 = GroupNorm(groups, outChannels)
            conv_2 = Sequential([
                Dropout(p: dropout, generator: generator),
                Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, generator: generator),
            ])
            timeBias = timeEmbeddingDim.map { Linear($0, outChannels, generator: generator) }
            classBias = classes.map { Embedding($0, outChannels, generator: generator) }
            residualConnection =
                inChannels != outChannels
                ? Conv2d(inChannels, outChannels, kernelSize: 1, generator: generator) : Identity()
            attention =
                useAttention ? AttentionBlock(outChannels, groups: groups, generator: generator) : Identity()
        }

        public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, labels: [Int]?) -> Tensor {
            var out = conv_1(norm_1(x, then: .silu))
            if let timeBias = timeBias {
                out = out + timeBias(timeEmbedding.silu()).unsqueeze(axis: -1).unsqueeze(axis: -1)
            }
            if let classBias = classBias {
                guard let labels = labels else {
                    fail("ResidualBlock: class conditioning was specified but no labels were passed.")
                }
                out = out + classBias(labels).unsqueeze(axis: -1).unsqueeze(axis: -1)
            }
            out = conv_2(norm_2(out, then: .silu)) + residualConnection(x)
            return attention(out)
        }
    }
}
