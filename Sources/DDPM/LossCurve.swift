import Plotting

/// The loss curve of a training run: each step's loss, faint, and the mean
/// of the last 100 steps, bold.
public func lossCurve(_ losses: [Float], width: Double = 6, height: Double = 2.4, dpi: Double = 80) -> Figure {
    let figure = Figure(width: width, height: height, dpi: dpi)
    let axes = figure[0, 0]
    var mean: [Double] = []
    mean.reserveCapacity(losses.count)
    var sum = 0.0
    for (i, loss) in losses.enumerated() {
        sum += Double(loss)
        if i >= 100 { sum -= Double(losses[i - 100]) }
        mean.append(sum / Double(min(i + 1, 100)))
    }
    // At most about two points per pixel column: a long run's curve costs
    // the same to draw as a short one's (it is redrawn while training runs).
    let stride = max(1, losses.count / Int(2 * width * dpi))
    let kept = Array(Swift.stride(from: 0, to: losses.count, by: stride))
    axes.plot(
        x: kept.map(Double.init), y: kept.map { Double(losses[$0]) }, color: Color(hex: 0xF4A582), lineWidth: 0.8,
        label: "loss")
    axes.plot(
        x: kept.map(Double.init), y: kept.map { mean[$0] }, color: Color(hex: 0xB2182B), lineWidth: 2,
        label: "mean of 100 steps")
    axes.xlabel = "step"
    if losses.isEmpty { axes.title = "loss: waiting for steps…" }
    return figure
}
