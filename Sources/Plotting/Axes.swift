import Foundation
import TensorCore

/// One panel of a figure: scatter plots and lines in data coordinates, a
/// title, axis labels and ticks (or none, with `showAxes = false`), and a
/// legend for labelled series.
public final class Axes {
    /// The panel's title; `_{…}` and `_x` become subscripts (`"q(x_{10})"`
    /// reads q(x₁₀)), and `\n` starts a new line.
    public var title: String?
    /// The x axis's label (matplotlib's `set_xlabel`).
    public var xlabel: String?
    /// The y axis's label (matplotlib's `set_ylabel`).
    public var ylabel: String?
    /// matplotlib's `set_axis_off()` when false: no frame, ticks or labels.
    public var showAxes = true
    /// Fixed limits; nil: fitted to the data with a 5% margin.
    public var xlim: ClosedRange<Double>?
    /// The y range shown (matplotlib's `set_ylim`); nil: fitted to the data.
    public var ylim: ClosedRange<Double>?

    struct Scatter {
        var x: [Float], y: [Float]
        var size: Double, color: Color, edgeColor: Color?
    }

    struct Line {
        var x: [Double], y: [Double]
        var color: Color, width: Double, label: String?
    }

    /// An image: 0xAARRGGBB premultiplied pixels (opaque), rows top to bottom.
    struct Picture {
        var pixels: [UInt32], width: Int, height: Int
    }

    var scatters: [Scatter] = []
    var lines: [Line] = []
    var picture: Picture?

    init() {}

    /// Points of a `[N, 2]` tensor. `size` is the marker's area in points²
    /// (matplotlib's `s`, 20 by default); `edgeColor` draws a ring around
    /// each marker (the seeds' red points with white edges).
    public func scatter(
        _ points: Tensor, size: Double = 20, color: Color = .blue, alpha: Double = 1,
        edgeColor: Color? = nil
    ) {
        guard points.shape.count == 2, points.shape[1] == 2 else {
            fail(
                "scatter: points must have shape [N, 2], got \(points.shape); for separate coordinates use scatter(x:y:)."
            )
        }
        let values = points.scalars
        scatter(
            x: stride(from: 0, to: values.count, by: 2).map { values[$0] },
            y: stride(from: 1, to: values.count, by: 2).map { values[$0] },
            size: size, color: color, alpha: alpha, edgeColor: edgeColor)
    }

    /// Points at (x[i], y[i]) (matplotlib's `scatter(x, y, s=size, c=color, edgecolors=…)`).
    public func scatter(
        x: [Float], y: [Float], size: Double = 20, color: Color = .blue, alpha: Double = 1,
        edgeColor: Color? = nil
    ) {
        guard x.count == y.count else {
            fail("scatter: x has \(x.count) values but y has \(y.count); give one y per x.")
        }
        scatters.append(
            Scatter(
                x: x, y: y, size: size, color: color.withAlpha(color.alpha * alpha),
                edgeColor: edgeColor?.withAlpha((edgeColor?.alpha ?? 1) * alpha)))
    }

    /// A line through (x[i], y[i]); with `label`, it appears in the legend.
    public func plot(x: [Double], y: [Double], color: Color? = nil, lineWidth: Double = 1.5, label: String? = nil) {
        guard x.count == y.count else { fail("plot: x has \(x.count) values but y has \(y.count); give one y per x.") }
        lines.append(
            Line(
                x: x, y: y, color: color ?? Color.cycle[lines.count % Color.cycle.count], width: lineWidth,
                label: label))
    }

    /// A line of `y` against 0, 1, 2, … (a `[N]` tensor, such as a schedule's betas).
    public func plot(_ y: Tensor, color: Color? = nil, lineWidth: Double = 1.5, label: String? = nil) {
        let values = y.scalars.map(Double.init)
        plot(x: values.indices.map(Double.init), y: values, color: color, lineWidth: lineWidth, label: label)
    }

    /// Shows an image: a `[H, W]` grayscale tensor, or `[C, H, W]` with C
    /// of 1 (grayscale) or 3 (RGB), NCHW as PyTorch lays images out. Values
    /// from `low` to `high` map to black … white (by default the tensor's
    /// own minimum and maximum, or 0 … 1 for a constant image; pass -1, 1
    /// for a diffusion model's range).
    /// Pixels stay square and sharp; the axes are turned off.
    public func image(_ tensor: Tensor, low: Double? = nil, high: Double? = nil) {
        let shape = tensor.shape
        let (channels, height, width): (Int, Int, Int)
        switch shape.count {
        case 2: (channels, height, width) = (1, shape[0], shape[1])
        case 3 where shape[0] == 1 || shape[0] == 3: (channels, height, width) = (shape[0], shape[1], shape[2])
        default:
            fail(
                "image: expected [H, W] or [C, H, W] with 1 or 3 channels, got \(shape); "
                    + "for a batch [B, C, H, W] use imageGrid(_:columns:).")
        }
        let values = tensor.scalars
        var lo = low ?? Double(values.min() ?? 0), hi = high ?? Double(values.max() ?? 1)
        if hi <= lo { (lo, hi) = (min(lo, 0), max(hi, 1)) }  // a constant image: read it on 0 … 1
        let span = hi - lo
        func byte(_ v: Float) -> UInt32 { UInt32(max(0, min(255, ((Double(v) - lo) / span * 255).rounded()))) }
        var pixels = [UInt32](repeating: 0, count: height * width)
        for i in 0..<(height * width) {
            let r = byte(values[i]), g = channels == 3 ? byte(values[height * width + i]) : r
            let b = channels == 3 ? byte(values[2 * height * width + i]) : r
            pixels[i] = 0xFF00_0000 | r << 16 | g << 8 | b
        }
        picture = Picture(pixels: pixels, width: width, height: height)
        showAxes = false
    }

    /// The data's extent with a 5% margin (matplotlib's default), or the fixed limits.
    func limits() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        var xs: [Double] = [], ys: [Double] = []
        for s in scatters {
            if let lo = s.x.min(), let hi = s.x.max() { xs += [Double(lo), Double(hi)] }
            if let lo = s.y.min(), let hi = s.y.max() { ys += [Double(lo), Double(hi)] }
        }
        for l in lines {
            xs += l.x.filter(\.isFinite)
            ys += l.y.filter(\.isFinite)
        }
        func padded(_ values: [Double]) -> ClosedRange<Double> {
            guard let lo = values.min(), let hi = values.max() else { return 0...1 }
            let span = hi > lo ? hi - lo : max(abs(lo), 1)
            return (lo - 0.05 * span)...(hi + 0.05 * span)
        }
        return (xlim ?? padded(xs), ylim ?? padded(ys))
    }

    /// Where the plot area goes in `frame`, and the data ranges it shows.
    private func mapping(on canvas: Canvas, in frame: Rect) -> PlotMapping {
        let pt = canvas.scale  // pixels per point, for the data's marks
        let tp = canvas.scale * canvas.textScale  // pixels per point, for text and the room it takes
        let titleSpace = titleLines.isEmpty ? 4 * pt : Double(4 + 14 * titleLines.count) * tp
        let plot =
            showAxes
            ? frame.inset(
                left: (ylabel == nil ? 34 : 48) * tp, right: 8 * tp, top: titleSpace,
                bottom: (xlabel == nil ? 20 : 34) * tp)
            : frame.inset(left: 4 * pt, right: 4 * pt, top: titleSpace, bottom: 4 * pt)
        let (xr, yr) = limits()
        return PlotMapping(plot: plot, xRange: xr, yRange: yr)
    }

    private var titleLines: [String] {
        title.map { subscripted($0).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
    }

    /// Draws everything under the markers (title, axes, picture, lines) and
    /// returns the scatters' markers, in order, for `Canvas.stamp`, which
    /// composites the panels' markers side by side on the cores.
    func drawUnderMarkers(on canvas: Canvas, in frame: Rect) -> [Stamp] {
        let pt = canvas.scale
        let tp = canvas.scale * canvas.textScale
        let map = mapping(on: canvas, in: frame)
        let plot = map.plot
        for (i, line) in titleLines.enumerated() {  // one line per "\n"
            canvas.text(
                line, x: frame.x + frame.width / 2, y: frame.y + Double(13 + 14 * i) * tp, size: 12, align: .center)
        }
        if showAxes {
            canvas.strokeRect(plot, color: .black, width: 0.8)
            for tick in niceTicks(map.xRange) {
                let x = map.px(tick)
                canvas.line(
                    from: (x, plot.y + plot.height), to: (x, plot.y + plot.height + 3.5 * pt), color: .black, width: 0.8
                )
                canvas.text(
                    tickLabel(tick), x: x, y: plot.y + plot.height + 3.5 * pt + 9.5 * tp, size: 9, align: .center)
            }
            for tick in niceTicks(map.yRange) {
                let y = map.py(tick)
                canvas.line(from: (plot.x - 3.5 * pt, y), to: (plot.x, y), color: .black, width: 0.8)
                canvas.text(tickLabel(tick), x: plot.x - 3.5 * pt - 1.5 * tp, y: y + 3 * tp, size: 9, align: .right)
            }
            if let xlabel {
                canvas.text(
                    subscripted(xlabel), x: plot.x + plot.width / 2, y: plot.y + plot.height + 28 * tp, size: 10,
                    align: .center)
            }
            if let ylabel {
                canvas.text(
                    subscripted(ylabel), x: frame.x + 10 * tp, y: plot.y + plot.height / 2, size: 10, align: .center,
                    vertical: true)
            }
        }
        if let picture {  // as large as fits, centred, square pixels
            let fit = min(plot.width / Double(picture.width), plot.height / Double(picture.height))
            // A whole number of canvas pixels per image pixel, on the pixel grid: every
            // image pixel becomes an equal square with hard edges (no blended seams).
            let scale = fit >= 1 ? fit.rounded(.down) : fit
            let w = Double(picture.width) * scale, h = Double(picture.height) * scale
            canvas.image(
                picture,
                in: Rect(
                    x: (plot.x + (plot.width - w) / 2).rounded(), y: (plot.y + (plot.height - h) / 2).rounded(),
                    width: w, height: h))
        }
        canvas.clip(to: plot) {
            for line in lines {
                canvas.polyline(
                    zip(line.x, line.y).map { (map.px($0), map.py($1)) }, color: line.color, width: line.width)
            }
        }
        return scatters.map { s in
            // matplotlib: s is the area in points², the marker's width √s points.
            let diameter = s.size.squareRoot() * pt
            let sprite = Sprite(diameter: diameter, face: s.color, edge: s.edgeColor, edgeWidth: 0.8 * pt)
            return Stamp(
                sprite: sprite, points: zip(s.x, s.y).map { (map.px(Double($0)), map.py(Double($1))) }, clip: plot)
        }
    }

    /// Draws what goes over the markers: the legend.
    func drawOverMarkers(on canvas: Canvas, in frame: Rect) {
        let labelled = lines.filter { $0.label != nil }
        guard !labelled.isEmpty else { return }
        // Inside the plot, on white, in the corner with the least data under it.
        let pt = canvas.scale
        let tp = canvas.scale * canvas.textScale
        let map = mapping(on: canvas, in: frame)
        let labels = labelled.map { subscripted($0.label!) }
        let textWidth = labels.map { canvas.textWidth($0, size: 9) }.max()!
        let size = (width: textWidth + 24 * tp, height: Double(labels.count) * 13 * tp + 4 * tp)
        let points =
            lines.flatMap { line in zip(line.x, line.y).map { (map.px($0), map.py($1)) } }
            + scatters.flatMap { s in zip(s.x, s.y).map { (map.px(Double($0)), map.py(Double($1))) } }
        let box = legendBox(size: size, in: map.plot, margin: 3 * pt, avoiding: points)
        canvas.fillRect(box, color: Color.white.withAlpha(0.85))
        var y = box.y + 12 * tp
        for (line, label) in zip(labelled, labels) {
            let x = box.x + 4 * tp
            canvas.line(from: (x, y - 3 * tp), to: (x + 14 * tp, y - 3 * tp), color: line.color, width: line.width)
            canvas.text(label, x: x + 18 * tp, y: y, size: 9, align: .left)
            y += 13 * tp
        }
    }
}

/// Where a legend of `size` goes in `plot` (matplotlib's `loc="best"` on the
/// four corners): the corner whose box covers the fewest of `points` (pixel
/// positions of the data, line vertices and markers), the upper right on a tie.
func legendBox(
    size: (width: Double, height: Double), in plot: Rect, margin: Double,
    avoiding points: [(Double, Double)]
) -> Rect {
    let left = plot.x + margin, right = plot.x + plot.width - size.width - margin
    let top = plot.y + margin, bottom = plot.y + plot.height - size.height - margin
    let corners = [(right, top), (left, top), (left, bottom), (right, bottom)].map {
        Rect(x: $0.0, y: $0.1, width: size.width, height: size.height)
    }
    func covered(_ box: Rect) -> Int {
        points.reduce(0) { count, p in
            count + (p.0 >= box.x && p.0 <= box.x + box.width && p.1 >= box.y && p.1 <= box.y + box.height ? 1 : 0)
        }
    }
    let counts = corners.map(covered)
    return corners[counts.firstIndex(of: counts.min()!)!]
}

/// About five round tick values inside `range` (1, 2 or 5 times a power of ten apart).
func niceTicks(_ range: ClosedRange<Double>) -> [Double] {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return [] }
    let raw = span / 5
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var tick = ceil(range.lowerBound / step) * step
    while tick <= range.upperBound + step * 1e-9 {
        ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
        tick += step
    }
    return ticks
}

func tickLabel(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
    let text = String(format: abs(value) < 1e-3 ? "%.1e" : "%.4g", value)
    return text
}

/// Turns `_{…}` and `_x` (one character) into Unicode subscripts where
/// Unicode has them, as a title's small TeX: `q(x_{10})` → `q(x₁₀)`,
/// `ᾱ_t` → `ᾱₜ`. Characters without a subscript form stay as they are.
public func subscripted(_ text: String) -> String {
    let table: [Character: Character] = [
        "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈", "9": "₉",
        "+": "₊", "-": "₋", "−": "₋", "=": "₌", "(": "₍", ")": "₎", "a": "ₐ", "e": "ₑ", "h": "ₕ", "i": "ᵢ",
        "j": "ⱼ", "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ", "o": "ₒ", "p": "ₚ", "r": "ᵣ", "s": "ₛ", "t": "ₜ",
        "u": "ᵤ", "v": "ᵥ", "x": "ₓ",
    ]
    var result = ""
    var characters = Array(text)[...]
    while let c = characters.popFirst() {
        guard c == "_", let next = characters.first else {
            result.append(c)
            continue
        }
        if next == "{", let close = characters.firstIndex(of: "}") {
            let inner = characters[characters.index(after: characters.startIndex)..<close]
            result += inner.map { table[$0] ?? $0 }
            characters = characters[characters.index(after: close)...]
        } else {
            result.append(table[next] ?? next)
            characters = characters.dropFirst()
        }
    }
    return result
}
