import TensorCore

/// The forward (noising) process of DDPM (Ho et al. 2020, §2).
extension NoiseSchedule {
    /// A sample of q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (eq. 4), by
    /// reparameterisation: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε with ε ~ N(0, I).
    /// Returns x_t and the ε used (the target of ε-prediction). Pass `noise`
    /// to choose ε yourself.
    public func qSample(
        _ x0: Tensor, t: Int, noise: Tensor? = nil,
        generator: Generator = .default
    ) -> (xt: Tensor, noise: Tensor) {
        let step = self[t]
        let epsilon = noise ?? randn(like: x0, generator: generator)
        checkNoise(epsilon, x0)
        return (x0 * Float(step.sqrtAlphaBar) + epsilon * Float(step.sqrtOneMinusAlphaBar), epsilon)
    }

    /// q(x_t | x_0) with one step per row: row i of `x0` (shape `[B, …]`) is
    /// noised to step `t[i]`.
    public func qSample(
        _ x0: Tensor, t: [Int], noise: Tensor? = nil,
        generator: Generator = .default
    ) -> (xt: Tensor, noise: Tensor) {
        guard x0.shape.first == t.count else {
            fail(
                "qSample: x0 has \(x0.shape.first ?? 0) rows (shape \(x0.shape)) but \(t.count) steps were given; "
                    + "give one step per row, or one step for all rows with qSample(x0, t: step).")
        }
        let epsilon = noise ?? randn(like: x0, generator: generator)
        checkNoise(epsilon, x0)
        if GradMode.isEnabled && (x0.requiresGrad || epsilon.requiresGrad) {
            let column = [t.count] + Array(repeating: 1, count: x0.shape.count - 1)  // [B, 1, …] broadcasts over a row
            let a = Tensor(t.map { Float(self[$0].sqrtAlphaBar) }, shape: column)
            let b = Tensor(t.map { Float(self[$0].sqrtOneMinusAlphaBar) }, shape: column)
            return (x0 * a + epsilon * b, epsilon)
        }
        // Nothing to differentiate (a training batch): one pass, row by row,
        // instead of two scale columns and four broadcast results.
        let xt = zeros(shape: x0.shape)
        let rowLength = t.isEmpty ? 0 : x0.count / t.count
        let (x, e, out) = (x0.storage.pointer, epsilon.storage.pointer, xt.storage.pointer)
        for (row, step) in t.enumerated() {
            let a = Float(self[step].sqrtAlphaBar), b = Float(self[step].sqrtOneMinusAlphaBar)
            for i in row * rowLength..<(row + 1) * rowLength { out[i] = x[i] * a + e[i] * b }
        }
        return (xt, epsilon)
    }

    /// One path of the forward Markov chain, x_t = √α_t x_{t−1} + √β_t ε
    /// (eq. 2), from `x0` through the last requested step, recorded at
    /// `steps` (in increasing order; each x_t is distributed as q(x_t | x_0)).
    /// Unlike separate `qSample` calls, consecutive frames share their noise,
    /// so an animation of them moves smoothly.
    public func forwardTrajectory(_ x0: Tensor, steps recorded: [Int], generator: Generator = .default) -> [Tensor] {
        guard let last = recorded.max() else { return [] }
        guard zip(recorded, recorded.dropFirst()).allSatisfy({ $0 < $1 }), recorded[0] >= 0 else {
            fail("forwardTrajectory: steps must increase and start at 0 or later, got \(recorded).")
        }
        _ = self[last]  // in range
        var frames: [Tensor] = []
        var x = x0
        var next = 0
        for t in 0...last {
            let step = self[t]
            x =
                x * Float(step.alpha.squareRoot()) + randn(like: x, generator: generator)
                * Float(step.beta.squareRoot())
            if recorded[next] == t {
                frames.append(x)
                next += 1
            }
        }
        return frames
    }

    private func checkNoise(_ noise: Tensor, _ x0: Tensor) {
        guard noise.shape == x0.shape else {
            fail(
                "qSample: the noise has shape \(noise.shape) but x0 has shape \(x0.shape); "
                    + "pass noise of x0's shape, e.g. randn(like: x0).")
        }
    }
}
