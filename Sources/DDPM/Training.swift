import Foundation
import NotebookDisplay
import Plotting
import TensorCore

/// The loss curve of a training run: each step's loss, faint, and the mean
/// of the last 100 steps, bold.
public func lossCurve(_ losses: [Float], width: Double = 6, height: Double = 2.4, dpi: Double = 80) -> Figure {
    let figure = Figure(width: width, height: height, dpi: dpi)
    let axes = figure[0, 0]
    var mean: [Double] = []
    mean.reserveCapacity(losses.count)
    var sum = 0.0
    for (i, loss) in losses.enumerated() {
        sum += Double(loss)
        if i >= 100 { sum -= Double(losses[i - 100]) }
        mean.append(sum / Double(min(i + 1, 100)))
    }
    // At most about two points per pixel column: a long run's curve costs
    // the same to draw as a short one's (it is redrawn while training runs).
    let stride = max(1, losses.count / Int(2 * width * dpi))
    let kept = Array(Swift.stride(from: 0, to: losses.count, by: stride))
    axes.plot(x: kept.map(Double.init), y: kept.map { Double(losses[$0]) }, color: Color(hex: 0xF4A582), lineWidth: 0.8,
              label: "loss")
    axes.plot(x: kept.map(Double.init), y: kept.map { mean[$0] }, color: Color(hex: 0xB2182B), lineWidth: 2,
              label: "mean of 100 steps")
    axes.xlabel = "step"
    if losses.isEmpty { axes.title = "loss: waiting for steps…" }
    return figure
}

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
            + String(format: "%.1f s (%.0f steps/s), loss %.4f → %.4f over the first and last 100 steps)", seconds, rate,
                     losses.prefix(100).reduce(0, +) / Float(max(1, min(100, steps))), recentLoss())
    }

    /// The loss curve, with the summary as its text; the summary alone when
    /// the run showed the curve live above.
    public var mimeBundle: MimeBundle {
        if curveShown { return MimeBundle(text: description) }
        var bundle = lossCurve(losses).mimeBundle
        bundle.data["text/plain"] = description
        return bundle
    }
}

/// Runs a training loop that you write, for `steps` steps: `body` gets the
/// step number, does the PyTorch-shaped work (loss, `zeroGrad()`,
/// `backward()`, `step()`) and returns the loss. The driver shows a progress
/// bar and the loss curve, updated in place (steps, rate, time left, latest
/// loss), checks the notebook's interrupt after every step (an interrupt
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
public func train(steps: Int, progress: Bool = true, _ body: (_ step: Int) -> Tensor) -> TrainingHistory {
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
            fail("train: the loop body must return the loss as a single number (shape []), got shape \(loss.shape); "
                + "reduce it with .mean().")
        }
        let value = loss.item()
        if let diverged = Divergence(step: step, loss: value, earlier: losses) {
            divergence = diverged
            break
        }
        losses.append(value)
        bar?.advance(to: step + 1, losses: losses)
    }
    let note = interrupted ? " (interrupted)" : divergence.map { " (diverged at step \($0.step))" } ?? ""
    bar?.finish(losses: losses, note: note)
    if interrupted {
        let message = "Training stopped by the interrupt after \(losses.count) of \(steps) steps; "
            + "the model keeps what it learned.\n"
        FileHandle.standardError.write(Data(message.utf8))
    }
    if let divergence {
        FileHandle.standardError.write(Data((divergence.description + "\n").utf8))
    }
    return TrainingHistory(losses: losses, interrupted: interrupted, divergedAt: divergence?.step,
                           seconds: Date().timeIntervalSince(start), curveShown: bar?.handle != nil)
}

/// `train` over `epochs` passes of a `DataLoader`: `body` gets each batch.
@discardableResult
public func train(epochs: Int, over loader: DataLoader, progress: Bool = true,
                  _ body: (_ batch: Tensor) -> Tensor) -> TrainingHistory {
    guard epochs >= 0 else { fail("train: epochs must be 0 or more, got \(epochs).") }
    var iterator = loader.makeIterator()
    return train(steps: epochs * loader.count, progress: progress) { _ in
        if let batch = iterator.next() { return body(batch) }
        iterator = loader.makeIterator()  // the next epoch, in a new order
        return body(iterator.next()!)
    }
}

/// A progress line and a live loss curve, updated in place in the notebook
/// (one output, replaced at most five times a second so that the frontend
/// is not flooded).
struct ProgressBar {
    let total: Int
    let unit: String
    let start = Date()
    var lastShown = Date.distantPast
    var handle: DisplayHandle?

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
        if NotebookChannel.current != nil { handle = display(bundle(done: 0, losses: [], note: "")) }
    }

    mutating func advance(to done: Int, losses: [Float]) {
        guard handle != nil, Date().timeIntervalSince(lastShown) >= 0.2 else { return }
        handle?.update(bundle(done: done, losses: losses, note: ""))
        lastShown = Date()  // after drawing: the next update waits 0.2 s of training, however long drawing took
    }

    /// The final state: the steps done, their rate and the bar where the run
    /// ended, and why it ended early (`note`), if it did.
    func finish(losses: [Float], note: String) {
        let final = bundle(done: losses.count, losses: losses, note: note)
        if let handle { handle.update(final) } else { print(final.data["text/plain"]!) }
    }

    func bundle(done: Int, losses: [Float], note: String) -> MimeBundle {
        let loss = losses.last
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        func clock(_ seconds: Double) -> String { String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60) }
        var text = "\(unit) \(done)/\(total)"
        text += String(format: " · %.0f %@s/s · %@ elapsed", rate, unit, clock(elapsed))
        if done < total && note.isEmpty { text += " · \(clock(left)) left" }
        if let loss { text += String(format: " · loss %.4f", loss) }
        text += note
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let html = "<div style=\"font-family: monospace\"><progress value=\"\(String(format: "%.4f", fraction))\" max=\"1\" "
            + "style=\"width: 24em; vertical-align: middle\"></progress> \(text)<br>"
            + "<img src=\"data:image/png;base64,\(Data(lossCurve(losses).png()).base64EncodedString())\"></div>"
        return MimeBundle(html: html, text: text)
    }
}
