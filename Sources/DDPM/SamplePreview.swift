import Plotting
import TensorCore

/// Samples drawn every so often while `train` runs, shown as a small grid
/// beside the live loss curve and replaced in place: a student sees noise
/// turn into digits as the loss falls.
///
///     let preview = SamplePreview.samples(of: model, sampler: DDIMSampler(schedule: schedule, steps: 20),
///                                         shape: [16, 1, 16, 16], every: 200)
///     train(steps: 2000, preview: preview) { _ in … }
public struct SamplePreview {
    /// Steps between two previews.
    public let every: Int
    /// Draws the images to show, `[B, C, H, W]` in [−1, 1].
    let draw: () -> Tensor

    public init(every: Int, _ draw: @escaping () -> Tensor) {
        guard every >= 1 else { fail("SamplePreview: every must be 1 or more steps, got \(every).") }
        self.every = every
        self.draw = draw
    }

    /// Samples of `model` by `sampler` from the same noise each time (seeded
    /// by `seed`), so that one preview differs from the last only by what
    /// the model learned. A short `DDIMSampler` keeps them cheap.
    public static func samples(
        of model: NoisePredictor, sampler: any Sampler, shape: [Int], labels: [Int]? = nil, every: Int,
        seed: UInt64 = 0
    ) -> SamplePreview {
        SamplePreview(every: every) {
            sampler.sample(model, shape: shape, labels: labels, keepEvery: Int.max, generator: Generator(seed: seed))
                .samples
        }
    }

    /// The grid's PNG.
    func png() -> [UInt8] {
        let images = draw()
        guard images.shape.count == 4 else {
            fail("SamplePreview: the preview must draw images [B, C, H, W], got shape \(images.shape).")
        }
        let figure = imageGrid(images, columns: gridColumns(images.shape[0]), panelSize: 0.6, low: -1, high: 1)
        return figure.png()
    }
}
