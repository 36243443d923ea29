import Foundation
import XCTest

@testable import NN
@testable import TensorCore

/// A block shaped like seed 003's: BatchNorm buffers and a mode-dependent
/// layer inside a list, to check names, buffers and modes through nesting.
final class NormBlock: Module {
    let conv = Conv2d(2, 4, kernelSize: 3, padding: 1)
    let bnorm = BatchNorm2d(4)
    let tail = Sequential {
        Dropout(p: 0.5); Identity()
    }
}

final class ImageLayerTests: XCTestCase {
    func testBuffersHavePyTorchsNamesAndAreNotParameters() {
        let model = NormBlock()
        XCTAssertEqual(
            model.namedParameters().map(\.name), ["conv.weight", "conv.bias", "bnorm.weight", "bnorm.bias"])
        XCTAssertEqual(
            model.namedBuffers().map(\.name),
            ["bnorm.running_mean", "bnorm.running_var", "bnorm.num_batches_tracked"])
        XCTAssertEqual(model.namedBuffers().map(\.buffer.dtype), [.f32, .f32, .i64])
        XCTAssertEqual(
            Set(model.stateDict().keys),
            Set(model.namedParameters().map(\.name) + model.namedBuffers().map(\.name)))
    }

    func testTrainAndEvalReachEveryModeDependentModule() {
        let model = NormBlock()
        let dropout = model.tail.layers[0] as! Dropout
        XCTAssertTrue(model.isTraining)
        model.eval()
        XCTAssertFalse(model.bnorm.training)
        XCTAssertFalse(dropout.training)
        XCTAssertFalse(model.isTraining)
        model.train()
        XCTAssertTrue(model.bnorm.training && dropout.training)
        model.bnorm.training = false  // a mixed state is put back as it was
        model.withEvaluationMode { XCTAssertFalse(dropout.training) }
        XCTAssertTrue(dropout.training)
        XCTAssertFalse(model.bnorm.training)
    }

    /// torch.nn.BatchNorm2d(2) after one training call on this batch:
    /// running_mean = 0.9·0 + 0.1·μ, running_var = 0.9·1 + 0.1·σ²·M/(M − 1),
    /// num_batches_tracked = 1; in evaluation it normalises with those.
    func testBatchNormUpdatesRunningStatisticsOnlyInTraining() {
        let bn = BatchNorm2d(2)
        // Channel 0 holds 1, 2, 3, 4 and channel 1 holds 10, 10, 10, 14 (two images of 1×2).
        let x = Tensor([1, 2, 10, 10, 3, 4, 10, 14], shape: [2, 2, 1, 2])
        _ = bn(x)
        XCTAssertEqual(bn.runningMean.scalars[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean.scalars[1], 1.1, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar.scalars[0], 0.9 + 0.1 * Float(5.0 / 3.0), accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar.scalars[1], 0.9 + 0.1 * 4, accuracy: 1e-6)
        XCTAssertEqual(bn.numBatchesTracked.item(), 1)
        bn.eval()
        let y = bn(x)
        XCTAssertEqual(bn.numBatchesTracked.item(), 1, "evaluation changes nothing")
        XCTAssertEqual(y.scalars[0], (1 - 0.25) / (bn.runningVar.scalars[0] + 1e-5).squareRoot(), accuracy: 1e-6)
    }

    func testBatchNormBuffersRoundTripThroughSafetensorsAsInt64() throws {
        let model = NormBlock()
        _ = model.bnorm(randn(4, 4, 3, 3))
        _ = model.bnorm(randn(4, 4, 3, 3))
        let path = NSTemporaryDirectory() + "norm-block-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)).prefix(2000), as: UTF8.self)
        XCTAssertTrue(header.contains("\"bnorm.num_batches_tracked\":{\"data_offsets\""), header)
        XCTAssertTrue(header.contains("\"dtype\":\"I64\""), "PyTorch keeps the counter as int64")
        let restored = NormBlock()
        try restored.load(from: path)
        XCTAssertEqual(restored.bnorm.numBatchesTracked.item(), 2)
        XCTAssertEqual(restored.bnorm.runningMean.scalars, model.bnorm.runningMean.scalars)
        XCTAssertEqual(restored.bnorm.runningVar.scalars, model.bnorm.runningVar.scalars)
    }

    func testDropoutScalesKeptElementsAndPassesThroughInEvaluation() {
        let layer = Dropout(p: 0.25, generator: Generator(seed: 7))
        let x = ones(shape: [100_000]).requiringGrad()
        let y = layer(x)
        let values = y.scalars
        let dropped = values.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 100_000, 0.25, accuracy: 0.01)
        XCTAssertTrue(values.allSatisfy { $0 == 0 || Swift.abs($0 - 4 / 3) < 1e-6 }, "kept elements × 1/(1 − p)")
        y.sum().backward()
        XCTAssertEqual(x.grad!.scalars, values, "the gradient is the same mask and scale")
        layer.eval()
        XCTAssertTrue(layer(x) === x)
        XCTAssertTrue(Dropout(p: 0)(x) === x)
    }

    func testConvTransposeUpsampleAndIdentityShapes() {
        let x = randn(2, 3, 5, 6)
        XCTAssertEqual(ConvTranspose2d(3, 4, kernelSize: 4, stride: 2, padding: 1)(x).shape, [2, 4, 10, 12])
        XCTAssertEqual(
            ConvTranspose2d(3, 4, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)(x).shape, [2, 4, 10, 12])
        XCTAssertEqual(Upsample(scaleFactor: 2)(x).shape, [2, 3, 10, 12])
        XCTAssertTrue(Identity()(x) === x)
        XCTAssertEqual(ConvTranspose2d(3, 4, kernelSize: 4).weight.shape, [3, 4, 4, 4], "PyTorch's [in, out, k, k]")
        XCTAssertTrue(Identity().namedParameters().isEmpty)
    }
}
