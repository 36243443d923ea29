import Foundation
import NotebookDisplay
import TensorCore

/// A path of the reverse process: x_T first, x_0 (the samples) last, with
/// the step each frame belongs to (`nil` for x_T, the pure noise).
public struct Trajectory {
    public let frames: [Tensor]
    /// The step index of each frame after x_T; frames[i] for i ≥ 1 is the
    /// output of step `steps[i]` (counting down to 0).
    public let steps: [Int?]
    /// Whether an interrupt stopped the sampler early (frames end before x_0).
    public let interrupted: Bool

    /// The last frame: the samples x_0 (or the last one reached).
    public var samples: Tensor { frames[frames.count - 1] }
}

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
public struct DDPMSampler: Sendable {
    public let schedule: NoiseSchedule
    public let variance: SamplerVariance

    public init(schedule: NoiseSchedule, variance: SamplerVariance = .beta) {
        self.schedule = schedule
        self.variance = variance
    }

    /// One reverse step from x_t to x_{t−1} (seed 000's `p_sample`), with the
    /// model in evaluation mode.
    public func step(_ model: NoisePredictor, _ xt: Tensor, t: Int, generator: Generator = .default) -> Tensor {
        let s = schedule[t]
        let epsilon = model.withEvaluationMode { withNoGrad { model(xt, t) } }
        let mean = (xt - epsilon * Float(s.beta / s.sqrtOneMinusAlphaBar)) * Float(s.sqrtRecipAlpha)
        guard t > 0 else { return mean }
        let sigma = (variance == .beta ? s.beta : s.posteriorVariance).squareRoot()
        return mean + randn(like: xt, generator: generator) * Float(sigma)
    }

    /// The whole reverse path for `count` points of `dimension` (seed 000's
    /// `p_sample_loop`): T + 1 frames, x_T … x_0. Stops early, keeping the
    /// frames so far, when the notebook is interrupted.
    public func sample(
        _ model: NoisePredictor, count: Int, dimension: Int = 2,
        generator: Generator = .default
    ) -> Trajectory {
        sample(model, from: randn(shape: [count, dimension], generator: generator), generator: generator)
    }

    /// The reverse path from a given x_T.
    public func sample(_ model: NoisePredictor, from xT: Tensor, generator: Generator = .default) -> Trajectory {
        reverse(from: xT, steps: Array((0..<schedule.steps).reversed())) { x, t in
            step(model, x, t: t, generator: generator)
        }
    }
}

/// DDIM sampling (Song et al. 2021): a deterministic (η = 0) or partly
/// stochastic path through a subsequence τ of the training steps, often
/// much shorter. With x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t (eq. 9),
///
///     x_prev = √ᾱ_prev · x̂_0 + √(1 − ᾱ_prev − σ_t²) · ε_θ + σ_t z        (eq. 12)
///     σ_t = η · √((1 − ᾱ_prev)/(1 − ᾱ_t)) · √(1 − ᾱ_t/ᾱ_prev)            (eq. 16)
///
/// where prev is the step before t in τ, and ᾱ_prev = 1 after the last step.
/// η = 1 is DDPM-like; η = 0 is DDIM proper.
public struct DDIMSampler: Sendable {
    public let schedule: NoiseSchedule
    /// τ, from the last training step down to 0, evenly spaced.
    public let timesteps: [Int]
    public let eta: Double

    /// - Parameter steps: the length of τ (at most the schedule's T).
    public init(schedule: NoiseSchedule, steps: Int, eta: Double = 0) {
        guard steps >= 1 && steps <= schedule.steps else {
            fail("DDIMSampler: steps must lie in 1...\(schedule.steps) (the schedule's T), got \(steps).")
        }
        guard eta >= 0 else { fail("DDIMSampler: eta must be 0 or more (0: deterministic, 1: like DDPM), got \(eta).") }
        self.schedule = schedule
        self.eta = eta
        // Evenly spaced from T − 1 down to 0, as diffusers' "trailing" spacing.
        let ratio = Double(schedule.steps) / Double(steps)
        timesteps = (0..<steps).map { i in Int((Double(schedule.steps) - Double(i) * ratio).rounded()) - 1 }
    }

    /// One step from x_t at step t to the next step of τ (`previous`; nil
    /// after the last), with the model in evaluation mode.
    public func step(_ model: NoisePredictor, _ xt: Tensor, t: Int, previous: Int?, generator: Generator = .default)
        -> Tensor
    {
        let s = schedule[t]
        let alphaBarPrevious = previous.map { schedule[$0].alphaBar } ?? 1
        let epsilon = model.withEvaluationMode { withNoGrad { model(xt, t) } }
        let x0 = (xt - epsilon * Float(s.sqrtOneMinusAlphaBar)) * Float(1 / s.sqrtAlphaBar)
        let sigma =
            eta * ((1 - alphaBarPrevious) / (1 - s.alphaBar)).squareRoot()
            * (1 - s.alphaBar / alphaBarPrevious).squareRoot()
        var next =
            x0 * Float(alphaBarPrevious.squareRoot())
            + epsilon * Float(max(0, 1 - alphaBarPrevious - sigma * sigma).squareRoot())
        if sigma > 0 { next = next + randn(like: xt, generator: generator) * Float(sigma) }
        return next
    }

    /// The whole path: x_T then one frame per step of τ.
    public func sample(
        _ model: NoisePredictor, count: Int, dimension: Int = 2,
        generator: Generator = .default
    ) -> Trajectory {
        sample(model, from: randn(shape: [count, dimension], generator: generator), generator: generator)
    }

    public func sample(_ model: NoisePredictor, from xT: Tensor, generator: Generator = .default) -> Trajectory {
        let previous = Array(timesteps.dropFirst().map { Optional($0) }) + [nil]
        let next = Dictionary(uniqueKeysWithValues: zip(timesteps, previous))
        return reverse(from: xT, steps: timesteps) { x, t in
            step(model, x, t: t, previous: next[t]!, generator: generator)
        }
    }
}

/// Runs reverse steps, recording every frame, checking the interrupt each step.
func reverse(from xT: Tensor, steps: [Int], step: (Tensor, Int) -> Tensor) -> Trajectory {
    var frames = [xT]
    var labels: [Int?] = [nil]
    var x = xT
    for t in steps {
        if Interrupt.isRequested {
            FileHandle.standardError.write(
                Data(
                    "Sampling stopped by the interrupt before step \(t); the trajectory so far is returned.\n".utf8))
            return Trajectory(frames: frames, steps: labels, interrupted: true)
        }
        x = step(x, t)
        frames.append(x)
        labels.append(t)
    }
    return Trajectory(frames: frames, steps: labels, interrupted: false)
}

extension Trajectory: CustomStringConvertible {
    public var description: String {
        let shape = frames.first?.shape ?? []
        return "Trajectory(\(frames.count) frames of \(shape)\(interrupted ? ", interrupted" : ""))"
    }
}
