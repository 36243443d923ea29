import TensorCore

/// DDIM sampling (Song et al. 2021): a deterministic (η = 0) or partly
/// stochastic path through a subsequence τ of the training steps, often
/// much shorter. With x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t (eq. 9),
///
///     x_prev = √ᾱ_prev · x̂_0 + √(1 − ᾱ_prev − σ_t²) · ε_θ + σ_t z        (eq. 12)
///     σ_t = η · √((1 − ᾱ_prev)/(1 − ᾱ_t)) · √(1 − ᾱ_t/ᾱ_prev)            (eq. 16)
///
/// where prev is the step before t in τ, and ᾱ_prev = 1 after the last step.
/// η = 1 is DDPM-like; η = 0 is DDIM proper. With `clipSample` (diffusers'
/// `clip_sample`), x̂_0 is clamped to [−1, 1] (the range of images).
public struct DDIMSampler: Sampler {
    public let schedule: NoiseSchedule
    /// τ, from the last training step down to 0, evenly spaced.
    public let timesteps: [Int]
    public let eta: Double
    public let clipSample: Bool

    /// - Parameter steps: the length of τ (at most the schedule's T).
    public init(schedule: NoiseSchedule, steps: Int, eta: Double = 0, clipSample: Bool = false) {
        guard steps >= 1 && steps <= schedule.steps else {
            fail("DDIMSampler: steps must lie in 1...\(schedule.steps) (the schedule's T), got \(steps).")
        }
        guard eta >= 0 else { fail("DDIMSampler: eta must be 0 or more (0: deterministic, 1: like DDPM), got \(eta).") }
        self.schedule = schedule
        self.eta = eta
        self.clipSample = clipSample
        // Evenly spaced from T − 1 down to 0, as diffusers' "trailing" spacing.
        let ratio = Double(schedule.steps) / Double(steps)
        timesteps = (0..<steps).map { i in Int((Double(schedule.steps) - Double(i) * ratio).rounded()) - 1 }
    }

    /// One step from x_t at step t to the next step of τ (`previous`; nil
    /// after the last), with the model in evaluation mode.
    public func step(
        _ model: NoisePredictor, _ xt: Tensor, t: Int, previous: Int?, labels: [Int]? = nil,
        generator: Generator = .default
    ) -> Tensor {
        let s = schedule[t]
        let alphaBarPrevious = previous.map { schedule[$0].alphaBar } ?? 1
        let epsilon = predictNoise(model, xt, t: t, labels: labels)
        let x0 = predictedX0(xt, epsilon, s, clip: clipSample)
        let sigma =
            eta * ((1 - alphaBarPrevious) / (1 - s.alphaBar)).squareRoot()
            * (1 - s.alphaBar / alphaBarPrevious).squareRoot()
        return reverseUpdate(
            alphaBarPrevious.squareRoot(), x0, max(0, 1 - alphaBarPrevious - sigma * sigma).squareRoot(), epsilon,
            sigma: sigma, generator: generator)
    }

    /// The path from a given x_T: x_T then one frame per step of τ.
    public func sample(
        _ model: NoisePredictor, from xT: Tensor, labels: [Int]? = nil, keepEvery: Int? = nil,
        generator: Generator = .default
    ) -> Trajectory {
        let previous = Array(timesteps.dropFirst().map { Optional($0) }) + [nil]
        let next = Dictionary(uniqueKeysWithValues: zip(timesteps, previous))
        return reverse(from: xT, steps: timesteps, labels: labels, keepEvery: keepEvery) { x, t in
            step(model, x, t: t, previous: next[t]!, labels: labels, generator: generator)
        }
    }
}
