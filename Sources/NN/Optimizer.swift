internal import CNumerics
import TensorCore

/// Updates parameters from their gradients (`torch.optim.Optimizer`).
///
/// The learner writes the loop body as in PyTorch:
///
/// ```swift
/// optimizer.zeroGrad()
/// loss.backward()
/// optimizer.step()
/// ```
public protocol Optimizer: AnyObject {
    /// The tensors this optimiser updates.
    var parameters: [Tensor] { get }
    /// Applies one update using the parameters' current gradients;
    /// parameters without a gradient are left alone. An update whose
    /// gradients are not all finite is skipped (`skippedSteps`): with a NaN
    /// or infinite gradient it would ruin every parameter it touched, and the
    /// model would keep nothing of what it had learned.
    func step()
    /// Updates skipped because a gradient was NaN or infinite (the loss had
    /// diverged; `train` stops such a run and says so).
    var skippedSteps: Int { get }
}

extension Optimizer {
    /// Resets the gradients of all parameters (`optimizer.zero_grad()`): as
    /// in PyTorch 2, by default they are dropped (`grad` is nil) and the next
    /// `backward()` writes them afresh instead of adding to zeros; with
    /// `setToNone: false` they are kept and set to zero.
    public func zeroGrad(setToNone: Bool = true) {
        for p in parameters { setToNone ? (p.grad = nil) : p.zeroGrad() }
    }

    /// Whether every gradient present is finite: read element by element,
    /// unless `clipGradNorm` just found it so.
    func gradientsAreFinite() -> Bool {
        parameters.allSatisfy { p in
            p.gradIsKnownFinite || p.grad.map { ddpm_all_finite($0.storage.pointer, $0.count) != 0 } ?? true
        }
    }
}

/// Whether an optimiser's step over `parameterCount` parameters, and `clipGradNorm` before
/// it, is shared among the cores (`onEachCore`): when they pass data cheaply
/// (`coresShareCheaply`), as the layers' products then are, and the
/// parameters are many. In the seeds' training step (72,066 parameters)
/// Adam took 29–33 µs so against 59 on one core, whose writes had to take the
/// weights' cache lines back from the other core (23 with the whole step on
/// one core). A small model's step is not worth waking a core for.
func sharesStep(parameterCount: Int) -> Bool {
    parameterCount >= 1 << 15 && coresShareCheaply()
}

/// How each of `onEachCore`'s shares cuts the gradients (and parameters and
/// moments) in an optimiser's step and in `clipGradNorm` before it
/// (`CoreParts`): a weight's gradient made on one core
/// (`layerGradientsSideBySide`) stays there.
func stepParts(_ gradients: [Tensor]) -> CoreParts {
    CoreParts(counts: gradients.map(\.count), homes: gradients.map(\.storage.homeShare), shares: coreShareCount())
}

/// Checks the parameter list handed to an optimiser.
func validated(_ parameters: [Tensor], _ name: String) -> [Tensor] {
    if parameters.isEmpty {
        fail("\(name): the parameter list is empty; pass model.parameters() of a model with layers.")
    }
    if let index = parameters.firstIndex(where: { !$0.requiresGrad }) {
        fail(
            "\(name): parameter \(index) (shape \(parameters[index].shape)) does not require a gradient, so it "
                + "would never be updated; mark it with .requiringGrad() or leave it out.")
    }
    return parameters
}
