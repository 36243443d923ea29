import DDPM
import Foundation
import XCTest

/// `imageFolder` against Pillow: Images/folder holds gray, RGB, RGBA,
/// palette PNGs and gray and RGB JPEGs with numeric names out of order;
/// Images/expected.json is what Pillow makes of them (composed over white,
/// BOX-resized from 20×20 to 10×10, in [−1, 1]), written by
/// Images/make_image_fixtures.py. Pillow's BOX weighs whole pixels, so the
/// fractional overlaps of the area filter are checked by hand below.
final class ImageFolderTests: XCTestCase {
    let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Images")

    struct Expected: Decodable {
        let order: [String]
        let rgb: [[[[Double]]]]
        let gray: [[[[Double]]]]
    }

    func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: images.appendingPathComponent("expected.json")))
    }

    func testReadsEveryKindInSeedOrderAsPillowDoes() throws {
        let reference = try expected()
        XCTAssertEqual(reference.order, ["1.jpg", "2.png", "3.jpeg", "4.png", "10.png", "20.png"])
        for (channels, values) in [(3, reference.rgb), (1, reference.gray)] {
            let batch = try imageFolder(images.appendingPathComponent("folder").path, size: 10, channels: channels)
            XCTAssertEqual(batch.shape, [6, channels, 10, 10])
            let flat = values.flatMap { $0.flatMap { $0.flatMap { $0 } } }
            var worst = 0.0
            for (a, b) in zip(batch.scalars, flat) { worst = max(worst, abs(Double(a) - b)) }
            // JPEG decoders may differ by a level or two (Pillow bundles its own libjpeg-turbo).
            XCTAssertLessThan(worst, 3 / 127.5, "channels \(channels): largest difference \(worst)")
            XCTAssertEqual(batch.scalars.min()!, Float(flat.min()!), accuracy: 0.03)
        }
    }

    /// 3 pixels to 2: each output covers 1.5 inputs, the middle one half each.
    func testTheAreaFilterWeighsPartlyCoveredPixels() throws {
        let folder = try temporaryFolder()
        let row: [UInt8] = [0, 90, 255]
        try Data(PNG.encode(gray: row + row + row, width: 3, height: 3)).write(
            to: folder.appendingPathComponent("0.png"))
        let batch = try imageFolder(folder.path, size: 2, channels: 1)
        let left = (0 + 0.5 * 90) / 1.5, right = (0.5 * 90 + 255) / 1.5
        for (value, expected) in zip(batch.scalars, [left, right, left, right]) {
            XCTAssertEqual(Double(value), expected / 127.5 - 1, accuracy: 1e-5)
        }
    }

    func testSeedOrderPutsNumbersFirstInNumericOrder() throws {
        let folder = try temporaryFolder()
        let gray = PNG.encode(gray: [UInt8](repeating: 200, count: 4), width: 2, height: 2)
        let dark = PNG.encode(gray: [UInt8](repeating: 0, count: 4), width: 2, height: 2)
        try Data(dark).write(to: folder.appendingPathComponent("b.png"))
        try Data(gray).write(to: folder.appendingPathComponent("10.png"))
        try Data(dark).write(to: folder.appendingPathComponent("9.png"))
        let batch = try imageFolder(folder.path, size: 2, channels: 1)
        // 9.png (dark), 10.png (light), b.png (dark)
        XCTAssertEqual(
            batch.scalars.map { $0 > 0 },
            [false, false, false, false, true, true, true, true] + [false, false, false, false])
    }

    func testABadFileIsNamedWithTheReason() throws {
        let folder = try temporaryFolder()
        try Data(PNG.encode(gray: [0, 0, 0, 0], width: 2, height: 2)).write(to: folder.appendingPathComponent("0.png"))
        try Data("not a png".utf8).write(to: folder.appendingPathComponent("1.png"))
        XCTAssertThrowsError(try imageFolder(folder.path, size: 2)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("1.png") && text.contains("not a readable PNG"), text)
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("1.png"))
        let jpeg = try Data(contentsOf: images.appendingPathComponent("folder/1.jpg"))
        try jpeg.prefix(100).write(to: folder.appendingPathComponent("2.jpg"))  // cut short
        XCTAssertThrowsError(try imageFolder(folder.path, size: 2)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("2.jpg") && text.contains("not a readable JPEG"), text)
        }
    }

    func testAnEmptyFolderAndAMissingOneSaySo() throws {
        let folder = try temporaryFolder()
        try Data("file,label\n".utf8).write(to: folder.appendingPathComponent("labels.csv"))
        XCTAssertThrowsError(try imageFolder(folder.path, size: 8)) { error in
            XCTAssertTrue("\(error)".contains("holds no PNG or JPEG files"), "\(error)")
        }
        XCTAssertThrowsError(try imageFolder(folder.appendingPathComponent("missing").path, size: 8)) { error in
            XCTAssertTrue("\(error)".contains("is not a folder"), "\(error)")
        }
    }

    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("imagefolder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
