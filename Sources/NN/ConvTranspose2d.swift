import TensorCore

/// Transposed 2-D convolution over `[N, C, H, W]` (`torch.nn.ConvTranspose2d`),
/// the learned upsampling of seed 003's `SimpleUnet`: `weight`
/// `[in, out, k, k]` and `bias` `[out]` initialised uniform in ±1/√(out·k²),
/// as PyTorch does (its fan-in is computed from weight dimension 1).
public final class ConvTranspose2d: Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int

    /// `ConvTranspose2d(64, 64, kernelSize: 4, stride: 2, padding: 1)`
    /// doubles the height and width.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, bias: Bool = true, generator: Generator = .default
    ) {
        if inChannels < 1 || outChannels < 1 || kernelSize < 1 {
            fail(
                "ConvTranspose2d: channels and kernel size must be positive, got ConvTranspose2d(\(inChannels), "
                    + "\(outChannels), kernelSize: \(kernelSize)).")
        }
        if outputPadding >= stride {
            fail(
                "ConvTranspose2d: output padding \(outputPadding) must be smaller than the stride \(stride); "
                    + "it only picks among the output sizes a stride allows.")
        }
        let bound = Float(1 / Double(outChannels * kernelSize * kernelSize).squareRoot())
        weight = uniformParameter(
            shape: [inChannels, outChannels, kernelSize, kernelSize], bound: bound, generator: generator)
        self.bias =
            bias
            ? uniformParameter(shape: [outChannels], bound: bound, generator: generator) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        convTranspose2d(
            input, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }
}
