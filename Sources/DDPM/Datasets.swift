import Foundation
import TensorCore

// 2-D point sets for teaching diffusion, each `[count, 2]` and seeded by
// `generator`. The swiss roll and the s-curve are made exactly as the seeds
// make them: scikit-learn's 3-D definitions, columns 0 and 2, divided by 10.

/// The swiss roll of seed 000: scikit-learn's `make_swiss_roll`
/// (t = 1.5π(1 + 2u), the point (t cos t, 21v, t sin t) plus N(0, noise²) per
/// coordinate), columns 0 and 2, divided by 10. The dropped height is not drawn.
public func swissRoll(count: Int = 10_000, noise: Double = 0.1, generator: Generator = .default) -> Tensor {
    checkCount(count, "swissRoll")
    let u = rand(shape: [count], generator: generator).scalars
    let n = randn(shape: [count, 2], generator: generator).scalars  // noise of columns 0 and 2
    var points = [Float](repeating: 0, count: count * 2)
    for i in 0..<count {
        let t = 1.5 * Double.pi * (1 + 2 * Double(u[i]))
        points[2 * i] = Float((t * cos(t) + noise * Double(n[2 * i])) / 10)
        points[2 * i + 1] = Float((t * sin(t) + noise * Double(n[2 * i + 1])) / 10)
    }
    return Tensor(points, shape: [count, 2])
}

/// The s-curve of seed 004 (commented out in seed 000): scikit-learn's
/// `make_s_curve` (t = 3π(u − ½), the point (sin t, 2v, sign(t)(cos t − 1))
/// plus N(0, noise²) per coordinate), columns 0 and 2, divided by 10.
public func sCurve(count: Int = 10_000, noise: Double = 0.1, generator: Generator = .default) -> Tensor {
    checkCount(count, "sCurve")
    let u = rand(shape: [count], generator: generator).scalars
    let n = randn(shape: [count, 2], generator: generator).scalars
    var points = [Float](repeating: 0, count: count * 2)
    for i in 0..<count {
        let t = 3 * Double.pi * (Double(u[i]) - 0.5)
        let sign: Double = t > 0 ? 1 : (t < 0 ? -1 : 0)
        points[2 * i] = Float((sin(t) + noise * Double(n[2 * i])) / 10)
        points[2 * i + 1] = Float((sign * (cos(t) - 1) + noise * Double(n[2 * i + 1])) / 10)
    }
    return Tensor(points, shape: [count, 2])
}

/// Two interleaving half circles, as scikit-learn's `make_moons`: the upper
/// (cos s, sin s) and the lower (1 − cos s, ½ − sin s) for s evenly spaced
/// in [0, π], plus N(0, noise²), rows shuffled.
public func twoMoons(count: Int = 10_000, noise: Double = 0.1, generator: Generator = .default) -> Tensor {
    checkCount(count, "twoMoons")
    let outer = count / 2, inner = count - outer
    var points: [Float] = []
    points.reserveCapacity(count * 2)
    for i in 0..<outer {
        let s = outer == 1 ? 0 : Double.pi * Double(i) / Double(outer - 1)
        points += [Float(cos(s)), Float(sin(s))]
    }
    for i in 0..<inner {
        let s = inner == 1 ? 0 : Double.pi * Double(i) / Double(inner - 1)
        points += [Float(1 - cos(s)), Float(0.5 - sin(s))]
    }
    return shuffledWithNoise(points, count: count, noise: noise, generator: generator)
}

/// Two concentric circles, as scikit-learn's `make_circles`: radius 1 and
/// `factor`, angles evenly spaced, plus N(0, noise²), rows shuffled.
public func circles(
    count: Int = 10_000, noise: Double = 0.05, factor: Double = 0.5,
    generator: Generator = .default
) -> Tensor {
    checkCount(count, "circles")
    guard factor > 0 && factor < 1 else {
        fail("circles: factor is the inner radius relative to the outer one and must lie in (0, 1), got \(factor).")
    }
    let outer = count / 2, inner = count - outer
    var points: [Float] = []
    points.reserveCapacity(count * 2)
    for (n, radius) in [(outer, 1.0), (inner, factor)] {
        for i in 0..<n {
            let s = 2 * Double.pi * Double(i) / Double(n)
            points += [Float(radius * cos(s)), Float(radius * sin(s))]
        }
    }
    return shuffledWithNoise(points, count: count, noise: noise, generator: generator)
}

/// A mixture of isotropic Gaussians with equal weights: `centers` (each a
/// 2-D point), each with standard deviation `std`. By default eight
/// components on a circle of radius 2, a common toy target.
public func gaussianMixture(
    count: Int = 10_000, centers: [[Double]]? = nil, std: Double = 0.1,
    generator: Generator = .default
) -> Tensor {
    checkCount(count, "gaussianMixture")
    let means =
        centers
        ?? (0..<8).map { k in
            let s = 2 * Double.pi * Double(k) / 8
            return [2 * cos(s), 2 * sin(s)]
        }
    guard !means.isEmpty, means.allSatisfy({ $0.count == 2 }) else {
        fail("gaussianMixture: centers must be a non-empty list of 2-D points such as [[0, 0], [1, 1]], got \(means).")
    }
    let components = randint(0, means.count, count: count, generator: generator)
    let n = randn(shape: [count, 2], generator: generator).scalars
    var points = [Float](repeating: 0, count: count * 2)
    for i in 0..<count {
        points[2 * i] = Float(means[components[i]][0] + std * Double(n[2 * i]))
        points[2 * i + 1] = Float(means[components[i]][1] + std * Double(n[2 * i + 1]))
    }
    return Tensor(points, shape: [count, 2])
}

/// Reads 2-D points from CSV text: two numeric columns, an optional header
/// line, commas, semicolons or whitespace between the values.
public func readPoints(csv text: String, source: String = "the CSV text") -> Tensor {
    var points: [Float] = []
    for (index, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") { continue }
        let fields = line.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" })
        let values = fields.compactMap { Float($0) }
        if values.count != fields.count || fields.count < 2 {
            if index == 0 && points.isEmpty { continue }  // a header
            fail(
                "readPoints: line \(index + 1) of \(source) is \"\(line)\"; each line needs two numbers, such as 0.5,-1.2."
            )
        }
        points += values.prefix(2)
    }
    guard !points.isEmpty else {
        fail("readPoints: \(source) holds no points; each line needs two numbers, such as 0.5,-1.2.")
    }
    return Tensor(points, shape: [points.count / 2, 2])
}

/// Reads 2-D points from a CSV file (see `readPoints(csv:)`). A file that
/// cannot be read throws (the environment's failure, as `Module.load` does);
/// malformed lines stop with a sentence (a mistake in the data).
public func readPoints(csvFile path: String) throws -> Tensor {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw DataFileError(
            "readPoints: cannot read \(path); check the path (relative paths start at the notebook's folder).")
    }
    return readPoints(csv: text, source: path)
}

/// A data file that could not be read.
public struct DataFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

private func checkCount(_ count: Int, _ name: String) {
    guard count >= 1 else { fail("\(name): count must be at least 1, got \(count).") }
}

private func shuffledWithNoise(_ points: [Float], count: Int, noise: Double, generator: Generator) -> Tensor {
    let order = randperm(count, generator: generator)
    let n = randn(shape: [count, 2], generator: generator).scalars
    var shuffled = [Float](repeating: 0, count: count * 2)
    for (row, source) in order.enumerated() {
        shuffled[2 * row] = points[2 * source] + Float(noise) * n[2 * row]
        shuffled[2 * row + 1] = points[2 * source + 1] + Float(noise) * n[2 * row + 1]
    }
    return Tensor(shuffled, shape: [count, 2])
}
