// Reductions over all elements or over chosen axes, with `keepDims` as in
// NumPy's `keepdims`.

extension Tensor {
    /// The shape with `axes` set to 1 (kept) or removed.
    func reducedShape(_ axes: [Int], keepDims: Bool, op: String) -> (kept: [Int], result: [Int]) {
        let resolved = Set(axes.map { a in checked { try Shapes.axis(a, rank: rank, op: op) } })
        var kept = shape
        for a in resolved { kept[a] = 1 }
        let result = keepDims ? kept : shape.indices.filter { !resolved.contains($0) }.map { shape[$0] }
        return (kept, result)
    }

    /// The sum of all elements, as a scalar tensor.
    public func sum() -> Tensor {
        sum(toShape: [Int](repeating: 1, count: rank)).reshape([])
    }

    /// Sums over `axes` (negative axes count from the end).
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let (kept, result) = reducedShape(axes, keepDims: keepDims, op: "sum")
        return sum(toShape: kept).reshape(result)
    }

    /// Sums over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        sum(axes: [axis], keepDims: keepDims)
    }

    /// The mean of all elements, as a scalar tensor.
    public func mean() -> Tensor {
        sum() * (1 / Float(Swift.max(count, 1)))
    }

    /// Means over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let (kept, _) = reducedShape(axes, keepDims: keepDims, op: "mean")
        let n = count / Swift.max(kept.reduce(1, *), 1)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Means over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        mean(axes: [axis], keepDims: keepDims)
    }

    /// The largest element, as a scalar tensor; the gradient goes to the first
    /// largest element.
    public func max() -> Tensor {
        reshape([count]).max(axis: 0)
    }

    /// The largest value along `axis`; the gradient flows to the first position
    /// of the maximum, as for `torch.max(x, dim)`.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "max") }
        if shape[a] == 0 {
            fail("max: axis \(axis) of shape \(describe(shape)) is empty; there is no maximum of no values.")
        }
        let outer = shape[..<a].reduce(1, *)
        let n = shape[a]
        let inner = shape[(a + 1)...].reduce(1, *)
        let (_, result) = reducedShape([a], keepDims: keepDims, op: "max")
        var positions = [Int](repeating: 0, count: outer * inner)
        let source = storage.pointer
        let output = Tensor.make(result) { out in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = source[o * n * inner + i]
                    var at = 0
                    for j in 1..<n where source[(o * n + j) * inner + i] > best {
                        best = source[(o * n + j) * inner + i]
                        at = j
                    }
                    out[o * inner + i] = best
                    positions[o * inner + i] = (o * n + at) * inner + i
                }
            }
        }
        let inputShape = shape
        return output.recorded("Max", [self]) { g in
            let gradient = Tensor(repeating: 0, shape: inputShape)
            let gp = g.storage.pointer
            for (k, position) in positions.enumerated() { gradient.storage.pointer[position] += gp[k] }
            return [gradient]
        }
    }
}
