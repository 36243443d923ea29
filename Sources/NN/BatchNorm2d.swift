import TensorCore

/// Batch normalisation over the channels of `[N, C, H, W]`
/// (`torch.nn.BatchNorm2d`, Ioffe & Szegedy 2015): in training it normalises
/// with the batch's statistics and moves the running ones towards them by
/// `momentum`; in evaluation (`model.eval()`) it uses the running ones.
///
/// State-dict keys as PyTorch's: `weight` (γ, ones), `bias` (β, zeros), and
/// the buffers `running_mean` (zeros), `running_var` (ones) and
/// `num_batches_tracked` (int64).
public final class BatchNorm2d: Layer, ModeDependent {
    public let weight: Tensor
    public let bias: Tensor
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVar: Tensor
    @Buffer(dtype: .i64) public var numBatchesTracked = Tensor(0)
    public let eps: Float
    public let momentum: Float
    public var training = true

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        if channels < 1 {
            fail("BatchNorm2d: the number of channels must be positive, got \(channels).")
        }
        weight = ones(channels).requiringGrad()
        bias = zeros(channels).requiringGrad()
        runningMean = zeros(channels)
        runningVar = ones(channels)
        self.eps = eps
        self.momentum = momentum
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        if input.rank != 4 || input.shape[1] != weight.count {
            fail(
                "BatchNorm2d: expected an input [N, \(weight.count), H, W], got \(input.shape); the layer was "
                    + "built for \(weight.count) channels.")
        }
        if training { numBatchesTracked.storage.pointer[0] += 1 }
        return batchNorm(
            input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
            training: training, momentum: momentum, eps: eps)
    }
}
