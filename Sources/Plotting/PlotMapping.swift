/// A panel's plot area in canvas pixels and the data ranges it shows: data
/// coordinates to pixels.
struct PlotMapping {
    let plot: Rect
    let xRange: ClosedRange<Double>
    let yRange: ClosedRange<Double>

    func px(_ x: Double) -> Double {
        plot.x + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plot.width
    }

    func py(_ y: Double) -> Double {
        plot.y + (1 - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) * plot.height
    }
}
