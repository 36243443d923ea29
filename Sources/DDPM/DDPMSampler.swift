import TensorCore

/// How much noise each DDPM reverse step adds: σ_t² (Ho et al. 2020, §3.2).
public enum SamplerVariance: String, Sendable {
    /// σ_t² = β_t, the upper bound (seed 000's `p_sample`).
    case beta
    /// σ_t² = β̃_t, the posterior variance, the lower bound (seed 003's `sample_timestep`).
    case posterior
}

/// Ancestral sampling of DDPM (Ho et al. 2020, Algorithm 2): from
/// x_T ~ N(0, I), for t = T−1 … 0,
///
///     x_{t−1} = 1/√α_t · (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) + σ_t z,   z ~ N(0, I),
///
/// with z = 0 at the last step (the seeds add it there too; σ_0 is tiny).
///
/// With `clipSample` (diffusers' `clip_sample`, for images in [−1, 1]), the
/// step goes through the prediction of x_0 instead, clamped to [−1, 1]:
/// x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t (eq. 15), and x_{t−1} = μ̃_t(x_t, x̂_0)
/// + σ_t z with μ̃_t the posterior mean (eq. 7). Unclamped, the two forms are
/// equal; clamped, a model that is still poor cannot push pixels to ±∞.
public struct DDPMSampler: Sampler {
    public let schedule: NoiseSchedule
    public let variance: SamplerVariance
    public let clipSample: Bool

    public init(schedule: NoiseSchedule, variance: SamplerVariance = .beta, clipSample: Bool = false) {
        self.schedule = schedule
        self.variance = variance
        self.clipSample = clipSample
    }

    /// One reverse step from x_t to x_{t−1} (seed 000's `p_sample`), with the
    /// model in evaluation mode; `labels` for a class-conditional model.
    public func step(
        _ model: NoisePredictor, _ xt: Tensor, t: Int, labels: [Int]? = nil, generator: Generator = .default
    ) -> Tensor {
        let s = schedule[t]
        let epsilon = predictNoise(model, xt, t: t, labels: labels)
        let sigma = t == 0 ? 0 : (variance == .beta ? s.beta : s.posteriorVariance).squareRoot()
        if clipSample {  // μ̃_t(x_t, x̂_0) = coef1·x̂_0 + coef2·x_t (eq. 7)
            let x0 = predictedX0(xt, epsilon, s, clip: true)
            return reverseUpdate(s.posteriorMeanCoef2, xt, s.posteriorMeanCoef1, x0, sigma: sigma, generator: generator)
        }
        // 1/√α_t · (x_t − β_t/√(1 − ᾱ_t) · ε_θ)
        return reverseUpdate(
            s.sqrtRecipAlpha, xt, -s.sqrtRecipAlpha * s.beta / s.sqrtOneMinusAlphaBar, epsilon, sigma: sigma,
            generator: generator)
    }

    /// The reverse path from a given x_T: T + 1 frames, x_T … x_0 (seed
    /// 000's `p_sample_loop`).
    public func sample(
        _ model: NoisePredictor, from xT: Tensor, labels: [Int]? = nil, keepEvery: Int? = nil,
        generator: Generator = .default
    ) -> Trajectory {
        reverse(
            from: xT, steps: Array((0..<schedule.steps).reversed()), labels: labels, keepEvery: keepEvery
        ) { x, t in
            step(model, x, t: t, labels: labels, generator: generator)
        }
    }
}
