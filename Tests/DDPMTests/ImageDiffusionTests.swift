import DDPM
import XCTest

/// Diffusion on image tensors `[B, C, H, W]`: the samplers with labels,
/// kept frames and x̂_0 clipping, batches with labels, a short training run of
/// a small UNet on the rendered digits, and the classifier that judges samples.
final class ImageDiffusionTests: XCTestCase {
    /// ε_θ ≡ c, recording the labels it was given.
    final class ConstantNoise: NoisePredictor {
        let value: Float
        var seenLabels: [[Int]?] = []
        init(_ value: Float) { self.value = value }
        var classes: Int? { 10 }
        func callAsFunction(_ x: Tensor, _ t: [Int]) -> Tensor { self(x, t, labels: nil) }
        func callAsFunction(_ x: Tensor, _ t: [Int], labels: [Int]?) -> Tensor {
            seenLabels.append(labels)
            return Tensor(repeating: value, shape: x.shape)
        }
    }

    let schedule = NoiseSchedule(.linear, steps: 50, betaStart: 1e-4, betaEnd: 0.05)

    func testSamplersRunOnImagesWithLabelsAndKeepEveryKthFrame() {
        let model = ConstantNoise(0)
        let path = DDPMSampler(schedule: schedule).sample(
            model, shape: [3, 1, 8, 8], labels: [4, 5, 6], keepEvery: 10, generator: Generator(seed: 1))
        XCTAssertEqual(path.frames.count, 6)  // x_T and after steps 40, 30, 20, 10, 0
        XCTAssertEqual(path.steps, [nil, 40, 30, 20, 10, 0])
        XCTAssertEqual(path.samples.shape, [3, 1, 8, 8])
        XCTAssertEqual(path.labels, [4, 5, 6])
        XCTAssertEqual(model.seenLabels.count, 50)
        XCTAssertTrue(model.seenLabels.allSatisfy { $0 == [4, 5, 6] })
        // Every frame kept when asked, and the same samples from the same seed either way.
        let all = DDPMSampler(schedule: schedule).sample(
            model, shape: [3, 1, 8, 8], labels: [4, 5, 6], keepEvery: 1, generator: Generator(seed: 1))
        XCTAssertEqual(all.frames.count, 51)
        XCTAssertEqual(all.samples.scalars, path.samples.scalars)
        XCTAssertEqual(all.frames[20].scalars, path.frames[2].scalars)  // after step 30

        let ddim = DDIMSampler(schedule: schedule, steps: 10).sample(model, shape: [2, 3, 4, 4], keepEvery: 3)
        XCTAssertEqual(ddim.steps, [nil, 39, 24, 9, 4])  // τ = 49, 44, …, 4: every third, and the last
    }

    /// Without `keepEvery`, a path that would take more than 256 MB keeps about 100 frames.
    func testALongPathOfLargeImagesKeepsAboutAHundredFrames() {
        let long = NoiseSchedule(.linear, steps: 1000)
        // 1.97 MB a frame: all 151 would take 297 MB; every 2nd step is kept.
        let path = DDIMSampler(schedule: long, steps: 150).sample(ConstantNoise(0), shape: [10, 3, 128, 128])
        XCTAssertEqual(path.frames.count, 76)
        XCTAssertEqual(path.steps.last!, 6)  // τ's last step: round(1000 − 149 · 1000/150) − 1
        // 1.57 MB a frame, 237 MB in all: every frame.
        XCTAssertEqual(
            DDIMSampler(schedule: long, steps: 150).sample(ConstantNoise(0), shape: [8, 3, 128, 128]).frames.count,
            151)
    }

    /// With clipping, a DDPM step is the posterior mean of x̂_0 clamped to
    /// [−1, 1] (Ho et al. 2020, eq. 7 and 15); without, eq. 11. They agree
    /// when x̂_0 is inside [−1, 1].
    func testClipSampleGoesThroughTheClampedPredictionOfX0() {
        let s = schedule[30]
        let xt = Tensor([[0.9, -0.2, 2.5]])
        let epsilon: Float = 0.1
        let step = DDPMSampler(schedule: schedule, clipSample: true).step(ConstantNoise(epsilon), xt, t: 30)
        let plain = DDPMSampler(schedule: schedule).step(
            ConstantNoise(epsilon), xt, t: 30, generator: Generator(seed: 5))
        let again = DDPMSampler(schedule: schedule, clipSample: true).step(
            ConstantNoise(epsilon), xt, t: 30, generator: Generator(seed: 5))
        let z = randn(1, 3, generator: Generator(seed: 5)).scalars
        for (i, x) in [0.9, -0.2, 2.5].enumerated() {
            let x0 = (x - s.sqrtOneMinusAlphaBar * Double(epsilon)) / s.sqrtAlphaBar
            let clamped = min(1, max(-1, x0))
            let mean = s.posteriorMeanCoef1 * clamped + s.posteriorMeanCoef2 * x
            XCTAssertEqual(Double(again.scalars[i]), mean + s.beta.squareRoot() * Double(z[i]), accuracy: 1e-5)
            if abs(x0) <= 1 { XCTAssertEqual(again.scalars[i], plain.scalars[i], accuracy: 1e-5) }
        }
        XCTAssertEqual(step.shape, [1, 3])
    }

    func testADataLoaderOverImagesKeepsEachLabelWithItsImage() {
        let digits = renderedDigits(count: 50, size: 8, seed: 3)
        var seen = 0
        for (x, y) in DataLoader(digits.images, labels: digits.labels, batchSize: 16, generator: Generator(seed: 1)) {
            XCTAssertEqual(x.shape[0], y.count)
            for (row, label) in y.enumerated() {
                // Find the row in the data set: its label must be the one the loader paired with it.
                let match = (0..<50).first { digits.images[$0].scalars == x[row].scalars }!
                XCTAssertEqual(digits.labels[match], label)
            }
            seen += y.count
        }
        XCTAssertEqual(seen, 50)
    }

    /// F.cross_entropy in closed form: log Σ e^z − z_y, and softmax − one-hot over N.
    func testCrossEntropyIsLogSumExpMinusTheTargetScore() {
        let logits = Tensor([[1, 2, 3], [0.5, -1, 0]]).requiringGrad()
        let loss = logits.crossEntropy([2, 0])
        let first = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3
        let second = log(exp(0.5) + exp(-1.0) + exp(0.0)) - 0.5
        XCTAssertEqual(Double(loss.item()), (first + second) / 2, accuracy: 1e-6)
        loss.backward()
        let rows: [[Double]] = [[1, 2, 3], [0.5, -1, 0]]
        for (n, (row, target)) in zip(rows, [2, 0]).enumerated() {
            let total = row.map(exp).reduce(0, +)
            for k in 0..<3 {
                let expected = (exp(row[k]) / total - (k == target ? 1 : 0)) / 2
                XCTAssertEqual(Double(logits.grad!.scalars[n * 3 + k]), expected, accuracy: 1e-6)
            }
        }
    }

    /// A few dozen steps of a small class-conditional UNet on 8×8 digits
    /// lower the loss (from about 1, the variance of ε, when it predicts 0).
    func testAShortImageTrainingRunLowersTheLoss() {
        let generator = Generator(seed: 11)
        let digits = renderedDigits(count: 256, size: 8, seed: 4)
        let model = UNet(
            imageChannels: 1, baseChannels: 16, channelMults: [1, 2], resBlocks: 1, timeEmbeddingDim: 32,
            dropout: 0, attentionResolutions: [], groups: 4, classes: 10, generator: generator)
        let optimizer = Adam(model.parameters(), lr: 2e-3)
        let loader = DataLoader(digits.images, labels: digits.labels, batchSize: 32, generator: generator)
        let history = train(epochs: 4, over: loader, progress: false) { x, y in
            let loss = diffusionLoss(model, x, labels: y, schedule: schedule, generator: generator)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            return loss
        }
        XCTAssertEqual(history.steps, 32)
        let first = history.losses.prefix(8).reduce(0, +) / 8, last = history.losses.suffix(8).reduce(0, +) / 8
        XCTAssertLessThan(last, 0.6 * first, "loss \(first) → \(last)")
        let samples = DDIMSampler(schedule: schedule, steps: 5, clipSample: true).sample(
            model, shape: [10, 1, 8, 8], labels: Array(0..<10))
        XCTAssertEqual(samples.samples.shape, [10, 1, 8, 8])
        XCTAssertLessThanOrEqual(samples.samples.scalars.map(abs).max()!, 1.5)
    }

    /// The judge reads real digits and rejects noise; the numbers it reports
    /// are the shares and the normalised entropy of the counts.
    func testTheClassifierReadsDigitsAndRejectsNoise() {
        let train = renderedDigits(count: 5_000, size: 16, seed: 5)
        let test = renderedDigits(count: 300, size: 16, seed: 6)
        let judge = ImageClassifier(imageChannels: 1, classes: 10, generator: Generator(seed: 0))
        judge.fit(train.images, labels: train.labels, epochs: 4, progress: false, generator: Generator(seed: 1))
        // Threads sum in varying order, so runs differ slightly; the bounds leave room (0.80–0.95 seen).
        XCTAssertGreaterThan(judge.accuracy(test.images, labels: test.labels), 0.75)
        let real = judge.quality(of: test.images, labels: test.labels)
        XCTAssertGreaterThan(real.coverage, 0.95)
        let noise = judge.quality(
            of: randn(shape: [100, 1, 16, 16], generator: Generator(seed: 2)).clamp(min: -1, max: 1))
        XCTAssertLessThan(noise.confidentShare, 0.05)
        XCTAssertGreaterThan(noise.rejected, 90)
        // Confidence grows with training (about 80% after 4 epochs of 10,000, notebook 08); here a fraction of that.
        XCTAssertGreaterThan(real.confidentShare, 0.15)
    }

    func testSampleQualityCountsSharesAndCoverage() {
        // Three classes and "none": two confident 0s, one unsure 1, one rejected.
        let quality = SampleQuality(
            probabilities: [[0.95, 0.05, 0, 0], [0.92, 0, 0.08, 0], [0.3, 0.6, 0.1, 0], [0.1, 0, 0, 0.9]],
            requested: [0, 1, 1, 2])
        XCTAssertEqual(quality.confidentShare, 0.5)
        XCTAssertEqual(quality.counts, [2, 1, 0])
        XCTAssertEqual(quality.rejected, 1)
        let p = [2.0 / 3, 1.0 / 3]
        XCTAssertEqual(quality.coverage, -p.map { $0 * log($0) }.reduce(0, +) / log(3), accuracy: 1e-12)
        XCTAssertEqual(quality.classAccuracy, 0.5)
    }
}
