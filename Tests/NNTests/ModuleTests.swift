import XCTest

@testable import NN
@testable import TensorCore

/// A module shaped like the seeds' MLPDiffusion: lists of layers, as
/// `nn.ModuleList`, so the names must come out as PyTorch's.
final class ListModel: Module {
    let linears = [Linear(2, 4), Linear(4, 2)]
    let stepEmbeddings = [Embedding(10, 4)]
    let frozen = Tensor([1, 2, 3])  // a buffer: no gradient, not a parameter
    var optionalHead: Linear? = Linear(2, 1, bias: false)
    let table = ["b": Linear(1, 1), "a": Linear(1, 1, bias: false)]
}

final class Nested: Module {
    let encoder = ListModel()
    let shared: Linear
    let alias: Linear
    init() {
        shared = Linear(3, 3)
        alias = shared  // the same layer twice: its parameters count once
    }
}

final class ModuleTests: XCTestCase {
    func testParameterNamesFollowPyTorch() {
        let names = ListModel().namedParameters().map(\.name)
        XCTAssertEqual(
            names,
            [
                "linears.0.weight", "linears.0.bias", "linears.1.weight", "linears.1.bias",
                "step_embeddings.0.weight", "optional_head.weight", "table.a.weight", "table.b.weight", "table.b.bias",
            ])
    }

    func testSwiftNamesBecomePyTorchsSnakeCase() {
        XCTAssertEqual(snakeCase("stepEmbeddings"), "step_embeddings")
        XCTAssertEqual(snakeCase("timeMLP"), "time_mlp")
        XCTAssertEqual(snakeCase("MLPBlock"), "mlp_block")
        XCTAssertEqual(snakeCase("runningVar"), "running_var")
        XCTAssertEqual(snakeCase("conv1x1"), "conv1x1")
        XCTAssertEqual(snakeCase("conv0"), "conv0")
        XCTAssertEqual(snakeCase("res2Block"), "res2_block")
    }

    func testNestedAndSharedModules() {
        let model = Nested()
        let names = model.namedParameters().map(\.name)
        XCTAssertEqual(names.first, "encoder.linears.0.weight")
        XCTAssertEqual(names.suffix(2), ["shared.weight", "shared.bias"])
        XCTAssertEqual(model.parameterCount, ListModel().parameterCount + 9 + 3)
    }

    func testZeroGradResetsEveryParameter() {
        let model = ListModel()
        let y = model.linears[1](model.linears[0](Tensor([[1, 2]])))
        y.sum().backward()
        XCTAssertNotNil(model.linears[0].weight.grad)
        model.zeroGrad(setToNone: false)
        XCTAssertEqual(model.linears[0].weight.grad?.squaredNorm(), 0)
        XCTAssertTrue(model.parameters().allSatisfy { ($0.grad?.squaredNorm() ?? 0) == 0 })
        // PyTorch 2's default, zero_grad(set_to_none=True): the gradients are dropped.
        model.zeroGrad()
        XCTAssertTrue(model.parameters().allSatisfy { $0.grad == nil })
    }
}

/// A user's module whose layer can be replaced (transfer learning).
final class Replaceable: Module {
    var head = Linear(2, 2)
}

final class ParameterListTests: XCTestCase {
    /// A tree of the library's modules is walked once; later calls return the
    /// same tensors in the same order as the named walk, and follow
    /// `requiresGrad` as it changes (freezing a layer).
    func testAFixedTreesParametersAreKeptAndFollowRequiresGrad() {
        let model = Sequential([Linear(2, 3), ReLU(), Linear(3, 1)])
        let named = model.namedParameters().map(\.tensor)
        XCTAssertEqual(named.count, 4)
        for _ in 0..<2 {
            XCTAssertTrue(zip(model.parameters(), named).allSatisfy { $0 === $1 })
            XCTAssertEqual(model.parameters().count, 4)
        }
        named[0].requiringGrad(false)
        XCTAssertTrue(zip(model.parameters(), named.dropFirst()).allSatisfy { $0 === $1 })
        XCTAssertEqual(model.parameters().count, 3)
    }

    /// A user's class may reassign a `var` layer: its tree is walked again on
    /// every call, as PyTorch's `parameters()` sees the new layer.
    func testAUsersModuleSeesAReplacedLayer() {
        let model = Replaceable()
        let before = model.parameters()
        model.head = Linear(2, 5)
        let after = model.parameters()
        XCTAssertEqual(after.count, 2)
        XCTAssertTrue(after[0] === model.head.weight)
        XCTAssertFalse(before[0] === after[0])
    }

    /// The kept tensors do not outlive their model.
    func testKeptTensorsGoWithTheirModel() {
        weak var weight: Tensor?
        do {
            let model = Linear(4, 4)
            _ = model.parameters()
            weight = model.weight
        }
        _ = Linear(2, 2).parameters()  // keeping another tree drops the entries of trees that are gone
        XCTAssertNil(weight)
    }
}

final class LayerTests: XCTestCase {
    func testLinearComputesAffineMap() {
        let layer = Linear(3, 2)
        layer.weight.storage.pointer.update(from: [1, 2, 3, 4, 5, 6], count: 6)
        layer.bias!.storage.pointer.update(from: [0.5, -1], count: 2)
        let y = layer(Tensor([[1, 0, -1], [2, 1, 0]]))
        // [1,0,-1]·[1,2,3] + 0.5 = -1.5, [1,0,-1]·[4,5,6] - 1 = -3; [2,1,0] rows: 4.5, 12
        XCTAssertEqual(y.scalars, [-1.5, -3, 4.5, 12])
    }

    func testInitialisationBoundsMatchPyTorch() {
        // nn.Linear and nn.Conv2d: U(−1/√fan_in, 1/√fan_in) for weight and bias;
        // nn.Embedding: N(0, 1).
        let layer = Linear(16, 64)
        XCTAssertLessThanOrEqual(layer.weight.abs().max().item(), 0.25)
        XCTAssertGreaterThan(layer.weight.abs().max().item(), 0.24)
        let conv = Conv2d(4, 8, kernelSize: 3)
        XCTAssertLessThanOrEqual(conv.weight.abs().max().item(), Float(1 / 6.0))
        let embedding = Embedding(100, 128)
        let values = embedding.weight.scalars
        let mean = values.reduce(0, +) / Float(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(values.map { $0 * $0 }.reduce(0, +) / Float(values.count), 1, accuracy: 0.05)
    }

    func testEmbeddingLooksUpRows() {
        let embedding = Embedding(3, 2)
        embedding.weight.storage.pointer.update(from: [0, 1, 10, 11, 20, 21], count: 6)
        XCTAssertEqual(embedding([2, 0, 2]).scalars, [20, 21, 0, 1, 20, 21])
    }

    func testSequentialBuilder() {
        let deep = true
        let net = Sequential {
            Linear(2, 8)
            ReLU()
            if deep {
                Linear(8, 8)
                SiLU()
            }
            for _ in 0..<2 { Tanh() }
            Linear(8, 1)
            Lambda { $0 * 2 }
        }
        XCTAssertEqual(net.layers.count, 8)
        XCTAssertEqual(net(randn(5, 2)).shape, [5, 1])
        XCTAssertEqual(net.namedParameters().map(\.name).first, "0.weight", "PyTorch's nn.Sequential keys")
        XCTAssertEqual(net.parameterCount, (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1))
    }

    func testConvAndGroupNormLayers() {
        let block = Sequential {
            Conv2d(3, 8, kernelSize: 3, padding: 1)
            GroupNorm(4, 8)
            SiLU()
            Conv2d(8, 4, kernelSize: 3, stride: 2, padding: 1)
        }
        XCTAssertEqual(block(randn(2, 3, 8, 8)).shape, [2, 4, 4, 4])
    }
}

final class OptimizerTests: XCTestCase {
    /// θ₀ = (1, −2), lr 0.1, β = (0.9, 0.999), ε = 1e-8, gradients
    /// (0.5, −0.1) then (−0.2, 0.3). By Algorithm 1 of Kingma & Ba:
    /// step 1: m = (0.05, −0.01), v = (2.5e-4, 1e-5), m̂ = g, v̂ = g², so
    ///         θ₁ = θ₀ − 0.1·sign(g) = (0.9, −1.9);
    /// step 2: m = (0.025, 0.021), v = (2.8975e-4, 9.999e-5),
    ///         m̂ = m/0.19, v̂ = v/0.001999, θ₂ = θ₁ − 0.1·m̂/(√v̂ + ε)
    ///         = (0.865439418, −1.949418991).
    /// (Arithmetic in Double, transcribed from the formulas; torch.optim.Adam
    /// gives the same to 7 digits.)
    func testAdamMatchesHandComputedSteps() {
        let theta = Tensor([1, -2]).requiringGrad()
        let adam = Adam([theta], lr: 0.1)
        theta.grad = Tensor([0.5, -0.1])
        adam.step()
        XCTAssertEqual(theta.scalars[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(theta.scalars[1], -1.9, accuracy: 1e-6)
        theta.grad = Tensor([-0.2, 0.3])
        adam.step()
        XCTAssertEqual(theta.scalars[0], 0.865439418, accuracy: 1e-6)
        XCTAssertEqual(theta.scalars[1], -1.949418991, accuracy: 1e-6)
        XCTAssertEqual(adam.stepCount, 2)
    }

    /// Three steps over 1,000 parameters (the AVX-512 loop, whose √v and
    /// division are refined estimates, and its exact tail) against the same
    /// formulas in Double: the parameters stay within 2·10⁻⁶·lr of them
    /// (measured 5.4·10⁻⁷·lr; without the Newton steps about 10⁻⁴·lr).
    func testAdamOfManyParametersMatchesTheFormulasInDouble() {
        let count = 1_000
        let theta = Tensor(repeating: 0, shape: [count]).requiringGrad()
        let adam = Adam([theta], lr: 1e-3)
        var expected = [Double](repeating: 0, count: count)
        var m = expected
        var v = expected
        let generator = Generator(seed: 7)
        for step in 1...3 {
            let g = randn(count, generator: generator) * Float(step)
            let gradients = g.scalars.map(Double.init)
            theta.grad = g
            adam.step()
            for i in 0..<count {
                m[i] = 0.9 * m[i] + 0.1 * gradients[i]
                v[i] = 0.999 * v[i] + 0.001 * gradients[i] * gradients[i]
                let mHat = m[i] / (1 - pow(0.9, Double(step)))
                let vHat = v[i] / (1 - pow(0.999, Double(step)))
                expected[i] -= 1e-3 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        // Relative to the step size lr: three updates of about lr each may cancel.
        let worst = zip(theta.scalars, expected).map { abs(Double($0) - $1) / 1e-3 }.max()!
        XCTAssertLessThan(worst, 2e-6)
    }

    /// `clipGradNorm` and Adam's step shared between the cores (each a part of
    /// every tensor, `coresShareCheaply` fixed to true) give the same norms
    /// and move the parameters of a model of 40,000 to the same bits as on
    /// one core, with tensors whose halves are not whole cache lines (a bias
    /// of 7).
    func testClippingAndAdamSharedBetweenCoresHaveTheBitsOfOneCore() {
        defer { coreSharingOverride = nil }
        let generator = Generator(seed: 11)
        let start = [randn(shape: [200, 197], generator: generator), randn(shape: [7], generator: generator)]
        let gradients = (1...3).map { _ in start.map { randn(shape: $0.shape, generator: generator) } }
        var results: [[[Float]]] = []
        var norms: [[Float]] = []
        for shared in [false, true] {
            coreSharingOverride = shared
            let parameters = start.map { Tensor($0.scalars, shape: $0.shape).requiringGrad() }
            let adam = Adam(parameters, lr: 1e-2)
            norms.append([])
            for step in gradients {
                for (p, g) in zip(parameters, step) { p.grad = g * 1 }  // a copy: clipping scales it in place
                norms[norms.count - 1].append(clipGradNorm(parameters, maxNorm: 100))
                adam.step()
            }
            results.append(parameters.map(\.scalars))
        }
        XCTAssertEqual(norms[0], norms[1])
        XCTAssertGreaterThan(norms[0][0], 100)  // clipped
        for (index, (one, two)) in zip(results[0], results[1]).enumerated() {
            let differing = zip(one, two).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            XCTAssertEqual(
                differing.count, 0, "tensor \(index): elements \(differing.prefix(5)) of \(one.count) differ")
        }
        XCTAssertNotEqual(results[0][0], start[0].scalars)
    }

    /// A finite gradient whose square overflows (v = +inf) leaves a
    /// parameter where it was, as sqrtf and the division do (m/∞ = 0), on
    /// the vector path too: a diverging run keeps a finite model.
    func testAdamWithAnOverflowingSquareKeepsParametersFinite() {
        let theta = Tensor(repeating: 0.5, shape: [40]).requiringGrad()
        let adam = Adam([theta], lr: 100)
        theta.grad = Tensor(repeating: 1e30, shape: [40])
        adam.step()
        XCTAssertEqual(theta.scalars, [Float](repeating: 0.5, count: 40))
        theta.grad = Tensor(repeating: -3, shape: [40])
        adam.step()
        XCTAssertTrue(theta.scalars.allSatisfy(\.isFinite))
    }

    func testAdamWeightDecayAddsToTheGradient() {
        let a = Tensor([1, -2]).requiringGrad()
        let b = Tensor([1, -2]).requiringGrad()
        a.grad = Tensor([0.5 + 0.1 * 1, -0.1 + 0.1 * -2])
        b.grad = Tensor([0.5, -0.1])
        Adam([a], lr: 0.1).step()
        Adam([b], lr: 0.1, weightDecay: 0.1).step()
        XCTAssertEqual(a.scalars, b.scalars)
    }

    /// b₁ = g₁ = (0.5, −0.1), θ₁ = (0.95, −1.99); b₂ = 0.9·b₁ + g₂ =
    /// (0.25, 0.21), θ₂ = (0.925, −2.011), as torch.optim.SGD(momentum=0.9).
    func testSGDWithMomentum() {
        let theta = Tensor([1, -2]).requiringGrad()
        let sgd = SGD([theta], lr: 0.1, momentum: 0.9)
        theta.grad = Tensor([0.5, -0.1])
        sgd.step()
        theta.grad = Tensor([-0.2, 0.3])
        sgd.step()
        XCTAssertEqual(theta.scalars[0], 0.925, accuracy: 1e-6)
        XCTAssertEqual(theta.scalars[1], -2.011, accuracy: 1e-6)
    }

    func testSubnormalMomentsDoNotLeakTheFloatEnvironment() {
        // The Adam kernel flushes subnormals only during its step.
        let theta = Tensor([1]).requiringGrad()
        theta.grad = Tensor([1e-30])
        Adam([theta]).step()
        let tiny = Float.leastNormalMagnitude
        XCTAssertGreaterThan(tiny / 4, 0, "subnormals work again after the step")
    }

    func testClipGradNorm() {
        let a = Tensor([0, 0]).requiringGrad()
        let b = Tensor([0]).requiringGrad()
        a.grad = Tensor([3, 0])
        b.grad = Tensor([4])
        let norm = clipGradNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5)
        // Each gradient is scaled by 1/(5 + 1e-6), as torch.nn.utils.clip_grad_norm_.
        XCTAssertEqual(a.grad!.scalars[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(b.grad!.scalars[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(clipGradNorm([a, b], maxNorm: 10), 1, accuracy: 1e-5)
        XCTAssertEqual(a.grad!.scalars[0], 0.6, accuracy: 1e-6, "below the limit nothing changes")
    }

    /// clipGradNorm's finding that the gradients are finite spares Adam its
    /// own check only until a gradient changes: a NaN that reaches a
    /// gradient after the clipping, by `backward()` adding to it or by
    /// assignment, still makes the step be skipped.
    func testAStepAfterClippingStillSkipsAGradientMadeNonFiniteAfterIt() {
        let w = Tensor([1, 2]).requiringGrad()
        let adam = Adam([w], lr: 0.1)
        w.grad = Tensor([3, 4])
        clipGradNorm([w], maxNorm: 1)
        (w * Tensor([Float.nan, 1])).sum().backward()  // adds NaN to the clipped gradient in place
        adam.step()
        XCTAssertEqual(adam.skippedSteps, 1)
        XCTAssertEqual(w.scalars, [1, 2])
        w.grad = Tensor([3, 4])
        clipGradNorm([w], maxNorm: 1)
        w.grad = Tensor([Float.infinity, 0])
        adam.step()
        XCTAssertEqual(adam.skippedSteps, 2)
        XCTAssertEqual(w.scalars, [1, 2])
        w.grad = Tensor([Float.nan, 0])
        clipGradNorm([w], maxNorm: 1)  // a NaN norm: not found finite, and nothing scaled
        adam.step()
        XCTAssertEqual(adam.skippedSteps, 3)
        w.grad = Tensor([3, 4])
        clipGradNorm([w], maxNorm: 1)
        adam.step()
        XCTAssertEqual(adam.skippedSteps, 3)
        XCTAssertEqual(w.scalars[0], 0.9, accuracy: 1e-6, "a finite clipped gradient is applied: θ − lr·sign(g)")
    }

    /// A small network learns a nonlinear function with the PyTorch-shaped
    /// loop: the loss falls by more than 20× in 300 steps (measured: about
    /// 0.45 → 0.005).
    func testTrainingLoopLearnsSine() {
        let g = Generator(seed: 11)
        let net = Sequential {
            Linear(1, 32, generator: g)
            Tanh()
            Linear(32, 1, generator: g)
        }
        let x = linspace(-3, 3, count: 64).reshape(64, 1)
        let y = x.sin()
        let optimizer = Adam(net.parameters(), lr: 0.01)
        var losses: [Float] = []
        for _ in 0..<300 {
            let loss = (net(x) - y).square().mean()
            optimizer.zeroGrad()
            loss.backward()
            clipGradNorm(optimizer.parameters, maxNorm: 1)
            optimizer.step()
            losses.append(loss.item())
        }
        XCTAssertLessThan(losses.last! * 20, losses.first!, "loss \(losses.first!) → \(losses.last!)")
    }
}

/// The trial that decides whether a training loop's steps are shared between
/// the cores, fed step times from a clock of its own.
final class CoreSharingTrialTests: XCTestCase {
    /// A clock the test moves by hand.
    private final class Clock {
        var nanoseconds: UInt64 = 0
    }

    /// Runs `steps` steps, each taking `shared` ns while the trial lets the
    /// cores share it and `alone` ns while it declines.
    private func run(_ trial: CoreSharingTrial, _ clock: Clock, steps: Int, shared: UInt64, alone: UInt64) {
        for _ in 0..<steps {
            clock.nanoseconds += coreSharingDeclined ? alone : shared
            trial.stepFinished()
        }
    }

    func testTheTrialKeepsSharingWhereItPaysAndDropsItWhereNot() {
        defer { coreSharingDeclined = false }
        let clock = Clock()
        let trial = CoreSharingTrial(clock: { clock.nanoseconds })
        let length = CoreSharingTrial.blocks * CoreSharingTrial.blockLength
        // Sharing until the first trial, after the warm-up; it alternates shared blocks and blocks on one core.
        run(trial, clock, steps: CoreSharingTrial.warmUp, shared: 400_000, alone: 300_000)
        XCTAssertFalse(coreSharingDeclined)
        var seen: [Bool] = []
        for _ in 0..<length {
            seen.append(coreSharingDeclined)
            run(trial, clock, steps: 1, shared: 220_000, alone: 300_000)
        }
        XCTAssertEqual(Array(seen.prefix(8)), [false, false, false, false, true, true, true, true])
        XCTAssertFalse(trial.declined, "shared steps 220 µs against 300 alone")
        XCTAssertFalse(coreSharingDeclined)
        // Until the next trial nothing changes, whatever the steps take.
        run(trial, clock, steps: CoreSharingTrial.period - 1, shared: 400_000, alone: 300_000)
        XCTAssertFalse(trial.declined)
        // The next trial sees sharing cost more: it is declined until the one after.
        run(trial, clock, steps: 1 + length, shared: 400_000, alone: 300_000)
        XCTAssertTrue(trial.declined, "shared steps 400 µs against 300 alone")
        XCTAssertTrue(coreSharingDeclined)
        XCTAssertFalse(coresShareCheaply())
        // A 2% gain is within the noise: declined too.
        run(trial, clock, steps: CoreSharingTrial.period + length, shared: 294_000, alone: 300_000)
        XCTAssertTrue(trial.declined, "shared steps 294 µs against 300 alone")
    }
}
