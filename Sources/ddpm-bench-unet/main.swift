// The image networks' training and sampling steps, batch 64: seed 001's small
// UNet at 16×16×1 and 32×32×3, and seed 003's SimpleUnet at 32×32×3. Not a
// test: scripts/bench-unet.sh runs it beside bench/reference_unet.py (the
// seeds' PyTorch classes doing the same work) and prints the ratios.
//
//     swift run -c release ddpm-bench-unet [--train N] [--sample N]
import DDPM

import Foundation

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else {
        return fallback
    }
    return v
}

let trainSteps = option("--train", 5)
let sampleSteps = option("--sample", 10)
let batch = 64
let schedule = NoiseSchedule(.linear, steps: 1000)

/// Median seconds per call of `body` over `count` calls, after one warm-up call.
func median(_ count: Int, _ body: () -> Void) -> Double {
    body()
    let times = (0..<count).map { _ in seconds(body) }.sorted()
    return times[times.count / 2]
}

/// `--model NAME` runs only the rows whose name starts with NAME.
let only = CommandLine.arguments.firstIndex(of: "--model").map { CommandLine.arguments[$0 + 1] }

func run(_ name: String, _ model: @autoclosure () -> NoisePredictor, channels: Int, size: Int) {
    if let only = only, !name.hasPrefix(only) { return }
    let model = model()
    manualSeed(0)
    let x0 = rand(shape: [batch, channels, size, size], low: -1, high: 1)
    let optimizer = Adam(model.parameters(), lr: 1e-4)
    model.train()
    // noise, forward, MSE, backward, Adam: diffusionLoss draws t and ε.
    let train = median(trainSteps) {
        let loss = diffusionLoss(model, x0, schedule: schedule, antithetic: false)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
    }
    let sampler = DDPMSampler(schedule: schedule)
    var x = randn(shape: [batch, channels, size, size])
    var t = 999
    let sample = median(sampleSteps) {
        x = sampler.step(model, x, t: t)  // evaluation mode, no grad
        t -= 1
    }
    print(String(format: "%@ train: %.4f s/step", name, train))
    print(String(format: "%@ sample: %.4f s/step", name, sample))
}

if CommandLine.arguments.contains("--conv") {
    for (b, c, o, h) in [(64, 64, 64, 16), (64, 32, 32, 16), (64, 128, 64, 8), (64, 64, 64, 32)] {
        let x = randn(b, c, h, h).requiringGrad()
        let w = randn(o, c, 3, 3).requiringGrad()
        let flops = 2.0 * Double(b * o * c * 9 * h * h)
        let forward = median(10) { _ = withNoGrad { conv2d(x, weight: w, bias: nil, padding: 1) } }
        let g = randn(b, o, h, h)
        let both = median(10) { conv2d(x, weight: w, bias: nil, padding: 1).backward(g) }
        print(
            String(
                format: "conv b%d c%d o%d %dx%d: fwd %.2f ms %.0f GFLOP/s; fwd+bwd %.2f ms %.0f GFLOP/s", b, c, o, h, h,
                forward * 1e3, flops / forward / 1e9, both * 1e3, 3 * flops / both / 1e9))
    }
    exit(0)
}
run(
    "unet 16x16x1",
    UNet(
        imageChannels: 1, baseChannels: 32, channelMults: [1, 2, 2], resBlocks: 1, timeEmbeddingDim: 128,
        attentionResolutions: [2], groups: 8), channels: 1, size: 16)
run(
    "unet 32x32x3",
    UNet(
        imageChannels: 3, baseChannels: 32, channelMults: [1, 2, 2], resBlocks: 1, timeEmbeddingDim: 128,
        attentionResolutions: [2], groups: 8), channels: 3, size: 32)
run("simple_unet 32x32x3", SimpleUnet(imageChannels: 3, downChannels: [32, 64, 128]), channels: 3, size: 32)

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(String(format: "peak memory: %.1f MB resident", Double(usage.ru_maxrss) / 1024))
