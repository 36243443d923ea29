import TensorCore

/// Nearest-neighbour upsampling of `[N, C, H, W]` by an integer factor
/// (`torch.nn.Upsample(scale_factor: 2, mode: "nearest")`): every pixel
/// becomes a `scale`×`scale` block.
public final class Upsample: Layer {
    public let scaleFactor: Int

    public init(scaleFactor: Int = 2) {
        if scaleFactor < 1 {
            fail("Upsample: the scale factor must be a positive integer, got \(scaleFactor).")
        }
        self.scaleFactor = scaleFactor
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { input.upsampleNearest(scale: scaleFactor) }
}
