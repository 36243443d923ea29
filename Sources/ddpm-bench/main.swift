// Benchmarks of the hot paths of every tutorial. Not a test: run it with
//
//     swift run -c release ddpm-bench [--steps N] [--only matmul|training|sampling|figure|gif]
//
// and compare with the PyTorch and matplotlib references (scripts/bench.sh
// runs all three side by side). `--only` runs one part, for a profiler.
import COpenBLAS
import DDPM
import Foundation

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The best of `repeats` timings of `body`, in seconds.
func best(of repeats: Int, _ body: () -> Void) -> Double {
    (0..<repeats).map { _ in seconds(body) }.min()!
}

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else {
        return fallback
    }
    return v
}
let only = arguments.firstIndex(of: "--only").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
/// Whether the part `name` runs (all of them without `--only`).
func runs(_ name: String) -> Bool { only == nil || only == name }

// MARK: 512³ matmul, tensor API against raw OpenBLAS

if runs("matmul") { benchmarkMatmul() }
func benchmarkMatmul() {
    let n = 512
    let a = randn(n, n)
    let b = randn(n, n)
    let flops = 2.0 * Double(n * n * n)
    _ = a.matmul(b)
    let rawOut = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
    // Raw OpenBLAS on its own threads (the tensor API keeps it on one thread and
    // splits large products over OpenMP's), then back to one thread.
    openblas_set_num_threads(2)
    let raw = best(of: 20) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
            a.storage.pointer, Int32(n), b.storage.pointer, Int32(n), 0, rawOut, Int32(n))
    }
    openblas_set_num_threads(1)
    let api = best(of: 20) { _ = a.matmul(b) }
    print(
        String(
            format: "matmul 512x512x512: tensor API %.1f GFLOP/s, raw cblas_sgemm %.1f GFLOP/s (%.0f%% of raw)",
            flops / api / 1e9, flops / raw / 1e9, 100 * raw / api))
}

// MARK: the seeds' MLP training step

// Seed 000's sigmoid schedule over 100 steps, for q(x_t | x_0).
let steps = 100
let schedule = NoiseSchedule(.sigmoid, steps: steps, betaStart: 1e-5, betaEnd: 0.5e-2)

manualSeed(0)
let data = swissRoll(count: 10_000)
let model = MLPDiffusion(steps: steps, width: 128)
let optimizer = Adam(model.parameters(), lr: 1e-3)
let loader = DataLoader(data, batchSize: 128, dropLast: true)
var batches = loader.makeIterator()

/// One step of the seeds' loop, written with the DSL as a notebook cell would.
func trainStep() -> Float {
    guard let x0 = batches.next() else {
        batches = loader.makeIterator()
        return trainStep()
    }
    let loss = diffusionLoss(model, x0, schedule: schedule)  // antithetic t, MSE
    optimizer.zeroGrad()
    loss.backward()
    clipGradNorm(optimizer.parameters, maxNorm: 1)
    optimizer.step()
    return loss.item()
}

if runs("training") || runs("sampling") {
    for _ in 0..<50 { _ = trainStep() }  // warm up
}
if runs("training") { benchmarkTraining() }
func benchmarkTraining() {
    let trainSteps = option("--steps", 2000)
    var losses = [Float](repeating: 0, count: trainSteps)
    let elapsed = seconds {
        for i in 0..<trainSteps { losses[i] = trainStep() }
    }
    func meanLoss(_ part: ArraySlice<Float>) -> Float { part.reduce(0, +) / Float(max(part.count, 1)) }
    print(
        String(
            format: "MLP training step (width 128, batch 128): %.1f µs/step, %.0f steps/s over %d steps "
                + "(mean loss of the first and last 100 steps %.3f → %.3f)", elapsed / Double(trainSteps) * 1e6,
            Double(trainSteps) / elapsed, trainSteps, meanLoss(losses.prefix(100)), meanLoss(losses.suffix(100))))
}

// Sampling: seed 000's p_sample_loop, 10,000 points through the 100 steps.
if runs("sampling") { benchmarkSampling() }
func benchmarkSampling() {
    let sampler = DDPMSampler(schedule: schedule)
    _ = sampler.sample(model, count: 1000)  // warm up
    var trajectory: Trajectory?
    let sampling = best(of: 3) { trajectory = sampler.sample(model, count: 10_000) }
    print(
        String(
            format: "sampling 10,000 points through %d steps: %.3f s (sliced Wasserstein-1 to fresh data %.3f)",
            steps, sampling, slicedWasserstein(trajectory!.samples, swissRoll(count: 10_000))))
}

// Seed 000's figure: a 2×10 grid of scatter plots of 10,000 points each, 28×3 inches at 100 dpi.
if runs("figure") { benchmarkFigure() }
func benchmarkFigure() {
    let rolls = (0..<20).map { i in schedule.qSample(data, t: i * steps / 20).xt }
    func seed000Figure() -> [UInt8] {
        let figure = Figure(rows: 2, columns: 10, width: 28, height: 3, dpi: 100)
        for (i, points) in rolls.enumerated() {
            let axes = figure[i / 10, i % 10]
            axes.scatter(points, color: .red, edgeColor: .white)
            axes.showAxes = false
            axes.title = "q(x_{\(i * steps / 20)})"
        }
        return figure.png()
    }
    var figureBytes: [UInt8] = []
    let figureSeconds = best(of: 5) { figureBytes = seed000Figure() }
    try! Data(figureBytes).write(to: URL(fileURLWithPath: "out/bench-seed000-grid.png"))
    print(
        String(
            format: "seed 000 figure (2x10 scatter grid, 10,000 points each, 2800x300 px) to PNG: %.3f s, %d KB",
            figureSeconds, figureBytes.count / 1024))
}

// Seed 000's forward-process GIF: 100 frames of q(x_t) for the 10,000 points,
// each a scatter (size 5, red with white edges, axes off) on matplotlib's
// default figure, 6.4×4.8 inches at 100 dpi, 0.1 s a frame, looping.
if runs("gif") { benchmarkGIF() }
func benchmarkGIF() {
    let frames = (0..<steps).map { t in schedule.qSample(data, t: t).xt }
    func forwardGIF() -> [UInt8] {
        let figures = frames.map { points -> Figure in
            let figure = Figure(width: 6.4, height: 4.8, dpi: 100)
            figure[0, 0].scatter(points, size: 5, color: .red, edgeColor: .white)
            figure[0, 0].showAxes = false
            return figure
        }
        return Animation(frames: figures, delay: 0.1).gif()
    }
    var gifBytes: [UInt8] = []
    let gifSeconds = best(of: 3) { gifBytes = forwardGIF() }
    try! Data(gifBytes).write(to: URL(fileURLWithPath: "out/bench-seed000-forward.gif"))
    print(
        String(
            format: "seed 000 forward GIF (100 frames of 10,000 points, 640x480 px): %.3f s, %d KB",
            gifSeconds, gifBytes.count / 1024))
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(String(format: "peak memory: %.1f MB resident", Double(usage.ru_maxrss) / 1024))
