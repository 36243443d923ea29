internal import CNumerics
import Foundation
import NotebookDisplay
import TensorCore

/// A reverse process that turns noise into samples with a trained model:
/// `DDPMSampler` or `DDIMSampler`. Every sampler stops early when the
/// notebook is interrupted, keeping the frames so far, and runs the model
/// in evaluation mode.
public protocol Sampler: Sendable {
    var schedule: NoiseSchedule { get }
    /// The reverse path from a given x_T, with one class per sample for a
    /// class-conditional model (`labels`), keeping every `keepEvery`-th
    /// frame (nil: see `reverse`).
    func sample(
        _ model: NoisePredictor, from xT: Tensor, labels: [Int]?, keepEvery: Int?, generator: Generator
    ) -> Trajectory
}

extension Sampler {
    /// The reverse path for `count` points of `dimension`, from x_T ~ N(0, I).
    public func sample(
        _ model: NoisePredictor, count: Int, dimension: Int = 2, generator: Generator = .default
    ) -> Trajectory {
        sample(
            model, from: randn(shape: [count, dimension], generator: generator), labels: nil, keepEvery: nil,
            generator: generator)
    }

    /// The reverse path for a batch of `shape`, such as `[64, 1, 16, 16]`
    /// images, from x_T ~ N(0, I).
    ///
    ///     let digits = sampler.sample(model, shape: [10, 1, 16, 16], labels: Array(0..<10))
    public func sample(
        _ model: NoisePredictor, shape: [Int], labels: [Int]? = nil, keepEvery: Int? = nil,
        generator: Generator = .default
    ) -> Trajectory {
        sample(
            model, from: randn(shape: shape, generator: generator), labels: labels, keepEvery: keepEvery,
            generator: generator)
    }
}

/// ε_θ(x_t, t[, y]) in evaluation mode, without a graph.
func predictNoise(_ model: NoisePredictor, _ xt: Tensor, t: Int, labels: [Int]?) -> Tensor {
    if let labels, labels.count != xt.shape.first {
        fail(
            "sample: \(labels.count) labels for a batch of \(xt.shape.first ?? 0) samples; "
                + "give one class per sample, such as Array(0..<10).")
    }
    return model.withEvaluationMode {
        withNoGrad { model(xt, [Int](repeating: t, count: xt.shape[0]), labels: labels) }
    }
}

/// x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t (Ho et al. 2020, eq. 15; DDIM's
/// eq. 9), clamped to [−1, 1] with `clip`.
func predictedX0(_ xt: Tensor, _ epsilon: Tensor, _ s: NoiseSchedule.Step, clip: Bool) -> Tensor {
    let x0 = (xt - epsilon * Float(s.sqrtOneMinusAlphaBar)) * Float(1 / s.sqrtAlphaBar)
    return clip ? x0.clamp(min: -1, max: 1) : x0
}

/// x_{t−1} = a·x + b·y + σ·z with z ~ N(0, I), the form of every reverse
/// step's update (DDPM's Algorithm 2, line 4, with x = x_t and y = ε_θ; DDIM's
/// eq. 12 with x = x̂_0 and y = ε_θ), in one pass: the noise is drawn into the
/// result, which the update then overwrites, so a step makes no other tensor.
func reverseUpdate(_ a: Double, _ x: Tensor, _ b: Double, _ y: Tensor, sigma: Double, generator: Generator) -> Tensor {
    let out = sigma > 0 ? randn(shape: x.shape, generator: generator) : zeros(shape: x.shape)
    ddpm_reverse_update(
        x.storage.pointer, Float(a), y.storage.pointer, Float(b), Float(sigma), out.storage.pointer, x.count)
    return out
}

/// All frames of a path are kept while they take at most this many bytes;
/// a longer path keeps about `keptFramesWhenLong` frames.
private let framesBudget = 256 << 20
private let keptFramesWhenLong = 100

/// Runs reverse steps, keeping x_T, every `keepEvery`-th frame and the last,
/// checking the interrupt each step. Without `keepEvery`, every frame is
/// kept while the path takes at most 256 MB, otherwise about 100.
func reverse(
    from xT: Tensor, steps: [Int], labels: [Int]? = nil, keepEvery: Int? = nil, step: (Tensor, Int) -> Tensor
) -> Trajectory {
    if let keepEvery, keepEvery < 1 {
        fail("sample: keepEvery must be 1 or more (1 keeps every frame), got \(keepEvery).")
    }
    let frameBytes = xT.shape.reduce(1, *) * MemoryLayout<Float>.size
    let every =
        keepEvery
        ?? (frameBytes * (steps.count + 1) <= framesBudget
            ? 1 : (steps.count + keptFramesWhenLong - 1) / keptFramesWhenLong)
    var frames = [xT]
    var kept: [Int?] = [nil]
    var x = xT
    for (i, t) in steps.enumerated() {
        if Interrupt.isRequested {
            FileHandle.standardError.write(
                Data(
                    "Sampling stopped by the interrupt before step \(t); the trajectory so far is returned.\n".utf8))
            if i > 0, kept.last! != steps[i - 1] {  // the last frame reached, kept or not
                frames.append(x)
                kept.append(steps[i - 1])
            }
            return Trajectory(frames: frames, steps: kept, interrupted: true, labels: labels)
        }
        x = step(x, t)
        if (i + 1) % every == 0 || i == steps.count - 1 {
            frames.append(x)
            kept.append(t)
        }
    }
    return Trajectory(frames: frames, steps: kept, interrupted: false, labels: labels)
}
