import DDPM
import XCTest

/// Monte Carlo checks of the forward process against its closed forms
/// (Ho et al. 2020, eqs. 2, 4 and 7), with seeded draws; tolerances are
/// several standard errors of the estimates.
final class ForwardProcessTests: XCTestCase {
    let schedule = NoiseSchedule(.linear, steps: 100, betaStart: 1e-4, betaEnd: 0.02)

    func testQSampleHasMeanSqrtAlphaBarX0AndVarianceOneMinusAlphaBar() {
        let n = 200_000
        let x0 = Tensor(repeating: 0.7, shape: [n, 1])
        for t in [0, 30, 99] {
            let (xt, noise) = schedule.qSample(x0, t: t, generator: Generator(seed: UInt64(t)))
            let values = xt.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(n)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            let s = schedule[t]
            XCTAssertEqual(mean, s.sqrtAlphaBar * 0.7, accuracy: 4 * s.sqrtOneMinusAlphaBar / Double(n).squareRoot())
            XCTAssertEqual(variance, 1 - s.alphaBar, accuracy: 4 * (1 - s.alphaBar) * (2 / Double(n)).squareRoot())
            // The returned noise is the ε that was used.
            XCTAssertEqual(
                xt.scalars[0], Float(s.sqrtAlphaBar) * 0.7 + Float(s.sqrtOneMinusAlphaBar) * noise.scalars[0],
                accuracy: 1e-6)
        }
    }

    func testOneStepPerRow() {
        let x0 = Tensor([[1, 1], [1, 1]])
        let noise = Tensor([[0, 0], [1, 1]])
        let (xt, _) = schedule.qSample(x0, t: [0, 99], noise: noise)
        XCTAssertEqual(Double(xt.scalar(at: 0, 1)), schedule[0].sqrtAlphaBar, accuracy: 1e-6)
        XCTAssertEqual(
            Double(xt.scalar(at: 1, 0)), schedule[99].sqrtAlphaBar + schedule[99].sqrtOneMinusAlphaBar,
            accuracy: 1e-6)
    }

    /// With x_0 requiring a gradient, the per-row form records the graph
    /// (∂x_t/∂x_0 = √ᾱ_t on each row) and gives the values of the one-pass
    /// form used without one.
    func testOneStepPerRowRecordsAGraphWhenAsked() {
        let x0 = Tensor([[1, 2], [3, 4]]).requiringGrad()
        let noise = Tensor([[0.5, -0.5], [1, 1]])
        let (xt, _) = schedule.qSample(x0, t: [10, 90], noise: noise)
        let (plain, _) = schedule.qSample(x0.detach(), t: [10, 90], noise: noise)
        XCTAssertEqual(xt.scalars, plain.scalars)
        xt.sum().backward()
        let (a10, a90) = (Float(schedule[10].sqrtAlphaBar), Float(schedule[90].sqrtAlphaBar))
        XCTAssertEqual(x0.grad?.scalars, [a10, a10, a90, a90])
    }

    /// Seed 001's posterior: sample the chain x_0 → x_{t−1} → x_t many times
    /// (x_0 fixed) and regress x_{t−1} on x_t. The regression line is the
    /// posterior mean μ̃_t = coef1·x_0 + coef2·x_t and the residual variance
    /// is β̃_t (eq. 7).
    func testPosteriorMeanAndVarianceMatchSamplingFromTheJoint() {
        let n = 200_000
        let x0 = 1.3
        for t in [1, 20, 80] {
            let generator = Generator(seed: 100 + UInt64(t))
            let (previous, _) = schedule.qSample(
                Tensor(repeating: Float(x0), shape: [n]), t: t - 1, generator: generator)
            let s = schedule[t]
            let current =
                previous * Float(s.alpha.squareRoot()) + randn(n, generator: generator) * Float(s.beta.squareRoot())
            let x = current.scalars.map(Double.init), y = previous.scalars.map(Double.init)
            let mx = x.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
            let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
            let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
            let slope = sxy / sxx
            let intercept = my - slope * mx
            let residual =
                zip(x, y).map {
                    let r = $1 - intercept - slope * $0; return r * r
                }.reduce(0, +) / Double(n - 2)
            XCTAssertEqual(slope, s.posteriorMeanCoef2, accuracy: 0.01, "t = \(t)")
            XCTAssertEqual(intercept, s.posteriorMeanCoef1 * x0, accuracy: 0.01, "t = \(t)")
            XCTAssertEqual(residual, s.posteriorVariance, accuracy: 0.02 * s.posteriorVariance, "t = \(t)")
        }
    }

    func testTheForwardChainHasTheMarginalsOfQ() {
        let n = 100_000
        let frames = schedule.forwardTrajectory(
            Tensor(repeating: 2, shape: [n]), steps: [0, 49, 99], generator: Generator(seed: 7))
        XCTAssertEqual(frames.count, 3)
        for (frame, t) in zip(frames, [0, 49, 99]) {
            let values = frame.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(n)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            XCTAssertEqual(mean, 2 * schedule[t].sqrtAlphaBar, accuracy: 0.01)
            XCTAssertEqual(variance, 1 - schedule[t].alphaBar, accuracy: 0.02 * (1 - schedule[t].alphaBar) + 1e-4)
        }
    }
}
