import Foundation
import XCTest

@testable import TensorCore

/// Every differentiable operation, checked twice against its Double
/// reference in `Ref`:
/// - forward: the Float32 result equals the reference on the same inputs
///   (relative 1e-4);
/// - backward: for L = Σ op(x) ⊙ w with random w, the gradient from
///   `backward()` equals the central difference (L(x + h) − L(x − h)) / 2h of
///   the Double reference with h = 1e-6, for every element of every input
///   (absolute and relative 2e-3: the analytic side is Float32).
final class GradCheckTests: XCTestCase {
    enum Inputs {
        case normal  // N(0, 1)
        case positive  // 0.5 + |N(0, 1)|, for log, sqrt, division
    }

    func check(
        _ name: String, _ shapes: [[Int]], inputs: Inputs = .normal,
        _ op: ([Tensor]) -> Tensor, _ reference: ([Ref]) -> Ref,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let generator = Generator(seed: 20_261_123)
        let tensors = shapes.map { shape -> Tensor in
            let t = randn(shape: shape, generator: generator)
            let values = inputs == .positive ? t.scalars.map { 0.5 + Swift.abs($0) } : t.scalars
            return Tensor(values, shape: shape).requiringGrad()
        }
        let refs = tensors.map(Ref.init)
        let output = op(tensors)
        let expected = reference(refs)
        XCTAssertEqual(output.shape, expected.shape, "\(name): forward shape", file: file, line: line)
        guard output.shape == expected.shape else { return }
        for (i, (got, want)) in zip(output.scalars, expected.values).enumerated()
        where Swift.abs(Double(got) - want) > 1e-5 + 1e-4 * Swift.abs(want) {
            XCTFail("\(name): forward element \(i) is \(got), reference \(want)", file: file, line: line)
            return
        }

        let weights = randn(shape: output.shape, generator: generator)
        let w = weights.scalars.map(Double.init)
        (output * weights).sum().backward()

        func loss(_ inputs: [Ref]) -> Double {
            zip(reference(inputs).values, w).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let h = 1e-6
        for (k, tensor) in tensors.enumerated() {
            guard let grad = tensor.grad else {
                XCTFail("\(name): input \(k) received no gradient", file: file, line: line)
                continue
            }
            XCTAssertEqual(grad.shape, tensor.shape, "\(name): gradient shape of input \(k)", file: file, line: line)
            let analytic = grad.scalars
            for i in 0..<tensor.count {
                var plus = refs
                var minus = refs
                plus[k].values[i] += h
                minus[k].values[i] -= h
                let numeric = (loss(plus) - loss(minus)) / (2 * h)
                if Swift.abs(Double(analytic[i]) - numeric) > 2e-3 + 2e-3 * Swift.abs(numeric) {
                    XCTFail(
                        "\(name): ∂L/∂x\(k)[\(i)] is \(analytic[i]) by backward(), \(numeric) by central "
                            + "difference", file: file, line: line)
                    return
                }
            }
        }
    }

    // MARK: Elementwise

    func testUnaryFunctions() {
        let s = [[3, 4]]
        check("exp", s, { $0[0].exp() }) { $0[0].map(Foundation.exp) }
        check("log", s, inputs: .positive, { $0[0].log() }) { $0[0].map(Foundation.log) }
        check("sqrt", s, inputs: .positive, { $0[0].sqrt() }) { $0[0].map(Foundation.sqrt) }
        check("square", s, { $0[0].square() }) { $0[0].map { $0 * $0 } }
        check("pow 3", s, { $0[0].pow(3) }) { $0[0].map { Foundation.pow($0, 3) } }
        check("pow 0.5", s, inputs: .positive, { $0[0].pow(0.5) }) { $0[0].map { Foundation.pow($0, 0.5) } }
        check("abs", s, { $0[0].abs() }) { $0[0].map(Swift.abs) }
        check("relu", s, { $0[0].relu() }) { $0[0].map { Swift.max($0, 0) } }
        check("sigmoid", s, { $0[0].sigmoid() }) { $0[0].map { 1 / (1 + Foundation.exp(-$0)) } }
        check("silu", s, { $0[0].silu() }) { $0[0].map { $0 / (1 + Foundation.exp(-$0)) } }
        check("tanh", s, { $0[0].tanh() }) { $0[0].map(Foundation.tanh) }
        check("sin", s, { $0[0].sin() }) { $0[0].map(Foundation.sin) }
        check("cos", s, { $0[0].cos() }) { $0[0].map(Foundation.cos) }
        check("clamp", s, { $0[0].clamp(min: -0.5, max: 0.5) }) { $0[0].map { Swift.min(Swift.max($0, -0.5), 0.5) } }
        check("negate", s, { -$0[0] }) { $0[0].map { -$0 } }
    }

    func testScalarArithmetic() {
        let s = [[2, 3]]
        check("x + 2", s, { $0[0] + 2 }) { $0[0].map { $0 + 2 } }
        check("2 - x", s, { 2 - $0[0] }) { $0[0].map { 2 - $0 } }
        check("x - 2", s, { $0[0] - 2 }) { $0[0].map { $0 - 2 } }
        check("3 * x", s, { 3 * $0[0] }) { $0[0].map { 3 * $0 } }
        check("x / 4", s, { $0[0] / 4 }) { $0[0].map { $0 / 4 } }
        check("3 / x", s, inputs: .positive, { 3 / $0[0] }) { $0[0].map { 3 / $0 } }
    }

    func testBroadcastArithmetic() {
        let pairs: [[[Int]]] = [
            [[2, 3], [2, 3]], [[2, 3], [3]], [[4, 1, 3], [2, 1]], [[2, 3], []], [[1], [2, 2]],
        ]
        for shapes in pairs {
            check("+ \(shapes)", shapes, { $0[0] + $0[1] }) { Ref.zip2($0[0], $0[1], +) }
            check("- \(shapes)", shapes, { $0[0] - $0[1] }) { Ref.zip2($0[0], $0[1], -) }
            check("* \(shapes)", shapes, { $0[0] * $0[1] }) { Ref.zip2($0[0], $0[1], *) }
            check("/ \(shapes)", shapes, inputs: .positive, { $0[0] / $0[1] }) { Ref.zip2($0[0], $0[1], /) }
        }
    }

    func testSameTensorUsedTwice() {
        check("x * x + x", [[5]], { $0[0] * $0[0] + $0[0] }) { $0[0].map { $0 * $0 + $0 } }
    }

    // MARK: Reductions

    func testReductions() {
        let s = [[2, 3, 4]]
        check("sum", s, { $0[0].sum() }) { Ref([], [$0[0].values.reduce(0, +)]) }
        check("sum axis 1", s, { $0[0].sum(axis: 1) }) { $0[0].sum(axes: [1]).reshaped([2, 4]) }
        check("sum axes 0,2 keepDims", s, { $0[0].sum(axes: [0, -1], keepDims: true) }) {
            $0[0].sum(axes: [0, 2])
        }
        check("mean", s, { $0[0].mean() }) { Ref([], [$0[0].values.reduce(0, +) / 24]) }
        check("mseLoss", [[2, 3, 4], [2, 3, 4]], { $0[0].mseLoss($0[1]) }) { r in
            Ref([], [zip(r[0].values, r[1].values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / 24])
        }
        check("mean axis -1 keepDims", s, { $0[0].mean(axis: -1, keepDims: true) }) {
            $0[0].sum(axes: [2]).map { $0 / 4 }
        }
        check("max axis 1", s, { $0[0].max(axis: 1) }) { r in
            let x = r[0]
            return Ref.generate([2, 4]) { i in (0..<3).map { x[[i[0], $0, i[1]]] }.max()! }
        }
        check("max", s, { $0[0].max() }) { Ref([], [$0[0].values.max()!]) }
        check("sum(toShape:)", s, { $0[0].sum(toShape: [3, 1]) }) { $0[0].sum(axes: [0, 2]).reshaped([3, 1]) }
    }

    // MARK: Layout

    func testLayout() {
        let s = [[2, 3, 4]]
        check("reshape", s, { $0[0].reshape(4, -1) }) { $0[0].reshaped([4, 6]) }
        check("flatten", s, { $0[0].flatten(startAxis: 1) }) { $0[0].reshaped([2, 12]) }
        check("unsqueeze", s, { $0[0].unsqueeze(axis: 1) }) { $0[0].reshaped([2, 1, 3, 4]) }
        check("squeeze", [[2, 1, 3]], { $0[0].squeeze(axis: 1) }) { $0[0].reshaped([2, 3]) }
        check("permute", s, { $0[0].permute(2, 0, 1) }) { $0[0].permuted([2, 0, 1]) }
        check("transpose", s, { $0[0].transpose(0, 2) }) { $0[0].permuted([2, 1, 0]) }
        check("T", [[3, 5]], { $0[0].T }) { $0[0].permuted([1, 0]) }
        check("narrow", s, { $0[0].narrow(axis: 1, start: 1, length: 2) }) { r in
            let x = r[0]
            return Ref.generate([2, 2, 4]) { i in x[[i[0], i[1] + 1, i[2]]] }
        }
        check("select", s, { $0[0].select(axis: 2, index: -1) }) { r in
            let x = r[0]
            return Ref.generate([2, 3]) { i in x[[i[0], i[1], 3]] }
        }
        check("subscript range", [[5, 2]], { $0[0][1..<4] }) { r in
            let x = r[0]
            return Ref.generate([3, 2]) { i in x[[i[0] + 1, i[1]]] }
        }
        check("subscript index", [[5, 2]], { $0[0][3] }) { r in
            let x = r[0]; return Ref.generate([2]) { i in x[[3, i[0]]] }
        }
        let rows = [4, 0, 4, 2, 4]
        check("gather rows", [[5, 3]], { $0[0][rows] }) { r in
            let x = r[0]
            return Ref.generate([5, 3]) { i in x[[rows[i[0]], i[1]]] }
        }
        check("concat", [[2, 3], [2, 1], [2, 2]], { concat($0, axis: 1) }) { x in
            return Ref.generate([2, 6]) { i in
                i[1] < 3 ? x[0][[i[0], i[1]]] : (i[1] < 4 ? x[1][[i[0], 0]] : x[2][[i[0], i[1] - 4]])
            }
        }
        check("stack", [[3], [3]], { stack($0, axis: 0) }) { x in return Ref.generate([2, 3]) { i in x[i[0]][[i[1]]] } }
        check("broadcast(to:)", [[3, 1]], { $0[0].broadcast(to: [2, 3, 4]) }) { r in
            let x = r[0]
            return Ref.generate([2, 3, 4]) { i in x[[i[1], 0]] }
        }
    }

    // MARK: Linear algebra

    func testMatmul() {
        check("matmul 2-D", [[3, 4], [4, 5]], { $0[0].matmul($0[1]) }) { Ref.matmul($0[0], $0[1]) }
        check("matmul batched", [[2, 3, 4], [2, 4, 5]], { $0[0].matmul($0[1]) }) { Ref.matmul($0[0], $0[1]) }
        check("matmul batch by matrix", [[2, 3, 4], [4, 5]], { $0[0].matmul($0[1]) }) { Ref.matmul($0[0], $0[1]) }
    }

    func testLinear() {
        func reference(_ r: [Ref]) -> Ref {
            let y = Ref.matmul(r[0], r[1].permuted([1, 0]))
            return r.count == 3 ? Ref.zip2(y, r[2], +) : y
        }
        check("linear", [[5, 4], [3, 4], [3]], { linear($0[0], weight: $0[1], bias: $0[2]) }, reference)
        check("linear 3-D input", [[2, 5, 4], [3, 4], [3]], { linear($0[0], weight: $0[1], bias: $0[2]) }, reference)
        check("linear without bias", [[5, 4], [3, 4]], { linear($0[0], weight: $0[1], bias: nil) }, reference)
        // The ReLU in the product's output pass (oneDNN's post-op).
        let relu = { (r: [Ref]) in reference(r).map { Swift.max($0, 0) } }
        check("linear, relu", [[6, 4], [3, 4], [3]], { linear($0[0], weight: $0[1], bias: $0[2], relu: true) }, relu)
        check(
            "linear, relu, no bias", [[6, 4], [3, 4]], { linear($0[0], weight: $0[1], bias: nil, relu: true) }, relu)
        // The MLP's hidden layer, ReLU(x·Wᵀ + b + e), with e a tensor of the output's shape.
        check(
            "linear, addend, relu", [[6, 4], [3, 4], [3], [6, 3]],
            { linear($0[0], weight: $0[1], bias: $0[2], addend: $0[3], relu: true) }
        ) { r in Ref.zip2(reference(Array(r.prefix(3))), r[3], +).map { Swift.max($0, 0) } }
        // The same with e = E[t], rows of a step table (repeated steps sum their gradients).
        let steps = [2, 0, 2, 1, 3, 2]
        check(
            "linear, embedding rows, relu", [[6, 4], [3, 4], [3], [4, 3]],
            { linear($0[0], weight: $0[1], bias: $0[2], embedding: $0[3], indices: steps, relu: true) }
        ) { r in
            let e = Ref.generate([6, 3]) { r[3][[steps[$0[0]], $0[1]]] }
            return Ref.zip2(reference(Array(r.prefix(3))), e, +).map { Swift.max($0, 0) }
        }
    }

    // MARK: Convolution and normalisation

    func testConv2d() {
        check(
            "conv2d pad 1", [[2, 2, 4, 4], [3, 2, 3, 3], [3]],
            {
                conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: 1)
            }
        ) { Ref.conv2d($0[0], $0[1], $0[2], stride: 1, padding: 1) }
        check(
            "conv2d stride 2", [[1, 2, 6, 5], [3, 2, 2, 3]],
            {
                conv2d($0[0], weight: $0[1], bias: nil, stride: 2, padding: 0)
            }
        ) { Ref.conv2d($0[0], $0[1], nil, stride: 2, padding: 0) }
    }

    /// The convolutions again by im2col and OpenBLAS (the fallback when
    /// oneDNN cannot run one), in several chunks of images.
    func testConvolutionsByIm2col() {
        let (saved, savedChunk) = (ConvolutionBackend.useOneDNN, Scratch.chunkFloats)
        ConvolutionBackend.useOneDNN = false
        Scratch.chunkFloats = 100  // one image per column matrix
        defer { (ConvolutionBackend.useOneDNN, Scratch.chunkFloats) = (saved, savedChunk) }
        testConv2d()
        testConvTranspose2d()
        Scratch.chunkFloats = 64  // two images (8 × 4 column entries each) per column matrix
        check(
            "conv2d in chunks", [[3, 2, 3, 3], [2, 2, 2, 2], [2]],
            { conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: 0) }
        ) { Ref.conv2d($0[0], $0[1], $0[2], stride: 1, padding: 0) }
    }

    func testConvTranspose2d() {
        // Seed 003's up-sampling geometry: kernel 4, stride 2, padding 1 doubles H and W.
        check(
            "convTranspose2d k4 s2 p1", [[2, 3, 3, 4], [3, 2, 4, 4], [2]],
            { convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1) }
        ) { Ref.convTranspose2d($0[0], $0[1], $0[2], stride: 2, padding: 1, outputPadding: 0) }
        check(
            "convTranspose2d output padding", [[1, 2, 3, 2], [2, 3, 3, 2]],
            { convTranspose2d($0[0], weight: $0[1], bias: nil, stride: 3, padding: 1, outputPadding: 2) }
        ) { Ref.convTranspose2d($0[0], $0[1], nil, stride: 3, padding: 1, outputPadding: 2) }
    }

    func testBatchNorm() {
        check(
            "batchNorm training", [[3, 4, 2, 3], [4], [4]],
            { batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) }
        ) { Ref.batchNorm($0[0], mean: nil, variance: nil, weight: $0[1], bias: $0[2], eps: 1e-5) }
        let (mean, variance): ([Float], [Float]) = ([0.5, -1, 0.25], [2, 0.5, 1.5])
        check(
            "batchNorm evaluation", [[2, 3, 4], [3], [3]],
            {
                batchNorm(
                    $0[0], runningMean: Tensor(mean), runningVar: Tensor(variance), weight: $0[1], bias: $0[2],
                    training: false)
            }
        ) {
            Ref.batchNorm(
                $0[0], mean: mean.map(Double.init), variance: variance.map(Double.init), weight: $0[1],
                bias: $0[2], eps: 1e-5)
        }
    }

    func testPad() {
        check("pad last two axes", [[2, 2, 3]], { $0[0].pad([1, 2, 0, 1], value: 0.5) }) { r in
            Ref.generate([2, 3, 6]) { i in
                let (y, x) = (i[1], i[2] - 1)
                return y < 2 && x >= 0 && x < 3 ? r[0][[i[0], y, x]] : 0.5
            }
        }
    }

    func testSplitAndChunk() {
        check("split middle piece", [[2, 5, 3]], { $0[0].split(2, axis: 1)[1] }) { r in
            Ref.generate([2, 2, 3]) { i in r[0][[i[0], i[1] + 2, i[2]]] }
        }
        check("chunk last piece", [[7, 2]], { $0[0].chunk(3)[2] }) { r in
            Ref.generate([1, 2]) { i in r[0][[6, i[1]]] }
        }
        check(
            "split sizes, all pieces", [[2, 6]],
            { x in
                let pieces = x[0].split(sizes: [1, 3, 2], axis: 1)
                return pieces[0] * 2 + pieces[1].sum(axis: 1, keepDims: true)
                    - pieces[2].square().sum(axis: 1, keepDims: true)
            }
        ) { r in
            Ref.generate([2, 1]) { i in
                let row = (0..<6).map { r[0][[i[0], $0]] }
                return row[0] * 2 + row[1] + row[2] + row[3] - row[4] * row[4] - row[5] * row[5]
            }
        }
    }

    func testScaledDotProductAttention() {
        check(
            "attention", [[2, 4, 3], [2, 5, 3], [2, 5, 2]],
            { scaledDotProductAttention($0[0], $0[1], $0[2]) }
        ) { Ref.attention($0[0], $0[1], $0[2], scale: 1 / Foundation.sqrt(3)) }
        check(
            "attention with a scale", [[1, 3, 2], [1, 3, 2], [1, 3, 4]],
            { scaledDotProductAttention($0[0], $0[1], $0[2], scale: 0.7) }
        ) { Ref.attention($0[0], $0[1], $0[2], scale: Double(Float(0.7))) }
    }

    func testUpsampleNearest() {
        check("upsample", [[1, 2, 2, 3]], { $0[0].upsampleNearest(scale: 2) }) { r in
            let x = r[0]
            return Ref.generate([1, 2, 4, 6]) { i in x[[i[0], i[1], i[2] / 2, i[3] / 2]] }
        }
    }

    func testGroupNorm() {
        check("groupNorm", [[2, 4, 3, 3], [4], [4]], { groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2]) }) {
            Ref.groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2], eps: 1e-5)
        }
        check("groupNorm without affine", [[3, 6, 2]], { groupNorm($0[0], groups: 3, weight: nil, bias: nil) }) {
            Ref.groupNorm($0[0], groups: 3, weight: nil, bias: nil, eps: 1e-5)
        }
        check(
            "groupNorm then SiLU", [[2, 4, 3, 3], [4], [4]],
            { groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2], then: .silu) }
        ) {
            Ref.groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2], eps: 1e-5).map {
                $0 / (1 + Foundation.exp(-$0))
            }
        }
    }

    func testSoftmax() {
        check("softmax last", [[3, 5]], { $0[0].softmax() }) { $0[0].softmax(axis: 1) }
        check("softmax middle", [[2, 3, 4]], { $0[0].softmax(axis: 1) }) { $0[0].softmax(axis: 1) }
    }

    /// The composite of the seeds' MLP layer: gradients through a chain.
    func testChain() {
        check(
            "relu(x·Wᵀ + b + e)", [[4, 3], [5, 3], [5], [4, 5]],
            {
                (linear($0[0], weight: $0[1], bias: $0[2]) + $0[3]).relu().square().mean()
            }
        ) { r in
            let y = Ref.zip2(Ref.zip2(Ref.matmul(r[0], r[1].permuted([1, 0])), r[2], +), r[3], +)
            let z = y.map { Swift.max($0, 0) * Swift.max($0, 0) }
            return Ref([], [z.values.reduce(0, +) / Double(z.count)])
        }
    }
}
