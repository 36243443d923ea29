import DDPM
import XCTest

/// A small training run of the seeds' recipe on the swiss roll (sigmoid
/// schedule over 100 steps, antithetic steps, MSE, clipping at 1, Adam),
/// judged by the sliced Wasserstein distance of its samples to fresh data.
final class TrainingTests: XCTestCase {
    func testTrainingOnTheSwissRollBringsSamplesCloseToTheData() {
        let generator = Generator(seed: 2024)
        let schedule = NoiseSchedule(.sigmoid, steps: 100, betaStart: 1e-5, betaEnd: 0.5e-2)
        let data = swissRoll(count: 10_000, generator: generator)
        let model = MLPDiffusion(steps: 100, width: 64, generator: generator)
        let optimizer = Adam(model.parameters(), lr: 3e-3)
        let loader = DataLoader(data, batchSize: 128, generator: generator)

        let history = train(epochs: 20, over: loader, progress: false) { batch in
            let loss = diffusionLoss(model, batch, schedule: schedule, generator: generator)
            optimizer.zeroGrad()
            loss.backward()
            clipGradNorm(model.parameters(), maxNorm: 1)
            optimizer.step()
            return loss
        }
        XCTAssertEqual(history.steps, 20 * 79)
        XCTAssertFalse(history.interrupted)
        XCTAssertLessThan(history.recentLoss(), history.losses.prefix(50).reduce(0, +) / 50)

        let fresh = swissRoll(count: 2000, generator: Generator(seed: 7))
        let samples = DDPMSampler(schedule: schedule).sample(model, count: 2000, generator: Generator(seed: 8)).samples
        let noise = randn(2000, 2, generator: Generator(seed: 9))
        let trained = slicedWasserstein(samples, fresh)
        let untrained = slicedWasserstein(noise, fresh)
        // How the threshold was set: this run (1,580 steps, width 64) measured 0.097–0.105 with
        // seeds 1, 2, 3 and 2024 (debug build, 2-core machine), noise 0.279; PyTorch's seed reaches
        // about 0.095 after 2,000 steps (DESIGN.md). 0.14, half the noise's distance, leaves a 30% margin.
        XCTAssertEqual(untrained, 0.28, accuracy: 0.02)
        XCTAssertLessThan(trained, 0.14, "sliced Wasserstein-1 to fresh data: samples \(trained), noise \(untrained)")
    }
}

/// The notebook's interrupt (SIGINT, which the runtime turns into a flag)
/// ends training and sampling cleanly, keeping what was done.
final class InterruptTests: XCTestCase {
    override func setUp() { Interrupt.installHandler() }  // as the executor does
    override func tearDown() { Interrupt.clear() }

    func testAnInterruptEndsTrainingAndKeepsTheLosses() {
        let history = train(steps: 100, progress: false) { step in
            if step == 9 { raise(SIGINT) }
            return Tensor(Float(step))
        }
        XCTAssertTrue(history.interrupted)
        XCTAssertEqual(history.losses, (0...9).map(Float.init))
    }

    func testAnInterruptEndsSamplingWithTheTrajectorySoFar() {
        final class RaisesAtStep: NoisePredictor {
            func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor {
                if t[0] == 95 { raise(SIGINT) }
                return Tensor(repeating: 0, shape: x.shape)
            }
        }
        let trajectory = DDPMSampler(schedule: NoiseSchedule(.linear, steps: 100)).sample(RaisesAtStep(), count: 4)
        XCTAssertTrue(trajectory.interrupted)
        XCTAssertEqual(trajectory.frames.count, 6)  // x_T and steps 99 … 95
        XCTAssertEqual(trajectory.steps.last!, 95)
    }
}

/// A loss that runs away stops the run with a sentence (issue 10: `Adam(lr:
/// 100)` used to run 300 steps to a loss of 2.4e18 without a word).
final class DivergenceTests: XCTestCase {
    func testALearningRateFarTooHighStopsTheRunAndKeepsAFiniteModel() {
        let generator = Generator(seed: 5)
        let schedule = NoiseSchedule(.sigmoid, steps: 100, betaStart: 1e-5, betaEnd: 0.5e-2)
        let data = swissRoll(count: 1_000, generator: generator)
        let model = MLPDiffusion(steps: 100, width: 32, generator: generator)
        let optimizer = Adam(model.parameters(), lr: 100)
        let history = train(steps: 300, progress: false) { _ in
            let loss = diffusionLoss(model, data, schedule: schedule, generator: generator)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            return loss
        }
        let step = try? XCTUnwrap(history.divergedAt)
        XCTAssertNotNil(step, "a loss that grows by orders of magnitude must stop the run")
        XCTAssertEqual(history.steps, step)
        XCTAssertLessThan(history.steps, 300)
        XCTAssertTrue(history.losses.allSatisfy(\.isFinite))
        XCTAssertTrue(model.parameters().allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
        XCTAssertTrue(history.description.contains("diverged at step"), history.description)
    }

    func testANaNLossStopsAtItsStep() {
        let history = train(steps: 20, progress: false) { step in Tensor(step == 7 ? Float.nan : 1) }
        XCTAssertEqual(history.divergedAt, 7)
        XCTAssertEqual(history.losses, [Float](repeating: 1, count: 7))
    }

    func testTheSentenceNamesTheStepAndTheFixes() {
        let start: [Float] = [0.98, 0.5, 0.4]
        XCTAssertNil(Divergence(step: 3, loss: 900, earlier: start), "up to 1,000 times the first loss is allowed")
        XCTAssertNil(Divergence(step: 0, loss: 5_000, earlier: []), "the first loss is the start")
        let grew = Divergence(step: 57, loss: 2.4e5, earlier: start)!
        XCTAssertEqual(
            grew.description,
            "Training stopped at step 57: the loss grew to 2.4e+05, more than 1000 times its start (it started at "
                + "0.98); the history keeps the 57 steps before it. The usual fixes: a lower learning rate (Adam's default "
                + "is lr: 1e-3), or clipping gradients with clipGradNorm(model.parameters(), maxNorm: 1) between "
                + "backward() and step().")
        XCTAssertTrue(
            Divergence(step: 0, loss: .infinity, earlier: [])!.description
                .hasPrefix("Training stopped at step 0: the loss became infinite;"))
    }

    func testOptimisersSkipAnUpdateWithNonFiniteGradients() {
        let weight = Tensor([1, 2]).requiringGrad()
        for optimizer in [Adam([weight], lr: 0.1), SGD([weight], lr: 0.1)] as [any Optimizer] {
            (weight * Tensor([Float.nan, 1])).sum().backward()
            optimizer.step()
            XCTAssertEqual(weight.scalars, [1, 2])
            XCTAssertEqual(optimizer.skippedSteps, 1)
            optimizer.zeroGrad()
        }
    }
}

final class LossCurveTests: XCTestCase {
    func testTheCurveIsAFigureAndAHistoryShowsIt() throws {
        let losses: [Float] = (0..<500).map { (step: Int) -> Float in
            Float(1 / Double(step + 1)) + Float(step % 7) * 0.01
        }
        let figure = lossCurve(losses)
        XCTAssertEqual(figure.pixelWidth, 480)
        let history = TrainingHistory(losses: losses, interrupted: false, seconds: 1)
        let png = try XCTUnwrap(history.mimeBundle.string("image/png").flatMap { Data(base64Encoded: $0) })
        XCTAssertEqual(PNG.decode(Array(png))?.height, 192)
        XCTAssertTrue(history.mimeBundle.string("text/plain")!.hasPrefix("TrainingHistory(500 steps in 1.0 s"))
        XCTAssertEqual(PNG.decode(lossCurve([]).png())?.width, 480)  // before the first step
    }
}
