import Foundation

/// A loss curve as inline SVG, small enough to be redrawn in place while a
/// model trains: the raw losses faint, their moving average (100 steps)
/// bold, the y axis from the smallest to the largest shown value.
/// Until the plotting library renders PNG figures, this is what
/// `train` and `TrainingHistory` show.
public func lossCurveSVG(_ losses: [Float], width: Int = 480, height: Int = 180) -> String {
    let margin = (left: 56.0, right: 12.0, top: 12.0, bottom: 28.0)
    let plotWidth = Double(width) - margin.left - margin.right
    let plotHeight = Double(height) - margin.top - margin.bottom
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        + "font-family=\"sans-serif\" font-size=\"11\">"
    svg += "<rect x=\"\(margin.left)\" y=\"\(margin.top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" "
        + "fill=\"none\" stroke=\"#bbb\"/>"
    let finite = losses.enumerated().filter { $0.element.isFinite }
    guard finite.count >= 2 else { return svg + "<text x=\"\(margin.left + 8)\" y=\"\(margin.top + 18)\">loss: waiting for steps…</text></svg>" }

    // At most about one point per pixel: every k-th step.
    let stride = max(1, finite.count / Int(plotWidth))
    let raw = Swift.stride(from: 0, to: finite.count, by: stride).map { finite[$0] }
    var smoothed: [(offset: Int, element: Float)] = []
    var sum: Float = 0
    for (i, item) in finite.enumerated() {
        sum += item.element
        if i >= 100 { sum -= finite[i - 100].element }
        if i % stride == 0 { smoothed.append((item.offset, sum / Float(min(i + 1, 100)))) }
    }
    let low = Double(raw.map(\.element).min()!), high = Double(raw.map(\.element).max()!)
    let span = max(high - low, 1e-12)
    let last = Double(max(losses.count - 1, 1))
    func point(_ step: Int, _ value: Float) -> String {
        let x = margin.left + Double(step) / last * plotWidth
        let y = margin.top + (1 - (Double(value) - low) / span) * plotHeight
        return String(format: "%.1f,%.1f", x, y)
    }
    svg += "<polyline fill=\"none\" stroke=\"#f4a582\" stroke-width=\"1\" points=\""
        + raw.map { point($0.offset, $0.element) }.joined(separator: " ") + "\"/>"
    svg += "<polyline fill=\"none\" stroke=\"#b2182b\" stroke-width=\"2\" points=\""
        + smoothed.map { point($0.offset, $0.element) }.joined(separator: " ") + "\"/>"
    func label(_ value: Double) -> String { String(format: value < 0.01 ? "%.2e" : "%.3f", value) }
    svg += "<text x=\"\(margin.left - 4)\" y=\"\(margin.top + 9)\" text-anchor=\"end\">\(label(high))</text>"
    svg += "<text x=\"\(margin.left - 4)\" y=\"\(margin.top + plotHeight)\" text-anchor=\"end\">\(label(low))</text>"
    svg += "<text x=\"\(margin.left)\" y=\"\(Double(height) - 8)\">step 0</text>"
    svg += "<text x=\"\(margin.left + plotWidth)\" y=\"\(Double(height) - 8)\" text-anchor=\"end\">step \(losses.count)</text>"
    svg += "<text x=\"\(margin.left + plotWidth / 2)\" y=\"\(Double(height) - 8)\" text-anchor=\"middle\" fill=\"#b2182b\">"
        + "loss (mean of 100 steps)</text>"
    return svg + "</svg>"
}
