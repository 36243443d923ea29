import Foundation

extension Tensor {
    /// The mean cross-entropy of class scores (`logits`, `[N, K]`) against
    /// the true classes (`targets`, N of them in 0..<K), as PyTorch's
    /// `F.cross_entropy(logits, targets)`:
    ///
    ///     L = 1/N Σ_n (log Σ_k e^{z_nk} − z_{n,y_n}),   ∂L/∂z_nk = (softmax(z_n)_k − [k = y_n]) / N.
    public func crossEntropy(_ targets: [Int]) -> Tensor {
        guard rank == 2, shape[0] == targets.count, shape[0] >= 1 else {
            fail(
                "crossEntropy: expected logits [N, K] and N targets, got logits \(shape) and \(targets.count) targets; "
                    + "flatten images first, e.g. model(x).reshape([n, -1]).")
        }
        let (n, k) = (shape[0], shape[1])
        if let bad = targets.first(where: { $0 < 0 || $0 >= k }) {
            fail("crossEntropy: target \(bad) is not a class of 0..<\(k); labels must count from 0.")
        }
        let z = storage.pointer
        var probabilities = [Float](repeating: 0, count: n * k)
        var total = 0.0
        for row in 0..<n {
            let base = row * k
            var largest = -Float.infinity
            for j in 0..<k { largest = Swift.max(largest, z[base + j]) }
            var sum: Float = 0
            for j in 0..<k {
                let e = expf(z[base + j] - largest)
                probabilities[base + j] = e
                sum += e
            }
            for j in 0..<k { probabilities[base + j] /= sum }
            total += Double(logf(sum) + largest - z[base + targets[row]])
        }
        let loss = Tensor([Float(total / Double(n))], shape: [])
        return loss.recorded("CrossEntropy", [self]) { g in
            let scale = g.item() / Float(n)
            var gradient = probabilities
            for row in 0..<n { gradient[row * k + targets[row]] -= 1 }
            for i in gradient.indices { gradient[i] *= scale }
            return [Tensor(gradient, shape: [n, k])]
        }
    }
}
