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
    override func setUp() { notebookStart() }  // installs the SIGINT handler, as the executor does
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

final class LossCurveTests: XCTestCase {
    func testTheCurveIsAFigureAndAHistoryShowsIt() throws {
        let losses: [Float] = (0..<500).map { (step: Int) -> Float in Float(1 / Double(step + 1)) + Float(step % 7) * 0.01 }
        let figure = lossCurve(losses)
        XCTAssertEqual(figure.pixelWidth, 480)
        let history = TrainingHistory(losses: losses, interrupted: false, seconds: 1)
        let png = try XCTUnwrap(history.mimeBundle.data["image/png"].flatMap { Data(base64Encoded: $0) })
        XCTAssertEqual(PNG.decode(Array(png))?.height, 192)
        XCTAssertTrue(history.mimeBundle.data["text/plain"]!.hasPrefix("TrainingHistory(500 steps in 1.0 s"))
        XCTAssertNotNil(lossCurve([]).png())  // before the first step
    }
}
