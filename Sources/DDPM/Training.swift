import Foundation
import NotebookDisplay
import Plotting
import TensorCore

/// What a training run leaves: the loss of every step.
public struct TrainingHistory: Sendable {
    public let losses: [Float]
    /// Whether an interrupt ended the run before all its steps.
    public let interrupted: Bool
    /// The step whose loss diverged (NaN, infinite, or far above its start),
    /// which ended the run; its loss is not in `losses`.
    public let divergedAt: Int?
    public let seconds: Double
    /// Whether the run already showed its loss curve live in the notebook;
    /// then the history shows its summary only, so the curve appears once.
    let curveShown: Bool

    public init(losses: [Float], interrupted: Bool, divergedAt: Int? = nil, seconds: Double) {
        self.init(losses: losses, interrupted: interrupted, divergedAt: divergedAt, seconds: seconds, curveShown: false)
    }

    init(losses: [Float], interrupted: Bool, divergedAt: Int?, seconds: Double, curveShown: Bool) {
        self.losses = losses
        self.interrupted = interrupted
        self.divergedAt = divergedAt
        self.seconds = seconds
        self.curveShown = curveShown
    }

    /// Steps run.
    public var steps: Int { losses.count }

    /// The mean loss over the last `window` steps (a steadier number than the last loss).
    public func recentLoss(window: Int = 100) -> Float {
        let tail = losses.suffix(window)
        return tail.isEmpty ? .nan : tail.reduce(0, +) / Float(tail.count)
    }
}

extension TrainingHistory: CustomStringConvertible, Displayable {
    public var description: String {
        let rate = seconds > 0 ? Double(steps) / seconds : 0
        let ending = interrupted ? ", interrupted" : divergedAt.map { ", diverged at step \($0)" } ?? ""
        return "TrainingHistory(\(steps) steps\(ending) in "
            + String(
                format: "%.1f s (%.0f steps/s), loss %.4f → %.4f over the first and last 100 steps)", seconds, rate,
                losses.prefix(100).reduce(0, +) / Float(max(1, min(100, steps))), recentLoss())
    }

    /// The loss curve, with the summary as its text; the summary alone when
    /// the run showed the curve live above.
    public var mimeBundle: MimeBundle {
        if curveShown { return MimeBundle(text: description) }
        var bundle = lossCurve(losses).mimeBundle
        bundle.text = description
        return bundle
    }
}

/// Runs a training loop that you write, for `steps` steps: `body` gets the
/// step number, does the PyTorch-shaped work (loss, `zeroGrad()`,
/// `backward()`, `step()`) and returns the loss. The driver shows a progress
/// bar and the loss curve, updated in place (steps, rate, time left, latest
/// loss), with a grid of samples beside it every `preview.every` steps
/// when given a `SamplePreview`, checks the notebook's interrupt after every step (an interrupt
/// ends the run cleanly; the model keeps what it learned), stops a run whose
/// loss diverges (`Divergence`) with a sentence that says so, and returns
/// the losses.
///
///     let history = train(steps: 2000) { _ in
///         let loss = diffusionLoss(model, batch(), schedule: schedule)
///         optimizer.zeroGrad(); loss.backward(); optimizer.step()
///         return loss
///     }
@discardableResult
public func train(
    steps: Int, progress: Bool = true, preview: SamplePreview? = nil, _ body: (_ step: Int) -> Tensor
) -> TrainingHistory {
    guard steps >= 0 else { fail("train: steps must be 0 or more, got \(steps).") }
    var bar = progress ? ProgressBar(total: steps, unit: "step") : nil
    var losses: [Float] = []
    losses.reserveCapacity(steps)
    let start = Date()
    var interrupted = false
    var divergence: Divergence?
    for step in 0..<steps {
        if Interrupt.isRequested {
            interrupted = true
            break
        }
        let loss = body(step)
        guard loss.shape.isEmpty || loss.shape == [1] else {
            fail(
                "train: the loop body must return the loss as a single number (shape []), got shape \(loss.shape); "
                    + "reduce it with .mean().")
        }
        let value = loss.item()
        if let diverged = Divergence(step: step, loss: value, earlier: losses) {
            divergence = diverged
            break
        }
        losses.append(value)
        if let preview, bar?.handle != nil, (step + 1) % preview.every == 0 {
            bar?.show(preview: preview.png(), at: step + 1, losses: losses)
        }
        bar?.advance(to: step + 1, losses: losses)
    }
    let note = interrupted ? " (interrupted)" : divergence.map { " (diverged at step \($0.step))" } ?? ""
    if let preview, bar?.handle != nil, !interrupted, divergence == nil, !losses.isEmpty,
        bar?.preview?.step != losses.count
    {
        bar?.show(preview: preview.png(), at: losses.count, losses: losses)  // the samples the run ends with
    }
    bar?.finish(losses: losses, note: note)
    if interrupted {
        let message =
            "Training stopped by the interrupt after \(losses.count) of \(steps) steps; "
            + "the model keeps what it learned.\n"
        FileHandle.standardError.write(Data(message.utf8))
    }
    if let divergence {
        FileHandle.standardError.write(Data((divergence.description + "\n").utf8))
    }
    return TrainingHistory(
        losses: losses, interrupted: interrupted, divergedAt: divergence?.step,
        seconds: Date().timeIntervalSince(start), curveShown: bar?.handle != nil)
}

/// `train` over `epochs` passes of a `DataLoader`: `body` gets each batch
/// (a tensor, or images and their labels).
@discardableResult
public func train<Batch>(
    epochs: Int, over loader: DataLoader<Batch>, progress: Bool = true, preview: SamplePreview? = nil,
    _ body: (_ batch: Batch) -> Tensor
) -> TrainingHistory {
    guard epochs >= 0 else { fail("train: epochs must be 0 or more, got \(epochs).") }
    return train(steps: epochs * loader.count, over: loader, progress: progress, preview: preview, body)
}

/// `train` for `steps` batches of a `DataLoader`, starting a new pass (in a
/// new order) whenever one ends: a run measured in steps, as image models'
/// are, rather than in epochs.
@discardableResult
public func train<Batch>(
    steps: Int, over loader: DataLoader<Batch>, progress: Bool = true, preview: SamplePreview? = nil,
    _ body: (_ batch: Batch) -> Tensor
) -> TrainingHistory {
    var iterator = loader.makeIterator()
    return train(steps: steps, progress: progress, preview: preview) { _ in
        if let batch = iterator.next() { return body(batch) }
        iterator = loader.makeIterator()  // the next epoch, in a new order
        return body(iterator.next()!)
    }
}
