import XCTest

@testable import Plotting

/// The colour hash table of palettes and pixel runs, across its growth (it
/// doubles when half full, from 1,024 slots).
final class ColorTableTests: XCTestCase {
    func testCountsSurviveTheTableGrowingInTheMiddleOfAnAdd() {
        let table = ColorTable()
        let colors = (0..<3_000).map { UInt32($0 &* 2_654_435_761 & 0xFF_FFFF) }  // distinct 24-bit words
        XCTAssertEqual(Set(colors).count, colors.count)
        for (i, color) in colors.enumerated() { table.add(color, i + 1) }
        for color in colors { table.add(color, 1) }  // a second add to each
        XCTAssertEqual(table.count, colors.count)
        for (i, color) in colors.enumerated() { XCTAssertEqual(table.value(color), i + 2, "colour \(i)") }
        XCTAssertNil(table.value(0xFF_FFFF + 1))
    }

    func testNumbersAreGivenInOrderOfFirstAppearance() {
        let table = ColorTable()
        var next = 0
        for color in (0..<2_000).map({ UInt32($0 * 7) }) + [0, 7, 14] {
            let number = table.number(color, next: next)
            if number == next { next += 1 }
        }
        XCTAssertEqual(next, 2_000)
        XCTAssertEqual(table.number(14, next: next), 2)
        XCTAssertEqual(table.entries.count, 2_000)
    }
}
