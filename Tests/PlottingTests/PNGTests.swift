import Plotting
import XCTest

final class PNGTests: XCTestCase {
    func testRoundTripThroughLibpng() throws {
        let width = 7, height = 3
        let rgba = (0..<(width * height * 4)).map { UInt8(($0 * 37) % 256) }
        let png = PNG.encode(rgba: rgba, width: width, height: height)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])  // the PNG signature
        let decoded = try XCTUnwrap(PNG.decode(png))
        XCTAssertEqual(decoded.width, width)
        XCTAssertEqual(decoded.height, height)
        XCTAssertEqual(decoded.rgba, rgba)
        XCTAssertNil(PNG.decode([1, 2, 3]))
    }
}
