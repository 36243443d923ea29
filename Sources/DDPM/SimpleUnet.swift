import NN
import TensorCore

/// Seed 003's `SimpleUnet`: ε_θ(x_t, t) for images `[B, C, H, W]`, a UNet of
/// `Block`s that each halve (down) or double (up) the resolution, with
/// BatchNorm and the step's embedding added per channel in every block:
///
///     conv0 → downs[0] … downs[n−1] → ups[0] (on [x, skip]) … ups[n−1] → output
///
/// With `downChannels` (c₀ … c_n) the way down goes c₀ → c₁ → … → c_n and the
/// way up back again; the seed uses (64, 128, 256, 512, 1024) and a time
/// embedding of 32. State-dict keys are the seed's (`downs.0.bnorm1.running_mean`,
/// `ups.1.transform.weight`, …), so checkpoints load both ways with
/// `strict=True`. Uses BatchNorm: call `model.eval()` to sample (the samplers do).
public final class SimpleUnet: NoisePredictor {
    /// SinusoidalPositionEmbeddings, Linear, ReLU.
    public let timeMLP: Sequential
    public let conv0: Conv2d
    public let downs: [Block]
    public let ups: [Block]
    public let output: Conv2d
    public let imageChannels: Int

    public init(
        imageChannels: Int = 3, downChannels: [Int] = [64, 128, 256, 512, 1024], timeEmbeddingDim: Int = 32,
        generator: Generator = .default
    ) {
        guard imageChannels >= 1, downChannels.count >= 2, downChannels.allSatisfy({ $0 >= 1 }),
            timeEmbeddingDim >= 4, timeEmbeddingDim % 2 == 0
        else {
            fail(
                "SimpleUnet: needs imageChannels ≥ 1, at least two positive downChannels and an even "
                    + "timeEmbeddingDim ≥ 4; got \(imageChannels), \(downChannels), \(timeEmbeddingDim).")
        }
        self.imageChannels = imageChannels
        timeMLP = Sequential([
            SinusoidalPositionEmbeddings(dimension: timeEmbeddingDim),
            Linear(timeEmbeddingDim, timeEmbeddingDim, generator: generator),
            ReLU(),
        ])
        conv0 = Conv2d(imageChannels, downChannels[0], kernelSize: 3, padding: 1, generator: generator)
        downs = (0..<(downChannels.count - 1)).map {
            Block(downChannels[$0], downChannels[$0 + 1], timeEmbeddingDim: timeEmbeddingDim, generator: generator)
        }
        let upChannels = Array(downChannels.reversed())
        ups = (0..<(upChannels.count - 1)).map {
            Block(
                upChannels[$0], upChannels[$0 + 1], timeEmbeddingDim: timeEmbeddingDim, up: true,
                generator: generator)
        }
        output = Conv2d(upChannels.last!, imageChannels, kernelSize: 1, generator: generator)
    }

    /// ε_θ(x_t, t): `x` is `[B, C, H, W]`, `t` holds B steps.
    public func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor {
        forward(x, t, record: nil)
    }

    /// The tensor's shape after every block, for an input of `x`'s shape.
    public func shapeWalk(_ x: Tensor, _ t: [Int]) -> ShapeWalk {
        var walk = ShapeWalk(input: x.shape)
        _ = withNoGrad { forward(x, t) { walk.append($0, $1, $2.shape) } }
        return walk
    }

    func forward(_ input: Tensor, _ t: [Int], record: ((String, String, Tensor) -> Void)?) -> Tensor {
        let multiple = 1 << downs.count
        guard input.rank == 4, input.shape[1] == imageChannels, input.shape[0] == t.count else {
            fail(
                "SimpleUnet: x must be [B, \(imageChannels), H, W] with one step per row, got x of shape "
                    + "\(input.shape) and \(t.count) steps.")
        }
        guard input.shape[2] % multiple == 0, input.shape[3] % multiple == 0 else {
            fail(
                "SimpleUnet: a \(input.shape[2])×\(input.shape[3]) image cannot be halved \(downs.count) times; "
                    + "height and width must be multiples of \(multiple). Resize the images.")
        }
        let timeEmbedding = timeMLP(Tensor(t.map { Float($0) }))
        record?("time_mlp", "Sequential", timeEmbedding)
        var x = conv0(input)
        record?("conv0", "Conv2d", x)
        var residuals: [Tensor] = []
        for (i, down) in downs.enumerated() {
            x = down(x, timeEmbedding: timeEmbedding)
            residuals.append(x)
            record?("downs.\(i)", "Block", x)
        }
        for (i, up) in ups.enumerated() {
            x = up(concat([x, residuals.removeLast()], axis: 1), timeEmbedding: timeEmbedding)
            record?("ups.\(i)", "Block (up)", x)
        }
        x = output(x)
        record?("output", "Conv2d", x)
        return x
    }
}
