import Foundation
import XCTest

@testable import NN
@testable import TensorCore

final class SafetensorsTests: XCTestCase {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    func testByteLayoutFollowsTheFormat() throws {
        // The layout of huggingface/safetensors' README: an 8-byte little-endian
        // header length, a JSON header padded with spaces, then the raw data.
        let bytes = try Safetensors.encode(["w": Tensor([1, 2], shape: [1, 2])], metadata: ["format": "pt"])
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(bytes[2..<8].allSatisfy { $0 == 0 }, true)
        XCTAssertEqual((8 + headerLength) % 8, 0, "data starts 8-byte aligned")
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertEqual(
            header.trimmingCharacters(in: .whitespaces),
            #"{"__metadata__":{"format":"pt"},"w":{"data_offsets":[0,8],"dtype":"F32","shape":[1,2]}}"#)
        XCTAssertEqual(Array(bytes[(8 + headerLength)...]), [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])  // 1.0, 2.0
    }

    func testDecodesOtherDtypes() throws {
        // A header as Python's safetensors writes it, with F64, F16 and BF16 data.
        let header =
            #"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"#
            + #""c":{"dtype":"BF16","shape":[1],"data_offsets":[12,14]}}"#
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(header.utf8)
        withUnsafeBytes(of: (-2.5).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        bytes += [0x00, 0x3C, 0x00, 0xC2]  // F16 1.0 and −3.0
        bytes += [0xC0, 0x3F]  // BF16 1.5
        let (tensors, _) = try Safetensors.decode(bytes)
        XCTAssertEqual(tensors["a"]?.scalars, [-2.5])
        XCTAssertEqual(tensors["b"]?.scalars, [1, -3])
        XCTAssertEqual(tensors["c"]?.scalars, [1.5])
    }

    func testModelRoundTrip() throws {
        let path = temporaryPath("model.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let saved = ListModel()
        try saved.save(to: path, metadata: ["steps": "100"])
        let restored = ListModel()
        XCTAssertNotEqual(restored.linears[0].weight.scalars, saved.linears[0].weight.scalars)
        try restored.load(from: path)
        for ((name, a), (_, b)) in zip(saved.namedParameters(), restored.namedParameters()) {
            XCTAssertEqual(a.scalars, b.scalars, name)
        }
        XCTAssertEqual(try Safetensors.read(from: path).metadata, ["steps": "100"])
    }

    func testMismatchedCheckpointChangesNothing() throws {
        let path = temporaryPath("other.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Sequential { Linear(2, 3) }.save(to: path)
        let model = Sequential { Linear(2, 4) }
        let before = model.parameters().map(\.scalars)
        XCTAssertThrowsError(try model.load(from: path)) { error in
            XCTAssertTrue(error is CheckpointError, "a mismatch is the checkpoint's, not the file format's")
            XCTAssertTrue(
                "\(error)".contains("0.weight has shape [3, 2] in the checkpoint but [4, 2]"),
                "\(error)")
        }
        XCTAssertEqual(model.parameters().map(\.scalars), before)
        XCTAssertThrowsError(try ListModel().load(from: path)) { error in
            XCTAssertTrue("\(error)".contains("missing linears.0.weight"), "\(error)")
            XCTAssertTrue("\(error)".contains("unexpected 0.bias, 0.weight"), "\(error)")
        }
    }

    func testCorruptFilesFailWithASentence() {
        XCTAssertThrowsError(try Safetensors.decode([1, 2, 3])) { XCTAssertTrue("\($0)".contains("fewer than")) }
        XCTAssertThrowsError(try Safetensors.decode([0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B])) {
            XCTAssertTrue("\($0)".contains("truncated"))
        }
        XCTAssertThrowsError(try Safetensors.read(from: "/nonexistent/x.safetensors")) {
            XCTAssertTrue("\($0)".contains("no such file"))
        }
    }
}
