internal import CTensorKernels

/// One recorded operation of the graph that `backward()` walks in reverse.
///
/// A node holds, for each input, where that input's gradient goes (the node
/// that computed it, or the leaf tensor itself), and not the input tensors:
/// an intermediate result is freed as soon as nothing but the graph would hold
/// it, unless a backward closure captured it because its derivative needs the
/// value, as PyTorch keeps only its saved tensors. `backward` receives ∂L/∂output
/// and returns the gradient for each input, or nil for inputs that need none.
final class GradNode {
    typealias Backward = (_ gradOutput: Tensor) -> [Tensor?]

    /// Where an input's gradient goes.
    enum Edge {
        case node(GradNode)
        case leaf(Tensor)
        case none
    }

    let name: String
    private(set) var edges: [Edge]
    private(set) var backward: Backward?
    /// ∂L/∂output, summed over the node's consumers while `backward()` runs.
    var gradient: Tensor?
    /// The `backward()` call that last put this node in its order.
    var orderedBy = 0

    /// The derivative, handed out once: `backward()` frees what it captured
    /// (the saved tensors) as soon as it has run, so that activations are
    /// released while the gradients are made, as PyTorch does without
    /// `retain_graph`.
    func takeBackward() -> Backward? {
        defer { backward = nil }
        return backward
    }

    init(_ name: String, _ inputs: [Tensor], _ backward: @escaping Backward) {
        self.name = name
        self.edges = inputs.map { input in
            guard input.requiresGrad else { return .none }
            return input.gradNode.map { .node($0) } ?? .leaf(input)
        }
        self.backward = backward
    }

    // Releasing the last tensor of a long chain (a sampling loop run without
    // `withNoGrad` builds one node per operation per step) would free the
    // chain recursively, one stack frame group per node, and overflow the
    // stack. Past `maximumReleaseDepth` nested releases, a node hands its
    // edges to `deferred` instead, and the outermost release frees them in a
    // loop.
    private static let maximumReleaseDepth = 128
    /// How many `backward()` calls have ordered nodes (`orderedBy`).
    static var calls = 0
    private static var releaseDepth = 0
    private static var deferred: [(edges: [Edge], backward: Backward?)] = []

    deinit {
        if GradNode.releaseDepth >= GradNode.maximumReleaseDepth {
            GradNode.deferred.append((edges, backward))
            return
        }
        GradNode.releaseDepth += 1
        edges = []
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
    /// a gradient; returns the tensor. `backward` maps ∂L/∂self to the
    /// inputs' gradients and keeps alive only what it captures.
    @inline(__always)
    func recorded(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            requiresGrad = true
            gradNode = GradNode(name, inputs, backward)
        }
        return self
    }

    /// `recorded` for a derivative written with the output y (e^x, ReLU,
    /// softmax): the node keeps y's memory (not this tensor, which would be a
    /// cycle).
    @inline(__always)
    func recordedWithOutput(
        _ name: String, _ inputs: [Tensor], _ backward: @escaping (_ gradOutput: Tensor, _ output: Tensor) -> [Tensor?]
    ) -> Tensor {
        let output = Tensor(shape: shape, storage: storage.share())
        return recorded(name, inputs) { g in backward(g, output) }
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

        guard let root = gradNode else {
            var increment: Tensor? = seed
            accumulateGrad(&increment)  // a leaf: its own gradient
            return
        }
        // Reverse topological order of the nodes below self, by an iterative
        // depth-first search (deep graphs would overflow recursion); a node
        // is marked with this call's number once it is on the stack.
        GradNode.calls += 1
        let call = GradNode.calls
        var order: [GradNode] = []
        var stack: [(GradNode, Bool)] = [(root, false)]
        root.orderedBy = call
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            stack.append((node, true))
            for case .node(let input) in node.edges where input.orderedBy != call {
                input.orderedBy = call
                stack.append((input, false))
            }
        }

        // Gradients are computed outside any graph (no higher-order terms).
        GradMode.withNoGrad { Tensor.propagate(seed, from: root, through: order) }
    }

    /// Runs the nodes in reverse topological order, summing the gradients
    /// that reach each node (in the node) and adding those that reach a leaf
    /// to its `grad`.
    private static func propagate(_ seed: Tensor, from root: GradNode, through order: [GradNode]) {
        root.gradient = seed
        for node in order.reversed() {
            guard let gradOutput = node.gradient else { continue }
            node.gradient = nil
            guard let backward = node.takeBackward() else {
                fail(
                    "backward(): this graph was already differentiated and its saved values were freed (at "
                        + "\(node.name)); compute the loss again before calling backward() on it a second time.")
            }
            var inputGrads = backward(gradOutput)
            for (index, edge) in node.edges.enumerated() where inputGrads[index] != nil {
                switch edge {
                case .none: continue
                case .leaf(let tensor): tensor.accumulateGrad(&inputGrads[index])
                case .node(let input):
                    let inputGrad = inputGrads[index]!
                    input.gradient = input.gradient.map { $0 + inputGrad } ?? inputGrad
                }
            }
        }
    }

    /// Adds to `grad` in place, or makes it on first use: a fresh increment
    /// that nothing else holds (a product's result, typically) becomes the
    /// gradient itself; one that may be shared (the same tensor as another
    /// input's gradient, or a view) is copied.
    func accumulateGrad(_ increment: inout Tensor?) {
        // Checked before anything else holds a reference to the increment.
        if grad == nil, isKnownUniquelyReferenced(&increment), let incoming = increment,
            !incoming.storage.isShared, incoming.gradNode == nil
        {
            grad = incoming
            return
        }
        guard let incoming = increment else { return }
        if let grad = grad {
            let g = grad.storage.pointer
            ddpm_binary_same(ddpm_add, g, incoming.storage.pointer, g, count)
            grad.storage.homeShare = nil  // written here last
            gradIsKnownFinite = false
        } else {
            grad = incoming.copy()
        }
    }
}
