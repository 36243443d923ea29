/// One recorded operation of the graph that `backward()` walks in reverse.
///
/// `backward` receives the gradient of the loss with respect to the
/// operation's output (and the output itself, so that closures need not
/// capture it and form a cycle) and returns the gradient for each input, or
/// nil for inputs that need none.
final class GradNode {
    typealias Backward = (_ gradOutput: Tensor, _ output: Tensor) -> [Tensor?]
    let name: String
    private(set) var inputs: [Tensor]
    private(set) var backward: Backward?

    init(_ name: String, _ inputs: [Tensor], _ backward: @escaping Backward) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }

    // Releasing the last tensor of a long chain (a sampling loop run without
    // `withNoGrad` builds one node per operation per step) would free the
    // chain recursively, one stack frame group per node, and overflow the
    // stack. Past `maximumReleaseDepth` nested releases, a node hands its
    // inputs to `deferred` instead, and the outermost release frees them in a
    // loop.
    private static let maximumReleaseDepth = 128
    private static var releaseDepth = 0
    private static var deferred: [(inputs: [Tensor], backward: Backward?)] = []

    deinit {
        if GradNode.releaseDepth >= GradNode.maximumReleaseDepth {
            GradNode.deferred.append((inputs, backward))
            return
        }
        GradNode.releaseDepth += 1
        inputs = []
        backward = nil
        if GradNode.releaseDepth == 1 {
            while !GradNode.deferred.isEmpty { _ = GradNode.deferred.removeLast() }
        }
        GradNode.releaseDepth -= 1
    }
}

/// Whether operations record themselves for differentiation.
public enum GradMode {
    /// False inside `withNoGrad`.
    public private(set) static var isEnabled = true

    /// Runs `body` without recording operations (`torch.no_grad()`): for
    /// sampling and evaluation, where no gradient is wanted and recording would
    /// only cost memory.
    public static func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
        let saved = isEnabled
        isEnabled = false
        defer { isEnabled = saved }
        return try body()
    }
}

/// Runs `body` without recording operations (`torch.no_grad()`).
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.withNoGrad(body)
}

extension Tensor {
    /// Attaches a graph node to a freshly computed tensor when any input needs
    /// a gradient; returns the tensor.
    @inline(__always)
    func recorded(
        _ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor, Tensor) -> [Tensor?]
    ) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            requiresGrad = true
            gradNode = GradNode(name, inputs, backward)
        }
        return self
    }

    /// Computes the gradient of this tensor with respect to every leaf that
    /// requires one, and adds it to that leaf's `grad` (`loss.backward()`).
    ///
    /// For a tensor with more than one element, pass `gradient`, the vector of
    /// the vector-Jacobian product (∂L/∂self); for a scalar it defaults to 1.
    public func backward(_ gradient: Tensor? = nil) {
        if !requiresGrad {
            fail(
                "backward(): this tensor does not require a gradient: nothing it was computed from has "
                    + "requiresGrad set. Mark the parameters with .requiringGrad(), and do not call backward() "
                    + "on a result computed inside withNoGrad.")
        }
        let seed: Tensor
        if let gradient = gradient {
            if gradient.shape != shape {
                fail(
                    "backward(): the gradient has shape \(describe(gradient.shape)) but the tensor has shape "
                        + "\(describe(shape)); pass a gradient of the tensor's own shape.")
            }
            seed = gradient
        } else {
            if count != 1 {
                fail(
                    "backward(): the tensor has shape \(describe(shape)); backward() without an argument needs "
                        + "a single-element tensor such as a loss. Reduce it with .mean() or .sum() first.")
            }
            seed = Tensor(repeating: 1, shape: shape)
        }

        // Reverse topological order of the graph below self, by an
        // iterative depth-first search (deep graphs would overflow recursion).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            if let node = tensor.gradNode {
                for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }

        // Gradients are computed outside any graph (no higher-order terms).
        GradMode.withNoGrad { propagate(seed, through: order) }
    }

    private func propagate(_ seed: Tensor, through order: [Tensor]) {
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        for tensor in order.reversed() {
            let id = ObjectIdentifier(tensor)
            guard let gradOutput = grads.removeValue(forKey: id) else { continue }
            guard let node = tensor.gradNode else {
                tensor.accumulateGrad(gradOutput)
                continue
            }
            let inputGrads = node.backward!(gradOutput, tensor)
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard input.requiresGrad, let inputGrad = inputGrad else { continue }
                let key = ObjectIdentifier(input)
                if let existing = grads[key] {
                    grads[key] = existing.zipMap(inputGrad, +)
                } else {
                    grads[key] = inputGrad
                }
            }
        }
    }

    /// Adds to `grad` in place, allocating it on first use. The incoming
    /// tensor may be shared with other gradients, so it is copied, never kept.
    func accumulateGrad(_ increment: Tensor) {
        if let grad = grad {
            let g = grad.storage.pointer
            let d = increment.storage.pointer
            for i in 0..<count { g[i] += d[i] }
        } else {
            grad = increment.copy()
        }
    }
}
