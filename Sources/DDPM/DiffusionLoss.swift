import TensorCore

/// The distance between the true and the predicted noise.
public enum LossType: String, Sendable {
    /// ‖ε − ε_θ‖², the "simple" objective (Ho et al. 2020, eq. 14); seeds 000 and 004.
    case mse
    /// |ε − ε_θ|, as seed 003 trains its UNet.
    case l1
}

/// The training loss of ε-prediction (Ho et al. 2020, Algorithm 1): draw a
/// step per row, noise x_0 to x_t with q(x_t | x_0), and compare the model's
/// prediction with the noise used.
///
/// With `antithetic` (seed 000), half the rows draw t and the other half
/// T − 1 − t, which lowers the variance of the loss. A class-conditional
/// model gets the rows' classes as `labels` (ε_θ(x_t, t, y)).
public func diffusionLoss(
    _ model: NoisePredictor, _ x0: Tensor, labels: [Int]? = nil, schedule: NoiseSchedule, type: LossType = .mse,
    antithetic: Bool = true, generator: Generator = .default
) -> Tensor {
    let batch = x0.shape.first ?? 0
    guard batch >= 1 else { fail("diffusionLoss: x0 has no rows (shape \(x0.shape)); pass a batch of shape [B, …].") }
    let t = trainingSteps(count: batch, steps: schedule.steps, antithetic: antithetic, generator: generator)
    let (xt, noise) = schedule.qSample(x0, t: t, generator: generator)
    if let labels, labels.count != batch {
        fail("diffusionLoss: x0 has \(batch) rows but \(labels.count) labels were given; give one label per row.")
    }
    let prediction = model(xt, t, labels: labels)
    switch type {
    case .mse: return prediction.mseLoss(noise)
    case .l1: return (noise - prediction).abs().mean()
    }
}

/// Uniform steps for a batch; antithetic pairs (t, T − 1 − t) when asked,
/// with one more uniform step for an odd batch.
public func trainingSteps(count: Int, steps: Int, antithetic: Bool, generator: Generator = .default) -> [Int] {
    guard antithetic else { return randint(0, steps, count: count, generator: generator) }
    let half = randint(0, steps, count: count / 2, generator: generator)
    var t = half + half.map { steps - 1 - $0 }
    if count % 2 == 1 { t += randint(0, steps, count: 1, generator: generator) }
    return t
}
