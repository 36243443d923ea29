import Foundation

/// A training loss that has run away: NaN or infinite, or more than
/// `Divergence.growthLimit` times the run's first loss. Such a
/// run only gets worse (an update with huge or NaN gradients ruins every
/// parameter), so `train` stops at the step and says why.
public struct Divergence: Error, CustomStringConvertible, Sendable {
    /// How many times its start a loss may grow before the run counts as diverged.
    public static let growthLimit: Float = 1_000
    public let step: Int
    public let loss: Float
    /// The loss of the run's first step (nil at the first step).
    public let start: Float?

    /// Nil when `loss`, the loss of `step` after the `earlier` ones, is fine.
    public init?(step: Int, loss: Float, earlier: [Float]) {
        let start = earlier.first
        if loss.isFinite {
            guard let start, start > 0, loss > Self.growthLimit * start else { return nil }
        }
        self.step = step
        self.loss = loss
        self.start = start
    }

    public var description: String {
        let what =
            loss.isNaN
            ? "became NaN"
            : loss.isInfinite
                ? "became infinite"
                : "grew to \(Self.format(loss)), more than \(Int(Self.growthLimit)) times its start"
        let start = self.start.map { " (it started at \(Self.format($0)))" } ?? ""
        return "Training stopped at step \(step): the loss \(what)\(start); the history keeps the \(step) "
            + "steps before it. The usual fixes: a lower learning rate (Adam's default is lr: 1e-3), or clipping "
            + "gradients with clipGradNorm(model.parameters(), maxNorm: 1) between backward() and step()."
    }

    private static func format(_ value: Float) -> String {
        abs(value) >= 1e4 || (abs(value) < 1e-3 && value != 0)
            ? String(format: "%.2g", value) : String(format: "%.4g", value)
    }
}
