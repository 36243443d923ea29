internal import CTensorKernels

/// Strides that read a tensor of `shape` as if it had the broadcast shape
/// `target`: 0 along dimensions that are 1 in `shape` or missing from it.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = Tensor.strides(shape)
    let offset = target.count - shape.count
    return target.indices.map { i in
        i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
    }
}

/// Walks every element of a tensor of shape `shape` row by row and hands the
/// body, for each row of the last dimension, the flat offset into the
/// output and the offsets and last-dimension strides of two broadcast operands.
///
/// This one loop serves broadcast arithmetic and its adjoint, summing a
/// gradient back onto a broadcast operand.
@inline(__always)
func forEachRow(
    _ shape: [Int], _ stridesA: [Int], _ stridesB: [Int],
    _ body: (_ outOffset: Int, _ length: Int, _ offsetA: Int, _ strideA: Int, _ offsetB: Int, _ strideB: Int)
        -> Void
) {
    let rank = shape.count
    let count = shape.reduce(1, *)
    if count == 0 { return }
    if rank == 0 {
        body(0, 1, 0, 0, 0, 0)
        return
    }
    let inner = shape[rank - 1]
    let innerA = stridesA[rank - 1]
    let innerB = stridesB[rank - 1]
    var index = [Int](repeating: 0, count: rank)
    var offsetA = 0
    var offsetB = 0
    var outOffset = 0
    while outOffset < count {
        body(outOffset, inner, offsetA, innerA, offsetB, innerB)
        outOffset += inner
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            offsetA += stridesA[d]
            offsetB += stridesB[d]
            if index[d] < shape[d] { break }
            offsetA -= stridesA[d] * shape[d]
            offsetB -= stridesB[d] * shape[d]
            index[d] = 0
            d -= 1
        }
    }
}

/// The number of rows when a tensor of `small` shape broadcasts over `shape`
/// with one value per row: `small` equals `shape` on leading axes and is 1 on
/// the rest (a bias `[B, C, 1, 1]` over `[B, C, H, W]`); nil otherwise.
func rowsOfRowBroadcast(_ small: [Int], over shape: [Int]) -> Int? {
    guard small.count <= shape.count else { return nil }
    let padded = [Int](repeating: 1, count: shape.count - small.count) + small
    var leading = 0
    while leading < shape.count && padded[leading] == shape[leading] { leading += 1 }
    guard padded[leading...].allSatisfy({ $0 == 1 }) else { return nil }
    return shape[..<leading].reduce(1, *)
}

extension Tensor {
    /// The C kernel of an arithmetic operator, by its symbol.
    static func kernel(_ op: String) -> ddpm_binary_op? {
        switch op {
        case "+": return ddpm_add
        case "-": return ddpm_subtract
        case "*": return ddpm_multiply
        case "/": return ddpm_divide
        default: return nil
        }
    }

    /// Applies `f` elementwise to two tensors broadcast together (NumPy rules).
    /// The four arithmetic operators run in C on all cores for equal shapes
    /// and for one value per row (a scalar is one row).
    @inline(__always)
    static func broadcastMap(
        _ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float
    ) -> Tensor {
        let pa = a.storage.pointer
        let pb = b.storage.pointer
        let kernel = kernel(op)
        if a.shape == b.shape, let kernel = kernel {
            return make(a.shape) { ddpm_binary_same(kernel, pa, pb, $0, a.count) }
        }
        let shape = checked { try Shapes.broadcast(a.shape, b.shape, op: op) }
        if let kernel = kernel, shape == a.shape, let rows = rowsOfRowBroadcast(b.shape, over: shape) {
            return make(shape) { ddpm_binary_rows(kernel, pa, pb, $0, rows, a.count / Swift.max(rows, 1), 0) }
        }
        if let kernel = kernel, shape == b.shape, let rows = rowsOfRowBroadcast(a.shape, over: shape) {
            return make(shape) { ddpm_binary_rows(kernel, pb, pa, $0, rows, b.count / Swift.max(rows, 1), 1) }
        }
        // Any other broadcast (and an operator without a kernel): row by row.
        let sa = broadcastStrides(a.shape, to: shape)
        let sb = broadcastStrides(b.shape, to: shape)
        return make(shape) { out in
            forEachRow(shape, sa, sb) { o, n, oa, ia, ob, ib in
                if ia == 1 && ib == 1 {
                    for j in 0..<n { out[o + j] = f(pa[oa + j], pb[ob + j]) }
                } else {
                    for j in 0..<n { out[o + j] = f(pa[oa + j * ia], pb[ob + j * ib]) }
                }
            }
        }
    }

    /// Sums this tensor over the dimensions along which a tensor of `target`
    /// shape was broadcast to produce it: the adjoint of broadcasting.
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let sourceShape = shape
        if let rows = rowsOfRowBroadcast(target, over: shape) {
            // One value per row (a bias [B, C, 1, 1] of [B, C, H, W]): row sums in C.
            let sums = Tensor.make(target) { ddpm_row_sums(storage.pointer, rows, count / Swift.max(rows, 1), $0) }
            return sums.recorded("SumToShape", [self]) { g in [g.broadcast(to: sourceShape)] }
        }
        let result = Tensor(repeating: 0, shape: target)
        let sourceStrides = Tensor.strides(shape)
        let targetStrides = broadcastStrides(target, to: shape)
        let source = storage.pointer
        let out = result.storage.pointer
        forEachRow(shape, sourceStrides, targetStrides) { _, n, os, _, ot, it in
            if it == 0 {
                var total: Float = 0
                for j in 0..<n { total += source[os + j] }
                out[ot] += total
            } else {
                for j in 0..<n { out[ot + j * it] += source[os + j] }
            }
        }
        return result.recorded("SumToShape", [self]) { g in [g.broadcast(to: sourceShape)] }
    }

    /// This tensor repeated along broadcast dimensions to `shape`
    /// (`torch.Tensor.expand`, materialised).
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        let resolved = checked { try Shapes.broadcast(shape, target, op: "broadcast(to:)") }
        if resolved != target {
            fail(
                "broadcast(to:): a tensor of shape \(describe(shape)) cannot be expanded to \(describe(target)); "
                    + "only dimensions of size 1 (or missing leading ones) can be expanded.")
        }
        let source = storage.pointer
        let strides = broadcastStrides(shape, to: target)
        let result = Tensor.make(target) { out in
            forEachRow(target, strides, strides) { o, n, os, step, _, _ in
                for j in 0..<n { out[o + j] = source[os + j * step] }
            }
        }
        let sourceShape = shape
        return result.recorded("Broadcast", [self]) { g in [g.sum(toShape: sourceShape)] }
    }
}
