import DDPM
import XCTest

/// What the DSL's values show when they are a cell's last value.
final class DisplaysTests: XCTestCase {
    func image(_ bundle: MimeBundle, _ type: String) -> [UInt8]? {
        bundle.string(type).flatMap { Data(base64Encoded: $0) }.map(Array.init)
    }

    func testASchedulesCurvesAndText() throws {
        let bundle = NoiseSchedule(.cosine, steps: 50).mimeBundle
        let png = try XCTUnwrap(PNG.decode(try XCTUnwrap(image(bundle, "image/png"))))
        XCTAssertEqual(png.width, 720)  // 9 × 3 inches at 80 dpi
        XCTAssertEqual(png.height, 240)
        XCTAssertTrue(bundle.string("text/plain")!.hasPrefix("NoiseSchedule(squaredcos_cap_v2, T = 50"))
    }

    func testAPointSetShowsItsScatterAndOtherTensorsTheirText() throws {
        let points = swissRoll(count: 500, generator: Generator(seed: 1))
        XCTAssertNotNil(image(points.mimeBundle, "image/png"))
        XCTAssertEqual(points.mimeBundle.text, points.description)
        let small = Tensor([1, 2, 3])
        XCTAssertEqual(small.mimeBundle.data, ["text/plain": "tensor([1., 2., 3.], shape: [3])"])
    }

    func testATrajectoryShowsAStripAndBecomesAnAnimation() throws {
        let schedule = NoiseSchedule(.linear, steps: 20)
        let model = MLPDiffusion(steps: 20, width: 8, generator: Generator(seed: 2))
        let trajectory = DDPMSampler(schedule: schedule).sample(model, count: 50, generator: Generator(seed: 3))
        let strip = try XCTUnwrap(PNG.decode(try XCTUnwrap(image(trajectory.mimeBundle, "image/png"))))
        XCTAssertEqual(strip.width, 1680)  // 10 panels of 2.8 inches at 60 dpi
        let gif = try XCTUnwrap(image(trajectory.animation(every: 5).mimeBundle, "image/gif"))
        XCTAssertEqual(Array(gif.prefix(6)), Array("GIF89a".utf8))
        XCTAssertEqual(trajectory.animation(every: 5).frames.count, 5)  // frames 0, 5, 10, 15 and 20, the last
    }

    func testAModelShowsItsParameters() {
        let bundle = MLPDiffusion(steps: 100).mimeBundle
        // 2·128 + 128 + 2·(128·128 + 128) + 128·2 + 2 + 3·100·128, as torch counts the seed's MLPDiffusion.
        XCTAssertTrue(bundle.string("text/plain")!.hasPrefix("MLPDiffusion: 72066 parameters\n"))
        XCTAssertTrue(
            bundle.string("text/html")!.contains(
                "<code>step_embeddings.2.weight</code></td><td>[100, 128]</td><td>12800</td>"))
    }
}
