import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// The swiss roll as the seeds make it: scikit-learn's `make_swiss_roll`
/// (t = 1.5π(1 + 2u), points (t·cos t, 21v, t·sin t) plus N(0, noise²)
/// per coordinate), keeping columns 0 and 2 and dividing by 10; the dropped
/// height is not drawn. Shape
/// `[count, 2]`.
public func swissRoll(count: Int = 10_000, noise: Double = 0.1, generator: Generator = .default) -> Tensor {
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
