// Benchmarks of the hot paths of every tutorial. Not a test: run it with
//
//     swift run -c release ddpm-bench [--steps N]
//
// and compare with the PyTorch reference (scripts/bench-reference.sh runs
// both side by side).
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

// MARK: 512³ matmul, tensor API against raw OpenBLAS

let n = 512
let a = randn(n, n)
let b = randn(n, n)
let flops = 2.0 * Double(n * n * n)
_ = a.matmul(b)
let rawOut = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
let raw = best(of: 20) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                a.storage.pointer, Int32(n), b.storage.pointer, Int32(n), 0, rawOut, Int32(n))
}
let api = best(of: 20) { _ = a.matmul(b) }
print(String(format: "matmul 512x512x512: tensor API %.1f GFLOP/s, raw cblas_sgemm %.1f GFLOP/s (%.0f%% of raw)",
             flops / api / 1e9, flops / raw / 1e9, 100 * raw / api))

// MARK: the seeds' MLP training step

// Seed 000's sigmoid schedule over 100 steps, for q(x_t | x_0).
let steps = 100
let betas = linspace(-6, 6, count: steps).sigmoid().scalars.map { Double($0) * (0.5e-2 - 1e-5) + 1e-5 }
var alphaBar = 1.0
var sqrtAlphaBars: [Float] = []
var sqrtOneMinusAlphaBars: [Float] = []
for beta in betas {
    alphaBar *= 1 - beta
    sqrtAlphaBars.append(Float(alphaBar.squareRoot()))
    sqrtOneMinusAlphaBars.append(Float((1 - alphaBar).squareRoot()))
}
let sqrtAB = Tensor(sqrtAlphaBars, shape: [steps, 1])
let sqrtOneMinusAB = Tensor(sqrtOneMinusAlphaBars, shape: [steps, 1])

manualSeed(0)
let data = swissRoll(count: 10_000)
let batchSize = 128
let model = MLPDiffusion(steps: steps, width: 128)
let optimizer = Adam(model.parameters(), lr: 1e-3)

var order: [Int] = []
var cursor = 0
/// One step of the seeds' loop: a shuffled batch, antithetic t, q(x_t | x_0),
/// MSE on ε, backward, clip at 1.0, Adam.
func trainStep() -> Float {
    if cursor + batchSize > order.count {
        order = randperm(data.shape[0])
        cursor = 0
    }
    let x0 = data[Array(order[cursor..<cursor + batchSize])]  // [B, 2]
    cursor += batchSize
    let half = randint(0, steps, count: batchSize / 2)
    let t = half + half.map { steps - 1 - $0 }
    let noise = randn(like: x0)
    let xt = x0 * sqrtAB[t] + noise * sqrtOneMinusAB[t]
    let loss = (noise - model(xt, t)).square().mean()
    optimizer.zeroGrad()
    loss.backward()
    clipGradNorm(optimizer.parameters, maxNorm: 1)
    optimizer.step()
    return loss.item()
}

let trainSteps = option("--steps", 2000)
for _ in 0..<50 { _ = trainStep() }  // warm up
var losses = [Float](repeating: 0, count: trainSteps)
let elapsed = seconds {
    for i in 0..<trainSteps { losses[i] = trainStep() }
}
/// The mean loss over the first or last 100 steps (single batches are noisy).
func meanLoss(_ part: ArraySlice<Float>) -> Float { part.reduce(0, +) / Float(max(part.count, 1)) }
print(String(format: "MLP training step (width 128, batch 128): %.1f µs/step, %.0f steps/s over %d steps "
             + "(mean loss of the first and last 100 steps %.3f → %.3f)", elapsed / Double(trainSteps) * 1e6,
             Double(trainSteps) / elapsed, trainSteps, meanLoss(losses.prefix(100)), meanLoss(losses.suffix(100))))

// MARK: peak memory of this whole process

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(String(format: "peak memory: %.1f MB resident", Double(usage.ru_maxrss) / 1024))
