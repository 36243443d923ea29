import Foundation
import XCTest

@testable import NN
@testable import TensorCore

/// NN's layers against PyTorch's on the same inputs and weights: the goldens
/// were written by Goldens/make_layer_goldens.py (torch 2.13.0+cpu). Each
/// case compares the output, the gradients of L = Σ out ⊙ w with respect to
/// the inputs and parameters, and BatchNorm's state after the call.
final class LayerGoldenTests: XCTestCase {
    static let golden: [String: Tensor] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Goldens/layers.safetensors").path
        return try! Safetensors.read(from: path).tensors
    }()

    func value(_ key: String) -> Tensor { LayerGoldenTests.golden[key]! }

    func assertClose(_ got: Tensor?, _ key: String, line: UInt = #line) {
        let want = value(key)
        guard let got = got, got.shape == want.shape else {
            XCTFail("\(key): shape \(got?.shape ?? []) against PyTorch's \(want.shape)", line: line)
            return
        }
        let worst = zip(got.scalars, want.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
        let scale = Swift.max(1, want.scalars.map(Swift.abs).max() ?? 0)
        XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(key): largest difference \(worst)", line: line)
    }

    /// Loads `<name>.state.*` into the layer, runs it on `<name>.<input>`s,
    /// backpropagates L = Σ out ⊙ w and compares everything.
    func check(_ name: String, _ layer: Module?, inputs: [String], line: UInt = #line, _ forward: ([Tensor]) -> Tensor)
        throws
    {
        if let layer = layer {
            layer.zeroGrad()
            let prefix = name + ".state."
            try layer.loadStateDict(
                Dictionary(
                    uniqueKeysWithValues: LayerGoldenTests.golden.filter { $0.key.hasPrefix(prefix) }.map {
                        (String($0.key.dropFirst(prefix.count)), $0.value)
                    }))
        }
        let tensors = inputs.map { value("\(name).\($0)").copy().requiringGrad() }
        let out = forward(tensors)
        (out * value("\(name).w")).sum().backward()
        assertClose(out, "\(name).out", line: line)
        for (input, tensor) in zip(inputs, tensors) { assertClose(tensor.grad, "\(name).grad.\(input)", line: line) }
        for (key, parameter) in layer?.namedParameters() ?? [] {
            assertClose(parameter.grad, "\(name).grad.\(key)", line: line)
        }
        for (key, buffer) in layer?.namedBuffers() ?? [] {
            assertClose(buffer.wrappedValue, "\(name).after.\(key)", line: line)
        }
    }

    func testConvTranspose2dMatchesPyTorch() throws {
        let layer = ConvTranspose2d(3, 4, kernelSize: 4, stride: 2, padding: 1)
        try check("conv_transpose", layer, inputs: ["x"]) { layer($0[0]) }
        let padded = ConvTranspose2d(2, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, bias: false)
        try check("conv_transpose_output_padding", padded, inputs: ["x"]) { padded($0[0]) }
    }

    func testBatchNorm2dMatchesPyTorchInBothModes() throws {
        let layer = BatchNorm2d(4)
        try check("batch_norm_train", layer, inputs: ["x"]) { layer($0[0]) }
        layer.eval()
        try check("batch_norm_eval", layer, inputs: ["x"]) { layer($0[0]) }
    }

    func testAttentionPadAndUpsampleMatchPyTorch() throws {
        try check("attention", nil, inputs: ["q", "k", "v"]) { scaledDotProductAttention($0[0], $0[1], $0[2]) }
        try check("pad", nil, inputs: ["x"]) { $0[0].pad([1, 2, 3, 0], value: -0.5) }
        try check("upsample", nil, inputs: ["x"]) { Upsample(scaleFactor: 2)($0[0]) }
    }
}
