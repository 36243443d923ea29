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
    /// parameters without a gradient are left alone.
    func step()
}

extension Optimizer {
    /// Resets the gradients of all parameters to zero.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

/// Checks the parameter list handed to an optimiser.
func validated(_ parameters: [Tensor], _ name: String) -> [Tensor] {
    if parameters.isEmpty {
        fail("\(name): the parameter list is empty; pass model.parameters() of a model with layers.")
    }
    if let index = parameters.firstIndex(where: { !$0.requiresGrad }) {
        fail("\(name): parameter \(index) (shape \(parameters[index].shape)) does not require a gradient, so it "
            + "would never be updated; mark it with .requiringGrad() or leave it out.")
    }
    return parameters
}
