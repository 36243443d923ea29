import DDPM
import XCTest

/// Image tensors as pictures, checked pixel by pixel: values in [−1, 1]
/// (clamped) map to 0…255, and every image pixel is an equal square of
/// identical canvas pixels (sharp, no blending).
final class ImageDisplayTests: XCTestCase {
    func png(_ bundle: MimeBundle) throws -> (rgba: [UInt8], width: Int, height: Int) {
        let bytes = try XCTUnwrap(bundle.string("image/png").flatMap { Data(base64Encoded: $0) })
        return try XCTUnwrap(PNG.decode(Array(bytes)))
    }

    func testABatchShowsSharpSquarePixelsReadOnMinusOneToOne() throws {
        // 4×4 gray values from −1 up in steps of 0.1, the last 3 (clamped to white); a second image, all −2 (black).
        var values = (0..<15).map { -1 + 0.1 * Float($0) }
        values.append(3)
        let batch = Tensor(values + [Float](repeating: -2, count: 16), shape: [2, 1, 4, 4])
        let image = try png(batch.mimeBundle)
        XCTAssertEqual(batch.mimeBundle.text, batch.description)
        // The first image's box: the first non-white pixel from the top left, scanning rows.
        func pixel(_ x: Int, _ y: Int) -> [UInt8] {
            Array(image.rgba[(4 * (y * image.width + x))..<(4 * (y * image.width + x) + 3)])
        }
        var origin: (x: Int, y: Int)? = nil
        search: for y in 0..<image.height {
            for x in 0..<image.width where pixel(x, y) != [255, 255, 255] {
                origin = (x, y)
                break search
            }
        }
        let (x0, y0) = try XCTUnwrap(origin)
        var side = 0
        while pixel(x0 + side, y0) == pixel(x0, y0) { side += 1 }  // one image pixel's width
        XCTAssertGreaterThan(side, 4)
        for row in 0..<4 {
            for column in 0..<4 {
                let expected = UInt8(max(0, min(255, ((Double(values[row * 4 + column]) + 1) / 2 * 255).rounded())))
                for dy in 0..<side {
                    for dx in 0..<side {
                        let p = pixel(x0 + column * side + dx, y0 + row * side + dy)
                        XCTAssertEqual(
                            p, [expected, expected, expected], "pixel (\(row), \(column)) at +(\(dx), \(dy))")
                    }
                }
            }
        }
    }

    func testAnRGBImageKeepsItsColoursExactly() throws {
        // 300 distinct colours: more than a palette holds, so the PNG must stay RGB.
        let count = 20 * 15
        let r = (0..<count).map { Float($0 % 20) / 19 * 2 - 1 }, g = (0..<count).map { Float($0 / 20) / 14 * 2 - 1 }
        let image = Tensor(r + g + [Float](repeating: 0, count: count), shape: [1, 3, 15, 20])
        let decoded = try png(image.mimeBundle)
        var colours = Set<[UInt8]>()
        for i in 0..<(decoded.width * decoded.height) { colours.insert(Array(decoded.rgba[(4 * i)..<(4 * i + 3)])) }
        for i in 0..<count {
            let expected = [r[i], g[i], 0].map { UInt8(((Double($0) + 1) / 2 * 255).rounded()) }
            XCTAssertTrue(colours.contains(expected), "colour \(expected) of pixel \(i) is missing")
        }
    }

    func testSeed003sRowAndTheGridOfABatchAtOneStep() {
        let schedule = NoiseSchedule(.linear, steps: 300)
        let digits = renderedDigits(count: 16, size: 16, seed: 1)
        let row = schedule.forwardRow(digits.images[0])
        XCTAssertEqual(row.axes.count, 10)
        XCTAssertEqual((0..<10).map { row[0, $0].title! }, (0..<10).map { "t=\($0 * 299 / 9)" })
        let grid = schedule.forwardGrid(digits.images, t: 50, columns: 8)
        XCTAssertEqual(grid.axes.count, 16)
        XCTAssertEqual(grid.pixelWidth, 4 * grid.pixelHeight)  // 8 × 2 square panels
    }

    func testAnImageTrajectoryShowsRowsOfSamplesAndAGridAnimation() throws {
        let schedule = NoiseSchedule(.linear, steps: 20)
        let model = UNet(
            imageChannels: 1, baseChannels: 8, channelMults: [1], resBlocks: 1, timeEmbeddingDim: 16,
            attentionResolutions: [], groups: 4, generator: Generator(seed: 1))
        let path = DDPMSampler(schedule: schedule).sample(model, shape: [4, 1, 8, 8], keepEvery: 2)
        XCTAssertEqual(path.frames.count, 11)
        let strip = path.strip(panels: 10, rows: 2)
        XCTAssertEqual(strip.axes.count, 20)
        XCTAssertEqual(strip[0, 0].title, "x_T")
        XCTAssertEqual(strip[0, 9].title, "x_{0}")
        XCTAssertEqual(strip[1, 0].title, "")
        let animation = path.animation(every: 2, count: 4)
        XCTAssertEqual(animation.frames.count, 6)  // frames 0, 2, …, 10
        XCTAssertEqual(animation.frames[0].axes.count, 4)  // one row of 4
        let gif = animation.gif()
        XCTAssertEqual(Array(gif.prefix(6)), Array("GIF89a".utf8))
    }
}
