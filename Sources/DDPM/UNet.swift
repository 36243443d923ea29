import NN
import TensorCore

/// Seed 001's UNet (Ronneberger et al. 2015, with the residual blocks,
/// GroupNorm and self-attention of DDPM, Ho et al. 2020, App. B): ε_θ(x_t, t)
/// for images `[B, C, H, W]`, and ε_θ(x_t, t, y) when built with `classes`.
///
///     init_conv → downs (residual blocks, stride-2 Downsample between levels)
///               → mid (a residual block with attention, one without)
///               → ups (residual blocks on [x, skip] concatenated, Upsample)
///               → out_norm → SiLU → out_conv
///
/// The step t enters every residual block as a bias per channel, through
/// sinusoidal features and `time_mlp`. Names, defaults and structure are the
/// seed's, so its state-dict keys are PyTorch's (`downs.0.conv_1.weight`,
/// `mid.0.attention.to_qkv.weight`, …) and checkpoints load both ways with
/// `strict=True`.
public final class UNet: NoisePredictor {
    /// A stage of the down or up path (the seed's modules called as
    /// `layer(x, time_emb, y)`): a residual block or a resampling.
    public protocol Stage: Module {
        func callAsFunction(_ x: Tensor, timeEmbedding: Tensor, labels: [Int]?) -> Tensor
    }

    /// PositionalEmbedding, Linear(base, time), SiLU, Linear(time, time).
    public let timeMLP: Sequential
    public let initConv: Conv2d
    public let downs: [any Stage]
    public let mid: [ResidualBlock]
    public let ups: [any Stage]
    public let outNorm: GroupNorm
    public let outConv: Conv2d
    public let imageChannels: Int
    public let levels: Int
    public let classes: Int?
    /// Zero padding added around the input and cut from the output (the
    /// seed's `initial_pad`: 2 makes 28×28 digits 32×32).
    public let initialPad: Int

    /// - Parameters:
    ///   - channelMults: the channels of each level as multiples of
    ///     `baseChannels`; the resolution halves between levels.
    ///   - resBlocks: residual blocks per level on the way down (one more on
    ///     the way up).
    ///   - attentionResolutions: the levels (indices into `channelMults`)
    ///     whose residual blocks end with self-attention.
    ///   - groups: GroupNorm's groups; must divide every channel count.
    ///   - classes: the number of class labels for class-conditional models.
    public init(
        imageChannels: Int, baseChannels: Int = 128, channelMults: [Int] = [1, 2, 2, 2], resBlocks: Int = 2,
        timeEmbeddingDim: Int = 128 * 4, timeEmbeddingScale: Float = 1, dropout: Float = 0.1,
        attentionResolutions: [Int] = [1], groups: Int = 32, classes: Int? = nil, initialPad: Int = 0,
        generator: Generator = .default
    ) {
        guard imageChannels >= 1, baseChannels >= 1, !channelMults.isEmpty, resBlocks >= 0, timeEmbeddingDim >= 1,
            baseChannels % 2 == 0, initialPad >= 0
        else {
            fail(
                "UNet: imageChannels, baseChannels (even) and timeEmbeddingDim must be positive, channelMults "
                    + "non-empty and resBlocks and initialPad at least 0; got imageChannels \(imageChannels), "
                    + "baseChannels \(baseChannels), channelMults \(channelMults), resBlocks \(resBlocks).")
        }
        if let bad = channelMults.map({ baseChannels * $0 }).first(where: { $0 % groups != 0 }) {
            fail(
                "UNet: \(bad) channels cannot be split into \(groups) GroupNorm groups; choose groups that divide "
                    + "baseChannels × every channel multiple.")
        }
        self.imageChannels = imageChannels
        self.levels = channelMults.count
        self.classes = classes
        self.initialPad = initialPad
        timeMLP = Sequential([
            PositionalEmbedding(dimension: baseChannels, scale: timeEmbeddingScale),
            Linear(baseChannels, timeEmbeddingDim, generator: generator),
            SiLU(),
            Linear(timeEmbeddingDim, timeEmbeddingDim, generator: generator),
        ])
        initConv = Conv2d(imageChannels, baseChannels, kernelSize: 3, padding: 1, generator: generator)

        func block(_ inChannels: Int, _ outChannels: Int, attention: Bool) -> ResidualBlock {
            ResidualBlock(
                inChannels, outChannels, dropout: dropout, timeEmbeddingDim: timeEmbeddingDim, classes: classes,
                groups: groups, useAttention: attention, generator: generator)
        }
        // The channels of every skip connection, as the seed stacks them.
        var channels = [baseChannels]
        var now = baseChannels
        var downs: [any Stage] = []
        for (i, mult) in channelMults.enumerated() {
            for _ in 0..<resBlocks {
                downs.append(block(now, baseChannels * mult, attention: attentionResolutions.contains(i)))
                now = baseChannels * mult
                channels.append(now)
            }
            if i != channelMults.count - 1 {
                downs.append(Downsample(now, generator: generator))
                channels.append(now)
            }
        }
        self.downs = downs
        mid = [block(now, now, attention: true), block(now, now, attention: false)]
        var ups: [any Stage] = []
        for (i, mult) in channelMults.enumerated().reversed() {
            for _ in 0...resBlocks {
                ups.append(
                    block(channels.removeLast() + now, baseChannels * mult, attention: attentionResolutions.contains(i))
                )
                now = baseChannels * mult
            }
            if i != 0 { ups.append(Upsample(now, generator: generator)) }
        }
        self.ups = ups
        outNorm = GroupNorm(groups, baseChannels)
        outConv = Conv2d(baseChannels, imageChannels, kernelSize: 3, padding: 1, generator: generator)
    }

    /// ε_θ(x_t, t): `x` is `[B, C, H, W]`, `t` holds B steps.
    public func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor {
        self(x, t, labels: nil)
    }

    /// ε_θ(x_t, t, y) for a class-conditional model: `labels` holds B classes.
    public func callAsFunction(_ x: Tensor, _ t: [Int], labels: [Int]?) -> Tensor {
        forward(x, t, labels: labels, record: nil)
    }

    /// The tensor's shape after every block, for an input of `x`'s shape.
    public func shapeWalk(_ x: Tensor, _ t: [Int], labels: [Int]? = nil) -> ShapeWalk {
        var walk = ShapeWalk(input: x.shape)
        _ = withNoGrad { forward(x, t, labels: labels) { walk.append($0, $1, $2.shape) } }
        return walk
    }

    func forward(
        _ input: Tensor, _ t: [Int], labels: [Int]?, record: ((String, String, Tensor) -> Void)?
    ) -> Tensor {
        let multiple = 1 << (levels - 1)
        guard input.rank == 4, input.shape[1] == imageChannels, input.shape[0] == t.count else {
            fail(
                "UNet: x must be [B, \(imageChannels), H, W] with one step per row, got x of shape \(input.shape) "
                    + "and \(t.count) steps.")
        }
        let (height, width) = (input.shape[2] + 2 * initialPad, input.shape[3] + 2 * initialPad)
        guard height % multiple == 0, width % multiple == 0 else {
            fail(
                "UNet: a \(height)×\(width) image cannot be halved \(levels - 1) times; height and width (with "
                    + "initialPad) must be multiples of \(multiple). Resize the images, or set initialPad.")
        }
        if let classes = classes {
            guard let labels = labels, labels.count == t.count else {
                fail(
                    "UNet: this model is class-conditional (\(classes) classes): pass one label per row, "
                        + "model(x, t, labels: y).")
            }
            if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
                fail("UNet: label \(bad) is out of range; this model was built for classes 0..<\(classes).")
            }
        }
        let y = classes == nil ? nil : labels
        var x = initialPad > 0 ? input.pad([Int](repeating: initialPad, count: 4)) : input
        let timeEmbedding = timeMLP(Tensor(t.map { Float($0) }))
        record?("time_mlp", "Sequential", timeEmbedding)
        x = initConv(x)
        record?("init_conv", "Conv2d", x)
        var skips = [x]
        for (i, layer) in downs.enumerated() {
            x = layer(x, timeEmbedding: timeEmbedding, labels: y)
            skips.append(x)
            record?("downs.\(i)", layer.kind, x)
        }
        for (i, layer) in mid.enumerated() {
            x = layer(x, timeEmbedding: timeEmbedding, labels: y)
            record?("mid.\(i)", layer.kind, x)
        }
        for (i, layer) in ups.enumerated() {
            if layer is ResidualBlock { x = concat([x, skips.removeLast()], axis: 1) }
            x = layer(x, timeEmbedding: timeEmbedding, labels: y)
            record?("ups.\(i)", layer.kind, x)
        }
        x = outNorm(x, then: .silu)
        record?("out_norm", "GroupNorm, SiLU", x)
        x = outConv(x)
        if initialPad > 0 {
            x = x.narrow(axis: 2, start: initialPad, length: input.shape[2])
                .narrow(axis: 3, start: initialPad, length: input.shape[3])
        }
        record?("out_conv", "Conv2d", x)
        return x
    }
}

extension UNet.Stage {
    /// The block's class name, for shape walks.
    var kind: String {
        let attention = (self as? UNet.ResidualBlock).map { $0.attention is UNet.AttentionBlock } ?? false
        return String(describing: type(of: self)) + (attention ? " + attention" : "")
    }
}
