import TensorCore

/// A path of the reverse process: x_T first, x_0 (the samples) last, with
/// the step each frame belongs to (`nil` for x_T, the pure noise). A long
/// path of images keeps every k-th frame only (`keepEvery`).
public struct Trajectory {
    public let frames: [Tensor]
    /// The step index of each frame after x_T; frames[i] for i ≥ 1 is the
    /// output of step `steps[i]` (counting down to 0).
    public let steps: [Int?]
    /// Whether an interrupt stopped the sampler early (frames end before x_0).
    public let interrupted: Bool
    /// The class of each sample, for a class-conditional model.
    public let labels: [Int]?

    public init(frames: [Tensor], steps: [Int?], interrupted: Bool, labels: [Int]? = nil) {
        self.frames = frames
        self.steps = steps
        self.interrupted = interrupted
        self.labels = labels
    }

    /// The last frame: the samples x_0 (or the last one reached).
    public var samples: Tensor { frames[frames.count - 1] }
}

extension Trajectory: CustomStringConvertible {
    public var description: String {
        let shape = frames.first?.shape ?? []
        return "Trajectory(\(frames.count) frames of \(shape)\(interrupted ? ", interrupted" : ""))"
    }
}
