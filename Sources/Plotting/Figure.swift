import Foundation
import NotebookDisplay
import TensorCore
internal import CCairo

/// A figure: a grid of panels (`Axes`), `width` × `height` inches at `dpi`,
/// as matplotlib's `plt.subplots(rows, columns, figsize:)`. It shows itself
/// inline as a PNG when it is a cell's last value.
///
///     let figure = Figure(rows: 2, columns: 10, width: 28, height: 3)
///     figure[0, 3].scatter(points, color: .red, edgeColor: .white)
///     figure[0, 3].title = "q(x₁₅)"
public final class Figure {
    /// Panels down and across (matplotlib's `plt.subplots(rows, columns)`).
    public let rows: Int
    public let columns: Int
    /// The size in inches (`figsize`); pixels are inches × `dpi`.
    public let width: Double
    public let height: Double
    /// Pixels per inch of the PNG (`savefig(dpi=…)`).
    public let dpi: Double
    /// The panels, row by row; `figure[row, column]` picks one.
    public let axes: [Axes]

    public init(rows: Int = 1, columns: Int = 1, width: Double = 6.4, height: Double = 4.8, dpi: Double = 100) {
        guard rows >= 1, columns >= 1 else {
            fail("Figure: rows and columns must be at least 1, got \(rows) and \(columns).")
        }
        guard width > 0, height > 0, dpi > 0, width * dpi <= 20_000, height * dpi <= 20_000 else {
            fail(
                "Figure: the size \(width)×\(height) inches at \(dpi) dpi is not drawable; "
                    + "use positive sizes up to 20,000 pixels a side.")
        }
        self.rows = rows
        self.columns = columns
        self.width = width
        self.height = height
        self.dpi = dpi
        axes = (0..<(rows * columns)).map { _ in Axes() }
    }

    /// The panel at `row`, `column`.
    public subscript(row: Int, column: Int) -> Axes {
        guard row >= 0, row < rows, column >= 0, column < columns else {
            fail("Figure: there is no panel [\(row), \(column)]; this figure has \(rows) rows and \(columns) columns.")
        }
        return axes[row * columns + column]
    }

    public var pixelWidth: Int { Int((width * dpi).rounded()) }
    public var pixelHeight: Int { Int((height * dpi).rounded()) }

    /// The widest image, in pixels, that JupyterLab shows unshrunk in a
    /// notebook's column at a common window size; a wider one is scaled
    /// down to the column's width.
    public static let notebookColumnWidth = 1_000.0

    /// How many times larger than its point size text (and the room around
    /// it) is drawn: a figure wider than the notebook's column is shown shrunk
    /// by this factor, so text is drawn larger by as much and reads at its
    /// usual size (seed 000's 28-inch 2×10 grid would otherwise have 4-pixel
    /// titles). Markers and lines keep their sizes: they belong to the data.
    public var legibilityScale: Double { max(1, Double(pixelWidth) / Figure.notebookColumnWidth) }

    /// The figure as 8-bit RGBA pixels on white, rows top to bottom.
    public func renderRGBA() -> [UInt8] { render().rgba() }

    /// The figure's pixels as 0xRRGGBB words (it is opaque), for GIF frames.
    func renderRGBWords() -> [UInt32] { render().rgbWords() }

    private func render() -> Canvas {
        let canvas = Canvas(width: pixelWidth, height: pixelHeight, scale: dpi / 72, textScale: legibilityScale)
        canvas.fill(Color.white)
        let cellWidth = Double(pixelWidth) / Double(columns), cellHeight = Double(pixelHeight) / Double(rows)
        let frames = (0..<(rows * columns)).map { i in
            Rect(
                x: Double(i % columns) * cellWidth, y: Double(i / columns) * cellHeight, width: cellWidth,
                height: cellHeight)
        }
        // Text, axes and lines through cairo, panel by panel; then the markers
        // of all panels at once, on the cores; then the legends over them.
        let markers = zip(axes, frames).map { $0.drawUnderMarkers(on: canvas, in: $1) }
        canvas.stamp(markers)
        for (panel, frame) in zip(axes, frames) { panel.drawOverMarkers(on: canvas, in: frame) }
        return canvas
    }

    /// The figure as a PNG file's bytes: indexed colour when a figure's
    /// colours and their blends fit a palette, no row filters, zlib's level
    /// 3. For seed 000's 2800×300 figure that is 40 ms and 220 KB, against 95
    /// ms and 282 KB with libpng's filters at level 6 (and 71 ms and 201 KB
    /// at level 6 without): figures are redrawn while a teacher drags a slider.
    public func png() -> [UInt8] {
        PNG.encode(
            rgba: renderRGBA(), width: pixelWidth, height: pixelHeight, level: 3, indexed: true, rowFilters: false)
    }
}

/// A grid of images from a batch `[B, C, H, W]` (C of 1 or 3) or a list of
/// `[C, H, W]` / `[H, W]` tensors, `columns` to a row, each `panelSize`
/// inches square; `titles` go above the images.
public func imageGrid(
    _ images: [Tensor], columns: Int = 8, panelSize: Double = 1.5, titles: [String]? = nil,
    low: Double? = nil, high: Double? = nil
) -> Figure {
    guard !images.isEmpty, columns >= 1 else { fail("imageGrid: give at least one image and at least one column.") }
    let perRow = min(columns, images.count)
    let rows = (images.count + perRow - 1) / perRow
    let titled = titles != nil
    let figure = Figure(
        rows: rows, columns: perRow, width: panelSize * Double(perRow),
        height: (panelSize + (titled ? 0.3 : 0)) * Double(rows), dpi: 100)
    for (i, image) in images.enumerated() {
        let axes = figure[i / perRow, i % perRow]
        axes.image(image, low: low, high: high)
        if let titles, i < titles.count { axes.title = titles[i] }
    }
    for i in images.count..<(rows * perRow) { figure[i / perRow, i % perRow].showAxes = false }
    return figure
}

/// A batch of images `[B, C, H, W]` as a grid (torchvision's `make_grid` shown with
/// matplotlib), `columns` across, values read on [low, high] (default: the batch's range).
public func imageGrid(
    _ batch: Tensor, columns: Int = 8, panelSize: Double = 1.5, titles: [String]? = nil,
    low: Double? = nil, high: Double? = nil
) -> Figure {
    guard batch.shape.count == 4 else {
        fail("imageGrid: a batch must be [B, C, H, W], got \(batch.shape); for one image use Figure()[0, 0].image(_:).")
    }
    return imageGrid(
        (0..<batch.shape[0]).map { batch[$0] }, columns: columns, panelSize: panelSize, titles: titles,
        low: low, high: high)
}

extension Figure: Displayable {
    public var mimeBundle: MimeBundle {
        MimeBundle(
            image: png(), mimeType: "image/png", text: "<Figure \(pixelWidth)×\(pixelHeight) with \(axes.count) panels>"
        )
    }
}

extension Animation: Displayable {
    public var mimeBundle: MimeBundle {
        MimeBundle(
            image: gif(), mimeType: "image/gif",
            text: "<Animation of \(frames.count) frames, \(frames[0].pixelWidth)×\(frames[0].pixelHeight)>")
    }
}

struct Rect {
    var x, y, width, height: Double
    func inset(left: Double, right: Double, top: Double, bottom: Double) -> Rect {
        Rect(x: x + left, y: y + top, width: max(1, width - left - right), height: max(1, height - top - bottom))
    }
}
