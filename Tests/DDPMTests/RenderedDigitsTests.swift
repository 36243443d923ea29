import XCTest

@testable import DDPM
import TensorCore

/// The embedded digits of the image tutorials (issue 13): deterministic for a
/// seed, every digit present, ink on a black ground in the seeds' [−1, 1].
final class RenderedDigitsTests: XCTestCase {
    func testDigitsAreDeterministicLabelledImagesInTheSeedsRange() {
        let (images, labels) = renderedDigits(count: 200, size: 28, seed: 7)
        XCTAssertEqual(images.shape, [200, 1, 28, 28])
        XCTAssertEqual(labels.count, 200)
        XCTAssertEqual(Set(labels), Set(0..<10), "all ten digits appear")
        let values = images.scalars
        XCTAssertGreaterThanOrEqual(values.min()!, -1)
        XCTAssertLessThanOrEqual(values.max()!, 1)
        // Every image has ink on a black ground: between 5% and 60% of its pixels.
        for n in 0..<200 {
            let inked = values[(n * 784)..<((n + 1) * 784)].filter { $0 > 0 }.count
            XCTAssertTrue((39...470).contains(inked), "image \(n) (digit \(labels[n])) has \(inked) inked pixels")
        }
        let again = renderedDigits(count: 200, size: 28, seed: 7)
        XCTAssertEqual(again.images.scalars, values)
        XCTAssertEqual(again.labels, labels)
        XCTAssertNotEqual(renderedDigits(count: 200, size: 28, seed: 8).images.scalars, values)
        XCTAssertEqual(renderedDigits(count: 3, size: 16).images.shape, [3, 1, 16, 16])
    }
}

/// The embedded RGB set: coloured circles, squares and triangles.
final class RenderedShapesTests: XCTestCase {
    func testShapesAreDeterministicColouredImagesInTheSeedsRange() {
        let (images, labels) = renderedShapes(count: 90, size: 32, seed: 3)
        XCTAssertEqual(images.shape, [90, 3, 32, 32])
        XCTAssertEqual(Set(labels), [0, 1, 2])
        let values = images.scalars
        XCTAssertGreaterThanOrEqual(values.min()!, -1)
        XCTAssertLessThanOrEqual(values.max()!, 1)
        for n in 0..<90 {
            // The shape covers between 3% (the smallest triangle) and 60% of the frame, in a colour.
            let red = values[(n * 3072)..<(n * 3072 + 1024)]
            let green = values[(n * 3072 + 1024)..<(n * 3072 + 2048)]
            let blue = values[(n * 3072 + 2048)..<(n * 3072 + 3072)]
            let covered = zip(zip(red, green), blue).filter { Swift.max($0.0, $0.1, $1) > 0 }
            XCTAssertTrue((30...615).contains(covered.count), "image \(n) (shape \(labels[n])): \(covered.count) px")
            let spread = covered.map { Swift.max($0.0, $0.1, $1) - Swift.min($0.0, $0.1, $1) }.max() ?? 0
            XCTAssertGreaterThan(spread, 0.9, "image \(n) is coloured, not grey")
        }
        XCTAssertEqual(renderedShapes(count: 90, size: 32, seed: 3).images.scalars, values)
    }
}
