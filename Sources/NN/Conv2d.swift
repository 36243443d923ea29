import TensorCore

/// 2-D convolution over `[N, C, H, W]` (`torch.nn.Conv2d`), with `weight`
/// `[out, in, k, k]` and `bias` `[out]` initialised uniform in ±1/√(in·k²).
public final class Conv2d: Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, generator: Generator = .default
    ) {
        if inChannels < 1 || outChannels < 1 || kernelSize < 1 {
            fail(
                "Conv2d: channels and kernel size must be positive, got Conv2d(\(inChannels), \(outChannels), "
                    + "kernelSize: \(kernelSize)).")
        }
        let bound = Float(1 / Double(inChannels * kernelSize * kernelSize).squareRoot())
        weight = uniformParameter(
            shape: [outChannels, inChannels, kernelSize, kernelSize], bound: bound, generator: generator)
        self.bias =
            bias
            ? uniformParameter(shape: [outChannels], bound: bound, generator: generator) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
