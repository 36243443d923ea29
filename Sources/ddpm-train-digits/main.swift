// Trains tutorial 08's model, seed 001's class-conditional UNet, on the
// rendered digits and writes the checkpoint the notebook loads
// (notebooks/digits-unet.safetensors); exports the same digits as PNG files
// for the PyTorch run; scores checkpoints with the tutorials' classifier.
// scripts/train-digits.sh runs all three and prints both sides in one table.
//
//     ddpm-train-digits train [--steps N] [--out PATH]
//     ddpm-train-digits export DIR
//     ddpm-train-digits evaluate NAME=PATH …
import DDPM
import Foundation

/// The recipe, shared by both sides (bench/train_digits_torch.py repeats it).
enum Recipe {
    static let dataSeed: UInt64 = 1
    static let images = 20_000
    static let size = 16
    static let batch = 64
    static let learningRate: Float = 5e-4
    static let trainingSeed: UInt64 = 0
    static var schedule: NoiseSchedule { NoiseSchedule(.cosine, steps: 1000) }

    /// Notebook 08's model (seed 001's UNet, small enough for a laptop).
    static func model() -> UNet {
        UNet(
            imageChannels: 1, baseChannels: 32, channelMults: [1, 2, 2], resBlocks: 1, timeEmbeddingDim: 128,
            dropout: 0.1, attentionResolutions: [1], groups: 8, classes: 10, generator: Generator(seed: trainingSeed))
    }
}

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}

func trainModel() throws {
    let steps = Int(option("--steps", "4000"))!
    let out = option("--out", "notebooks/digits-unet.safetensors")
    let digits = renderedDigits(count: Recipe.images, size: Recipe.size, seed: Recipe.dataSeed)
    let model = Recipe.model()
    let optimizer = Adam(model.parameters(), lr: Recipe.learningRate)
    let generator = Generator(seed: Recipe.trainingSeed)
    let loader = DataLoader(digits.images, labels: digits.labels, batchSize: Recipe.batch, generator: generator)
    let schedule = Recipe.schedule
    let start = Date()
    var recent: [Float] = []
    var done = 0
    train(steps: steps, over: loader, progress: false) { x, y in
        let loss = diffusionLoss(model, x, labels: y, schedule: schedule, antithetic: false, generator: generator)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        recent.append(loss.item())
        done += 1
        if done % 250 == 0 {
            let mean = recent.reduce(0, +) / Float(recent.count)
            recent.removeAll()
            print(String(format: "step %d  loss %.4f  %.0f s", done, mean, Date().timeIntervalSince(start)))
            fflush(stdout)  // a log read while the run goes on
        }
        return loss
    }
    let seconds = Date().timeIntervalSince(start)
    try model.save(
        to: out,
        metadata: [
            "script": "scripts/train-digits.sh (Sources/ddpm-train-digits)", "steps": "\(steps)",
            "batch": "\(Recipe.batch)", "seed": "\(Recipe.trainingSeed)",
            "data": "renderedDigits(count: \(Recipe.images), size: \(Recipe.size), seed: \(Recipe.dataSeed))",
            "schedule": "cosine, T = 1000", "optimizer": "Adam lr \(Recipe.learningRate)",
            "seconds": String(format: "%.0f", seconds),
        ])
    print(String(format: "training time: %.1f s for %d steps", seconds, steps))
}

/// The training digits as 0.png … N−1.png (grayscale) and labels.csv.
func export(_ directory: String) throws {
    let digits = renderedDigits(count: Recipe.images, size: Recipe.size, seed: Recipe.dataSeed)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let pixels = digits.images.scalars
    let side = Recipe.size
    for i in 0..<Recipe.images {
        var gray = [UInt8](repeating: 0, count: side * side)
        for p in 0..<(side * side) {
            gray[p] = UInt8(max(0, min(255, ((pixels[i * side * side + p] + 1) / 2 * 255).rounded())))
        }
        try Data(PNG.encode(gray: gray, width: side, height: side)).write(
            to: URL(fileURLWithPath: "\(directory)/\(i).png"))
    }
    let csv =
        "file,label\n" + digits.labels.enumerated().map { "\($0.offset).png,\($0.element)" }.joined(separator: "\n")
    try csv.write(toFile: "\(directory)/labels.csv", atomically: true, encoding: .utf8)
}

/// Each checkpoint's samples (DDIM, 100 steps, x̂_0 clipped; 50 of each
/// class from the same noise) scored by the tutorials' classifier.
func evaluate(_ pairs: [String]) throws {
    let data = renderedDigits(count: 10_000, size: Recipe.size, seed: 7)
    let test = renderedDigits(count: 1_000, size: Recipe.size, seed: 8)
    let classifier = ImageClassifier(imageChannels: 1, classes: 10, generator: Generator(seed: 0))
    classifier.fit(data.images, labels: data.labels, epochs: 4, progress: false, generator: Generator(seed: 0))
    print(
        String(
            format: "classifier accuracy on held-out digits: %.1f%%",
            100 * classifier.accuracy(test.images, labels: test.labels)))
    print("classifier on held-out digits: \(classifier.quality(of: test.images, labels: test.labels))")
    let labels = (0..<500).map { $0 % 10 }
    let sampler = DDIMSampler(schedule: Recipe.schedule, steps: 100, clipSample: true)
    for pair in pairs {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        let model = Recipe.model()
        try model.load(from: parts[1])
        let samples = sampler.sample(
            model, shape: [500, 1, Recipe.size, Recipe.size], labels: labels, keepEvery: Int.max,
            generator: Generator(seed: 42)
        ).samples
        print("\(parts[0]): \(classifier.quality(of: samples, labels: labels))")
        try Data(imageGrid(samples[0..<100], columns: 10, panelSize: 0.6, low: -1, high: 1).png()).write(
            to: URL(fileURLWithPath: "out/digits-\(parts[0]).png"))
    }
}

switch CommandLine.arguments.dropFirst().first {
case "train": try trainModel()
case "export": try export(CommandLine.arguments[2])
case "evaluate": try evaluate(Array(CommandLine.arguments.dropFirst(2)))
default:
    print("usage: ddpm-train-digits train [--steps N] [--out PATH] | export DIR | evaluate NAME=PATH …")
    exit(2)
}
