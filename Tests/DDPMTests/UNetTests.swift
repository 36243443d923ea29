import Foundation
import XCTest

@testable import DDPM
import NN
import TensorCore

/// The seeds' networks against their own PyTorch classes: the goldens in
/// Goldens/ were written by make_unet_goldens.py from seed_unets.py (the
/// seeds' classes, verbatim) with torch 2.13.0+cpu. Loading a PyTorch state
/// dict with every key (buffers included) proves the names; the outputs and
/// the gradients of L = Σ out ⊙ w prove the structure, forward and backward.
final class UNetTests: XCTestCase {
    static let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    func golden(_ name: String) throws -> [String: Tensor] {
        try Safetensors.read(from: UNetTests.goldens.appendingPathComponent(name).path).tensors
    }

    /// Loads the golden's state into `model`: strictly, so every key of the
    /// PyTorch state dict must be one of the model's and back.
    func load(_ model: Module, from golden: [String: Tensor]) throws {
        let keys = Set(model.stateDict().keys)
        try model.loadStateDict(golden.filter { keys.contains($0.key) })
        let cases = ["input.", "grad.", "after.", "eval."]
        let torchKeys = Set(golden.keys.filter { key in key != "output" && !cases.contains { key.hasPrefix($0) } })
        XCTAssertEqual(keys, torchKeys, "the Swift state dict has exactly PyTorch's keys")
    }

    /// Largest difference relative to the reference's scale (at least 1).
    func assertClose(_ got: Tensor, _ want: Tensor, _ what: String, tolerance: Float = 1e-4, line: UInt = #line) {
        XCTAssertEqual(got.shape, want.shape, what, line: line)
        guard got.shape == want.shape else { return }
        let scale = max(1, want.scalars.map(abs).max() ?? 0)
        let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(
            worst / scale, tolerance, "\(what): largest difference \(worst) at scale \(scale)", line: line)
    }

    /// Runs L = Σ model(x) ⊙ w backward and compares output and gradients
    /// with the golden's (`prefix` picks the case).
    func compare(
        _ model: Module, _ golden: [String: Tensor], prefix: String = "", line: UInt = #line,
        _ forward: (Tensor) -> Tensor
    ) {
        model.zeroGrad()
        let x = golden["input.x"]!.copy().requiringGrad()
        let out = forward(x)
        (out * golden["input.w"]!).sum().backward()
        assertClose(out, golden[prefix + "output"]!, prefix + "output", line: line)
        assertClose(x.grad!, golden[prefix + "grad.x"]!, prefix + "∂L/∂x", line: line)
        for (name, parameter) in model.namedParameters() {
            guard let want = golden[prefix + "grad." + name] else {
                XCTFail("no golden gradient for \(name)", line: line)
                continue
            }
            assertClose(parameter.grad ?? zeros(like: parameter), want, prefix + "∂L/∂" + name, line: line)
        }
    }

    func testUNetOfSeed001MatchesPyTorchForwardAndBackward() throws {
        let golden = try golden("unet.safetensors")
        let model = UNet(
            imageChannels: 1, baseChannels: 8, channelMults: [1, 2], resBlocks: 1, timeEmbeddingDim: 16,
            dropout: 0.1, attentionResolutions: [1], groups: 4, classes: 3)
        try load(model, from: golden)
        model.eval()
        let t = golden["input.t"]!.scalars.map { Int($0) }
        let y = golden["input.y"]!.scalars.map { Int($0) }
        compare(model, golden) { model($0, t, labels: y) }
    }

    func testSimpleUnetOfSeed003MatchesPyTorchInBothModes() throws {
        let golden = try golden("simple_unet.safetensors")
        let model = SimpleUnet(imageChannels: 3, downChannels: [8, 16, 32], timeEmbeddingDim: 8)
        try load(model, from: golden)
        let t = golden["input.t"]!.scalars.map { Int($0) }
        model.train()
        compare(model, golden) { model($0, t) }
        for (name, buffer) in model.namedBuffers() {
            assertClose(buffer.wrappedValue, golden["after." + name]!, "\(name) after a training call")
        }
        model.eval()
        compare(model, golden, prefix: "eval.") { model($0, t) }
    }

    func testShapeWalksFollowTheSeedsStructure() {
        let unet = UNet(
            imageChannels: 1, baseChannels: 32, channelMults: [1, 2, 2], resBlocks: 1, timeEmbeddingDim: 128,
            attentionResolutions: [2], groups: 8)
        let walk = unet.shapeWalk(zeros(2, 1, 16, 16), [0, 1])
        XCTAssertEqual(walk.rows.first?.name, "time_mlp")
        XCTAssertEqual(walk.rows.first?.shape, [2, 128])
        let byName = Dictionary(uniqueKeysWithValues: walk.rows.map { ($0.name, $0) })
        XCTAssertEqual(byName["downs.1"]?.kind, "Downsample")
        XCTAssertEqual(byName["downs.1"]?.shape, [2, 32, 8, 8])
        XCTAssertEqual(byName["mid.0"]?.kind, "ResidualBlock + attention")
        XCTAssertEqual(byName["mid.0"]?.shape, [2, 64, 4, 4])
        XCTAssertEqual(walk.rows.last?.shape, [2, 1, 16, 16])
        XCTAssertTrue(walk.description.contains("ups.3"), walk.description)

        let simple = SimpleUnet(imageChannels: 3, downChannels: [32, 64, 128], timeEmbeddingDim: 32)
        let steps = simple.shapeWalk(zeros(2, 3, 32, 32), [0, 1]).rows.map { "\($0.name) \($0.shape)" }
        XCTAssertEqual(
            steps,
            [
                "time_mlp [2, 32]", "conv0 [2, 32, 32, 32]", "downs.0 [2, 64, 16, 16]", "downs.1 [2, 128, 8, 8]",
                "ups.0 [2, 64, 16, 16]", "ups.1 [2, 32, 32, 32]", "output [2, 3, 32, 32]",
            ])
    }

    func testParameterTablesCountAsPyTorchDoes() {
        // sum(p.numel() for p in model.parameters()) of the seeds' classes, from seed_unets.py.
        let unet = UNet(
            imageChannels: 1, baseChannels: 8, channelMults: [1, 2], resBlocks: 1, timeEmbeddingDim: 16,
            dropout: 0.1, attentionResolutions: [1], groups: 4, classes: 3)
        XCTAssertEqual(unet.parameterTable().total, 42_689)
        let simple = SimpleUnet(imageChannels: 3, downChannels: [8, 16, 32], timeEmbeddingDim: 8)
        let table = simple.parameterTable()
        XCTAssertEqual(table.total, 58_755)
        XCTAssertTrue(table.rows.contains { $0.name == "downs.0.bnorm1.num_batches_tracked" && $0.isBuffer })
        let grouped = simple.parameterTable(depth: 2)
        XCTAssertEqual(grouped.rows.map(\.name).prefix(3), ["time_mlp.1", "conv0", "downs.0"])
        XCTAssertEqual(grouped.rows[2].detail, "Block")
        XCTAssertEqual(grouped.rows.reduce(0) { $0 + $1.count }, 58_755)
        XCTAssertEqual(
            simple.parameterTable(depth: 1).rows.map(\.detail),
            ["Sequential", "Conv2d", "ModuleList", "ModuleList", "Conv2d"])
    }

    func testBadInputsSayWhatToDo() {
        // fail() traps; the messages are checked where they can be: the shape rules up front.
        let unet = UNet(
            imageChannels: 1, baseChannels: 8, channelMults: [1, 2], resBlocks: 1, timeEmbeddingDim: 16, groups: 4)
        XCTAssertEqual(unet(zeros(1, 1, 28, 28), [5]).shape, [1, 1, 28, 28], "28 is a multiple of 2")
        let padded = UNet(
            imageChannels: 1, baseChannels: 8, channelMults: [1, 2, 2], resBlocks: 1, timeEmbeddingDim: 16, groups: 4,
            initialPad: 2)
        XCTAssertEqual(padded(zeros(1, 1, 28, 28), [5]).shape, [1, 1, 28, 28], "seed 001's initial_pad for 28×28")
    }
}
