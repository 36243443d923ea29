import Plotting
import TensorCore

// How image tensors show themselves: values in [−1, 1] (the seeds'
// `Lambda(lambda t: (t * 2) - 1)`), clamped, mapped to black … white or to
// RGB, one sharp square per pixel.

extension NoiseSchedule {
    /// Seed 003's row: one image noised by q(x_t | x_0) at `panels` evenly
    /// spaced steps from t = 0 to the last (each panel draws its own noise,
    /// as the seed's `forward_diffusion_sample` does). `image` is `[C, H, W]`
    /// or a batch of one, `[1, C, H, W]`.
    public func forwardRow(_ image: Tensor, panels: Int = 10, generator: Generator = .default) -> Figure {
        let x0 = singleImage(image, "forwardRow")
        guard panels >= 1 else { fail("forwardRow: panels must be 1 or more, got \(panels).") }
        let ts = (0..<panels).map { panels == 1 ? 0 : $0 * (steps - 1) / (panels - 1) }
        let images = ts.map { qSample(x0, t: $0, generator: generator).xt }
        return imageGrid(images, columns: panels, panelSize: 1.1, titles: ts.map { "t=\($0)" }, low: -1, high: 1)
    }

    /// q(x_t | x_0) for a whole batch `[B, C, H, W]` at one step t, as a grid.
    public func forwardGrid(_ batch: Tensor, t: Int, columns: Int = 8, generator: Generator = .default) -> Figure {
        guard batch.shape.count == 4 else {
            fail(
                "forwardGrid: the batch must be images [B, C, H, W], got \(batch.shape); for one image use forwardRow.")
        }
        return imageGrid(
            qSample(batch, t: t, generator: generator).xt, columns: columns, panelSize: 0.8, low: -1, high: 1)
    }
}

extension Trajectory {
    /// Whether the frames are images `[B, C, H, W]` rather than points.
    var holdsImages: Bool { frames[0].shape.count == 4 }

    /// The indices of `count` frames evenly spaced from x_T to the last.
    func evenlySpaced(_ count: Int) -> [Int] {
        let count = Swift.min(Swift.max(count, 1), frames.count)
        return (0..<count).map { count == 1 ? frames.count - 1 : $0 * (frames.count - 1) / (count - 1) }
    }

    func title(ofFrame index: Int) -> String { steps[index].map { "x_{\($0)}" } ?? "x_T" }

    /// Images: `rows` samples (the first of the batch), each across `panels`
    /// evenly spaced frames from x_T to x_0, one sample per row.
    func imageStrip(panels: Int, rows: Int) -> Figure {
        let chosen = evenlySpaced(panels)
        let samples = Swift.min(Swift.max(rows, 1), frames[0].shape[0])
        let images = (0..<samples).flatMap { sample in chosen.map { frames[$0][sample] } }
        let titles = (0..<samples).flatMap { sample in chosen.map { sample == 0 ? title(ofFrame: $0) : "" } }
        return imageGrid(images, columns: chosen.count, panelSize: 1.1, titles: titles, low: -1, high: 1)
    }

    /// Images: the first `count` samples as a grid in every chosen frame.
    func imageAnimation(frames chosen: [Int], count: Int, delay: Double) -> Animation {
        let batch = Swift.min(Swift.max(count, 1), frames[0].shape[0])
        let figures = chosen.map { index in
            imageGrid(frames[index][0..<batch], columns: gridColumns(batch), panelSize: 0.7, low: -1, high: 1)
        }
        return Animation(frames: figures, delay: delay)
    }
}

/// Columns for a grid of `count` images: one row up to 10 (a row of
/// classes 0–9), otherwise about square.
func gridColumns(_ count: Int) -> Int {
    count <= 10 ? Swift.max(1, count) : Int(Double(count).squareRoot().rounded(.up))
}

/// A grid of up to `limit` images of a batch `[B, C, H, W]` in [−1, 1].
func imageBatchFigure(_ batch: Tensor, limit: Int = 64) -> Figure {
    let shown = Swift.min(batch.shape[0], limit)
    return imageGrid(batch[0..<shown], columns: Swift.min(8, shown), panelSize: 0.8, low: -1, high: 1)
}

/// `[C, H, W]` or `[1, C, H, W]` as `[C, H, W]`, with 1 or 3 channels.
private func singleImage(_ image: Tensor, _ function: String) -> Tensor {
    let x = image.shape.count == 4 && image.shape[0] == 1 ? image[0] : image
    guard x.shape.count == 3, x.shape[0] == 1 || x.shape[0] == 3 else {
        fail(
            "\(function): expected one image [C, H, W] (or [1, C, H, W]) with 1 or 3 channels, got \(image.shape); "
                + "pick one from a batch with images[0].")
    }
    return x
}
