import Foundation
@testable import Plotting
import TensorCore
import XCTest

/// Rendered figures against recorded baselines, compared as decoded pixels
/// with a tolerance (STYLE rule 4). A missing baseline is written into
/// Baselines/ and the test fails, so that a recording never passes silently;
/// look at the new PNG, then commit it.
final class FigureTests: XCTestCase {
    let baselines = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Baselines")

    func assertMatchesBaseline(
        _ figure: Figure, named name: String, tolerance: Double = 2,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let png = figure.png()
        let url = baselines.appendingPathComponent(name + ".png")
        guard let recorded = try? Data(contentsOf: url) else {
            try Data(png).write(to: url)
            XCTFail(
                "No baseline for \(name): recorded \(url.path); look at it, then commit it.", file: file, line: line)
            return
        }
        let expected = try XCTUnwrap(PNG.decode(Array(recorded)), file: file, line: line)
        let actual = try XCTUnwrap(PNG.decode(png), file: file, line: line)
        XCTAssertEqual(actual.width, expected.width, file: file, line: line)
        XCTAssertEqual(actual.height, expected.height, file: file, line: line)
        guard actual.rgba.count == expected.rgba.count else { return }
        // Mean absolute difference per channel, in 0…255.
        let difference = zip(actual.rgba, expected.rgba).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        let mean = Double(difference) / Double(actual.rgba.count)
        if mean > tolerance {
            try Data(png).write(to: baselines.appendingPathComponent(name + ".actual.png"))
        }
        XCTAssertLessThanOrEqual(
            mean, tolerance, "\(name) differs from its baseline (mean |Δ| \(mean))", file: file, line: line)
    }

    /// Seed 000's grid of q(x_t), small: 2×3 panels of a noisy ring, red
    /// points with white edges, titles with subscripts, axes off.
    func testAScatterGridWithTitlesLikeSeed000() throws {
        let generator = Generator(seed: 1)
        let figure = Figure(rows: 2, columns: 3, width: 9, height: 3.5, dpi: 60)
        for panel in 0..<6 {
            let angle = rand(shape: [400], generator: generator).scalars.map { Double($0) * 2 * .pi }
            let noise = Double(panel) * 0.1
            let points =
                Tensor(angle.flatMap { [Float(cos($0)), Float(sin($0))] }, shape: [400, 2])
                + randn(shape: [400, 2], generator: generator) * Float(noise)
            let axes = figure[panel / 3, panel % 3]
            axes.scatter(points, color: .red, edgeColor: .white)
            axes.showAxes = false
            axes.title = "q(x_{\(panel * 5)})"
        }
        try assertMatchesBaseline(figure, named: "scatter-grid")
    }

    /// A grayscale ramp and an RGB image in a grid, titled, pixels sharp.
    func testAnImageGridFromGrayscaleAndRGBTensors() throws {
        let ramp = Tensor((0..<64).map { Float($0 % 8 + $0 / 8) }, shape: [8, 8])  // a diagonal gradient
        var rgb = [Float](repeating: 0, count: 3 * 8 * 8)
        for y in 0..<8 { for x in 0..<8 { rgb[y * 8 + x] = Float(x) / 7; rgb[128 + y * 8 + x] = Float(y) / 7 } }
        let color = Tensor(rgb, shape: [3, 8, 8])  // red grows to the right, blue downwards
        let figure = imageGrid(
            [ramp, color, Tensor(repeating: 0.5, shape: [1, 8, 8])], columns: 2, panelSize: 1.2,
            titles: ["ramp", "RGB", "x_{0}"])
        XCTAssertEqual(figure.pixelWidth, 240)
        let rgba = figure.renderRGBA()
        // The RGB panel's top-left image pixel is black and its top-right one red: find them by colour.
        XCTAssertTrue(
            stride(from: 0, to: rgba.count, by: 4).contains {
                rgba[$0] == 255 && rgba[$0 + 1] == 0 && rgba[$0 + 2] == 0
            })
        try assertMatchesBaseline(figure, named: "image-grid")
    }

    func testTitlesTurnTeXSubscriptsIntoUnicode() {
        XCTAssertEqual(subscripted("q(x_{10})"), "q(x₁₀)")
        XCTAssertEqual(subscripted("ᾱ_t and β_{t-1}"), "ᾱₜ and βₜ₋₁")
        XCTAssertEqual(subscripted("x_{T}"), "xT")  // no subscript capital T in Unicode
        XCTAssertEqual(subscripted("a_"), "a_")
    }

    func testALinePlotWithAxesLabelsAndALegend() throws {
        let figure = Figure(width: 5, height: 3.2, dpi: 72)
        let t = (0..<100).map(Double.init)
        figure[0, 0].plot(x: t, y: t.map { 1e-4 + (0.02 - 1e-4) * $0 / 99 }, label: "linear β")
        figure[0, 0].plot(x: t, y: t.map { 0.02 / (1 + exp(-($0 - 50) / 8)) }, label: "sigmoid β")
        figure[0, 0].title = "β_t"
        figure[0, 0].xlabel = "t"
        figure[0, 0].ylabel = "β"
        try assertMatchesBaseline(figure, named: "line-legend")
    }

    /// The legend goes to the corner with the least data under it.
    func testTheLegendAvoidsTheData() {
        let plot = Rect(x: 0, y: 0, width: 100, height: 100)
        let rising = (0..<100).map { (Double($0), 100 - Double($0)) }  // pixel y grows downwards
        let box = legendBox(size: (30, 20), in: plot, margin: 2, avoiding: rising)
        XCTAssertEqual(box.x, 2)  // upper left: the rising line fills the upper right
        XCTAssertEqual(box.y, 2)
        XCTAssertEqual(legendBox(size: (30, 20), in: plot, margin: 2, avoiding: []).x, 68, "upper right on a tie")
    }

    /// A combining mark is drawn above its base (β̃ must not read as β).
    func testCombiningMarksSplitOffTheirBase() {
        XCTAssertEqual(
            TextRun.split("σ² = β̃, 100 steps"),
            [TextRun(base: "σ² = β", mark: "\u{02DC}"), TextRun(base: ", 100 steps", mark: nil)])
        XCTAssertEqual(TextRun.split("plain"), [TextRun(base: "plain", mark: nil)])
        let tilde = Figure(width: 1, height: 0.5, dpi: 100), plain = Figure(width: 1, height: 0.5, dpi: 100)
        tilde[0, 0].title = "β̃"
        plain[0, 0].title = "β"
        tilde[0, 0].showAxes = false
        plain[0, 0].showAxes = false
        XCTAssertNotEqual(tilde.renderRGBA(), plain.renderRGBA())
    }

    /// Text in a figure wider than the notebook's column grows with it, so
    /// that it reads at its usual size when JupyterLab shrinks the figure.
    func testTextInAWideFigureIsDrawnLarger() {
        func titleHeight(_ figure: Figure) -> Int {
            figure[0, 0].title = "q(x_{10})"
            figure[0, 0].showAxes = false
            let rgba = figure.renderRGBA()
            let rows = (0..<figure.pixelHeight).filter { y in
                (0..<figure.pixelWidth / figure.columns).contains { x in rgba[(y * figure.pixelWidth + x) * 4] < 128 }
            }
            return (rows.max() ?? 0) - (rows.min() ?? 0)
        }
        let narrow = Figure(columns: 1, width: 2.8, height: 3, dpi: 100)
        let wide = Figure(columns: 10, width: 28, height: 3, dpi: 100)
        XCTAssertEqual(narrow.legibilityScale, 1)
        XCTAssertEqual(wide.legibilityScale, 2.8, accuracy: 1e-9)
        // Ink heights are whole pixels, hence the tolerance.
        XCTAssertEqual(Double(titleHeight(wide)) / Double(titleHeight(narrow)), 2.8, accuracy: 0.5)
    }
}
