internal import COpenBLAS
internal import CTensorKernels

/// C = α·op(A)·op(B) + β·C for row-major matrices, through OpenBLAS on the
/// OpenMP threads (`ddpm_sgemm`): op(A) is M×K, op(B) is K×N, C is M×N.
@inline(__always)
func gemm(
    _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
    into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.update(repeating: 0, count: m * n) }
        return
    }
    ddpm_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, b, beta, c)
}

/// Products of at least this many multiply-adds, or whose matrices hold at
/// least `parallelElements` numbers (a sampling batch's layers with 2 inputs
/// or outputs, bound by memory), run on all cores through oneDNN's matmul.
private let parallelMultiplyAdds = 1 << 24
private let parallelElements = 1 << 20
/// Smaller ones from this many multiply-adds, with at least `oneDNNSide` rows
/// and columns in C, go to our own register-blocked loop
/// (`ddpm_small_product`) where the layout and shape fit it, else to oneDNN
/// on this core; below, to sgemm. On one core of an earlier machine oneDNN's
/// 128×128×128 products took 37–51 µs against sgemm's 45–63 (sgemm packs
/// both matrices on every call and clears C before adding into it), but a
/// 128×2×128 one 6–8 µs against 2.
private let oneDNNMultiplyAdds = 1 << 15
private let oneDNNSide = 16
/// From this many multiply-adds our loop splits a product between the cores
/// (C's columns, or for ∂L/∂W = gᵀ·x its rows; a layer's ∂L/∂x and ∂L/∂W
/// go side by side instead, `layerGradientsSideBySide`), when they pass data cheaply
/// (`coresShareCheaply`): in the seeds' training step each core's half of a
/// 128×128×128 product then took 21–22 µs, against 38 for the whole on one
/// core (AMD EPYC, two cores of one core complex); once the loop left out
/// the zeros of A (a ReLU's), 17–19 against 24. On the Intel machine of
/// earlier sessions, and here whenever the host spreads the two cores apart,
/// moving a product's operands and result between the cores cost more than
/// half a product saved, and the check says no.
private let sharedMultiplyAdds = 1 << 20

/// Whether `product` splits an m×n×k product between the cores.
func sharesProduct(m: Int, n: Int, k: Int) -> Bool {
    m * n * k >= sharedMultiplyAdds && m * n * k < parallelMultiplyAdds && coresShareCheaply()
}

/// Whether an m×n×k product runs on all cores through oneDNN's matmul.
private func runsOnAllCores(m: Int, n: Int, k: Int) -> Bool {
    m * n * k >= parallelMultiplyAdds || m * k + k * n + m * n >= parallelElements
}

/// Whether `product` gives an m×n×k product of this layout to our loop
/// (`ddpm_small_product`): below the all-core sizes, from
/// `oneDNNMultiplyAdds` multiply-adds, with at least `oneDNNSide` rows and
/// columns in C and an inner dimension above the narrow loop's, where the
/// layout and the CPU allow.
private func takesSmallLoop(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> Bool {
    k > Int(ddpm_narrow_features) && !runsOnAllCores(m: m, n: n, k: k) && m * n * k >= oneDNNMultiplyAdds
        && m >= oneDNNSide && n >= oneDNNSide
        && ddpm_small_product_fits(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k) != 0
}

/// C = op(A)·op(B) (+ C when `accumulate`) (+ bias) (+ rows of `embedding`),
/// then ReLU when `relu`; `bias` ([n], on every row) is optional, and so is
/// `embedding`, a table of rows of n values and one index per row of C.
/// From `oneDNNMultiplyAdds` on, below the all-core sizes, a register-blocked
/// loop of our own adds the terms before its store (`ddpm_small_product`,
/// where the layout, shape and CPU allow; on both cores from
/// `sharedMultiplyAdds`, with the same result to the bit); with an inner
/// dimension k of at most 8 a loop in C does (`ddpm_narrow_product`);
/// otherwise from `oneDNNMultiplyAdds` on one oneDNN matmul adds C's term and
/// the bias and applies the ReLU in its output pass, and smaller products add
/// the bias rows to C, sgemm adds the product onto it, and a ReLU pass
/// follows; for these two the embedding's rows are copied into C first.
func product(
    _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
    into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false,
    bias: UnsafePointer<Float>? = nil, embedding: (table: UnsafePointer<Float>, indices: [Int])? = nil,
    relu: Bool = false
) {
    if m == 0 || n == 0 { return }
    let parallel = runsOnAllCores(m: m, n: n, k: k)
    if takesSmallLoop(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k),
        ddpm_small_product(
            transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, b, bias, embedding?.table, embedding?.indices ?? [],
            accumulate ? 1 : 0, relu ? 1 : 0, sharesProduct(m: m, n: n, k: k) ? 1 : 0, c) == 0
    {
        return
    }
    // An inner dimension of a few (2-D points into a layer, the gradient
    // through a layer of 2 outputs): a loop over each row's outputs. In the
    // seeds' training step the first layer took 6.3–8.5 µs through oneDNN and
    // 5.2 this way, the last layer's ∂L/∂x 3.8–4.4 and 2.3–2.9 (with their
    // tensors' allocation; best of five loops of 20,000 calls).
    if k > 0, k <= Int(ddpm_narrow_features), !transposeA, n >= oneDNNSide,
        ddpm_narrow_product(
            a, b, transposeB ? 1 : 0, m, n, k, bias, embedding?.table, embedding?.indices ?? [], accumulate ? 1 : 0,
            relu ? 1 : 0, c) == 0
    {
        return
    }
    var accumulate = accumulate
    if let embedding {
        precondition(!accumulate, "product: the embedding's rows replace C's term")
        ddpm_gather_rows(embedding.table, embedding.indices, m, n, c)
        accumulate = true
    }
    if k > 0, parallel || (m * n * k >= oneDNNMultiplyAdds && m >= oneDNNSide && n >= oneDNNSide) {
        let status = ddpm_matmul(
            transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, b, bias, accumulate ? 1 : 0, relu ? 1 : 0,
            parallel ? 0 : 1, c)
        if status == 0 { return }
    }
    if let bias {
        if accumulate {
            ddpm_add_row(c, bias, c, m, n)
        } else {
            for r in 0..<m { (c + r * n).update(from: bias, count: n) }
        }
    }
    let beta: Float = accumulate || bias != nil ? 1 : 0
    gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k, beta: beta)
    if relu { ddpm_relu_forward(c, c, m * n) }
}

/// ∂L/∂x = g·W (`[rows, inFeatures]`, in `dxShape`) and ∂L/∂W = gᵀ·x
/// (`[outFeatures, inFeatures]`) of a layer y = x·Wᵀ + …, for products the
/// cores share (`sharesProduct`): each whole on its own core at the same
/// time (`ddpm_small_products_side_by_side`), ∂L/∂x on this one, which
/// takes it on down the graph, and ∂L/∂W on the other, whose share of the
/// optimiser's step then finds it in its cache (`TensorStorage.homeShare`).
/// In a C test program the backward products of two 128×128 layers (batch
/// 128) took 101–106 µs so, against 120–131 with each product split in
/// halves and 160–171 on one core (AMD EPYC); in the seeds' training step
/// the backward phase took 110–122 µs against 123–135 (before the loop left
/// out the zeros of A; since, 60–66 against 87–90 on one core). Nil, having
/// computed nothing, when the products are not shared or the loop does not
/// take them; the caller then makes them one by one.
func layerGradientsSideBySide(
    _ g: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dxShape: [Int],
    rows: Int, inFeatures: Int, outFeatures: Int
) -> (dx: Tensor, dw: Tensor)? {
    // Only where `product` would give each of them to our loop, so that
    // they have the same bits either way.
    guard sharesProduct(m: rows, n: inFeatures, k: outFeatures),
        takesSmallLoop(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures),
        takesSmallLoop(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows)
    else { return nil }
    let dx = TensorStorage(uninitializedCount: rows * inFeatures)
    let dw = TensorStorage(uninitializedCount: outFeatures * inFeatures)
    var first = ddpm_product(
        transpose_a: 0, transpose_b: 0, m: rows, n: inFeatures, k: outFeatures, a: g, b: weight, bias: nil,
        table: nil, indices: nil, accumulate: 0, relu: 0, c: dx.pointer)
    var second = ddpm_product(
        transpose_a: 1, transpose_b: 0, m: outFeatures, n: inFeatures, k: rows, a: g, b: x, bias: nil,
        table: nil, indices: nil, accumulate: 0, relu: 0, c: dw.pointer)
    let thread = ddpm_small_products_side_by_side(&first, &second, 1)
    if thread < 0 { return nil }
    dw.homeShare = Int(thread)
    return (Tensor(shape: dxShape, storage: dx), Tensor(shape: [outFeatures, inFeatures], storage: dw))
}

extension Tensor {
    /// A new `[..]`-shaped tensor holding op(A)·op(B), outside any graph.
    static func product(
        _ shape: [Int], _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
        m: Int, n: Int, k: Int
    ) -> Tensor {
        make(shape) {
            TensorCore.product(a, transposeA: transposeA, b, transposeB: transposeB, into: $0, m: m, n: n, k: k)
        }
    }

    /// Σ x², the squared L2 norm of all elements, outside any graph.
    public func squaredNorm() -> Float { squaredNorm(0..<count) }

    /// Σ x² over the elements in `range` (of the flat, row-major order).
    public func squaredNorm(_ range: Range<Int>) -> Float {
        let x = storage.pointer + range.lowerBound
        return cblas_sdot(Int32(range.count), x, 1, x, 1)
    }

    /// The matrix product (`torch.matmul`) of `[M, K]` by `[K, N]`, of a
    /// batch `[..., M, K]` by one matrix `[K, N]`, or of two batches
    /// `[..., M, K]` and `[..., K, N]` with equal batch dimensions.
    public func matmul(_ other: Tensor) -> Tensor {
        let shape = checked { try Shapes.matmul(self.shape, other.shape) }
        let m = self.shape[rank - 2]
        let k = self.shape[rank - 1]
        let n = other.shape[other.rank - 1]
        let a = storage.pointer
        let b = other.storage.pointer

        if other.rank == 2 {
            // One matrix on the right: the batch folds into the rows of A.
            let rows = count / Swift.max(k, 1)
            let result = Tensor.product(shape, a, transposeA: false, b, transposeB: false, m: rows, n: n, k: k)
            return result.recorded("MatMul", [self, other]) { g in
                // ∂L/∂A = g·Bᵀ, ∂L/∂B = Aᵀ·g
                let gp = g.storage.pointer
                return [
                    self.requiresGrad
                        ? Tensor.product(self.shape, gp, transposeA: false, b, transposeB: true, m: rows, n: k, k: n)
                        : nil,
                    other.requiresGrad
                        ? Tensor.product(other.shape, a, transposeA: true, gp, transposeB: false, m: k, n: n, k: rows)
                        : nil,
                ]
            }
        }

        let batch = shape.dropLast(2).reduce(1, *)
        let result = Tensor.make(shape) { out in
            for i in 0..<batch {
                gemm(
                    a + i * m * k, transposeA: false, b + i * k * n, transposeB: false,
                    into: out + i * m * n, m: m, n: n, k: k)
            }
        }
        return result.recorded("BatchMatMul", [self, other]) { g in
            let gp = g.storage.pointer
            let da: Tensor? =
                self.requiresGrad
                ? Tensor.make(self.shape) { out in
                    for i in 0..<batch {
                        gemm(
                            gp + i * m * n, transposeA: false, b + i * k * n, transposeB: true,
                            into: out + i * m * k, m: m, n: k, k: n)
                    }
                } : nil
            let db: Tensor? =
                other.requiresGrad
                ? Tensor.make(other.shape) { out in
                    for i in 0..<batch {
                        gemm(
                            a + i * m * k, transposeA: true, gp + i * m * n, transposeB: false,
                            into: out + i * k * n, m: k, n: n, k: m)
                    }
                } : nil
            return [da, db]
        }
    }
}

/// y = x·Wᵀ + b, the affine map of `torch.nn.functional.linear`; with
/// `addend`, y = x·Wᵀ + b + addend (`torch.addmm`'s input term, of y's
/// shape); with `relu`, max(…, 0) (`F.relu(F.linear(…) + addend)`). `x` is
/// `[..., in]`, `weight` is `[out, in]` (PyTorch's layout), `bias` is `[out]`.
///
/// One pass writes the result: for a large product one oneDNN matmul adds the
/// bias and applies the ReLU in its output pass; otherwise sgemm adds the
/// product onto the addend and bias rows, and the ReLU follows while the
/// result is in the cache. A layer ReLU(W·h + b + a) is one such call instead
/// of three operations and their intermediate tensors.
public func linear(
    _ x: Tensor, weight: Tensor, bias: Tensor?, addend: Tensor? = nil, relu: Bool = false
) -> Tensor {
    affine(x, weight: weight, bias: bias, addend: addend.map { .tensor($0) } ?? .none, relu: relu)
}

/// ReLU(x·Wᵀ + b + E[t]) with `relu`, else x·Wᵀ + b + E[t]: a linear layer
/// plus, on row r, row `indices[r]` of the table E (`F.linear(x, W, b) +
/// F.embedding(t, E)`), as the seeds' MLP adds a learned embedding of the
/// step t after each hidden layer. The rows are copied straight into the
/// result before the product is added onto them, without the gathered
/// `[rows, out]` matrix of `F.embedding`; E's gradient is ∂L/∂y's rows summed
/// into the rows they came from.
public func linear(
    _ x: Tensor, weight: Tensor, bias: Tensor?, embedding table: Tensor, indices: [Int], relu: Bool = false
) -> Tensor {
    let outFeatures = weight.shape.first ?? 0
    let rows = x.rank == 0 ? 0 : x.count / Swift.max(x.shape[x.rank - 1], 1)
    if table.rank != 2 || table.shape[1] != outFeatures || indices.count != rows {
        fail(
            "linear: the embedding table has shape \(describe(table.shape)) and \(indices.count) indices were "
                + "given, for \(rows) input rows and \(outFeatures) outputs; pass a table [count, \(outFeatures)] "
                + "and one index per input row.")
    }
    if let bad = indices.first(where: { $0 < 0 || $0 >= table.shape[0] }) {
        fail(
            "linear: index \(bad) is out of range for an embedding table of \(table.shape[0]) rows; indices must "
                + "lie in 0..<\(table.shape[0]).")
    }
    return affine(x, weight: weight, bias: bias, addend: .rows(table, indices), relu: relu)
}

/// Linear layers one after another, y = f_L(… f_1(x)) with f_l(h) = h·W_lᵀ +
/// b_l, then ReLU where `relu` (an MLP's `nn.Sequential` of `Linear` and
/// `ReLU`). Without a gradient to record and with many rows (a sampler's
/// batch), the rows go through all layers in tiles that stay in cache, the
/// tiles shared among the cores, each core running oneDNN's matmul alone
/// (`ddpm_linear_stack`): no intermediate tensors, and the product of two
/// 10,000×128 layers reads its input from cache instead of memory. Otherwise
/// (or if oneDNN is not there) it is `linear` layer by layer.
public func linearStack(_ x: Tensor, _ layers: [(weight: Tensor, bias: Tensor?, relu: Bool)]) -> Tensor {
    let recordsGraph =
        GradMode.isEnabled
        && (x.requiresGrad || layers.contains { $0.weight.requiresGrad || $0.bias?.requiresGrad == true })
    var widths = [x.rank > 0 ? x.shape[x.rank - 1] : 0]
    for layer in layers {
        let fits =
            layer.weight.rank == 2 && layer.weight.shape[1] == widths[widths.count - 1]
            && (layer.bias.map { $0.shape == [layer.weight.shape[0]] } ?? true)
        guard fits else { break }  // `linear` below names the misfit
        widths.append(layer.weight.shape[0])
    }
    let rows = x.count / Swift.max(widths[0], 1)
    if !recordsGraph && !layers.isEmpty && widths.count == layers.count + 1 && rows >= 512 {
        var shape = x.shape
        shape[shape.count - 1] = widths[layers.count]
        var done = false
        let y = Tensor.make(shape) { out in
            let weights: [UnsafePointer<Float>?] = layers.map { UnsafePointer($0.weight.storage.pointer) }
            let biases: [UnsafePointer<Float>?] = layers.map { $0.bias.map { UnsafePointer($0.storage.pointer) } }
            let relu = layers.map { Int32($0.relu ? 1 : 0) }
            done = withExtendedLifetime(layers) {
                ddpm_linear_stack(rows, layers.count, widths, weights, biases, relu, x.storage.pointer, out) == 0
            }
        }
        if done { return y }
    }
    return layers.reduce(x) { linear($0, weight: $1.weight, bias: $1.bias, relu: $1.relu) }
}

/// The term a linear layer adds to x·Wᵀ + b.
private enum Addend {
    case none
    /// A tensor of the output's shape.
    case tensor(Tensor)
    /// Rows of a table, one index per output row.
    case rows(Tensor, [Int])

    /// The tensor the term comes from (an input of the layer's graph node).
    var tensor: Tensor? {
        switch self {
        case .none: nil
        case .tensor(let e), .rows(let e, _): e
        }
    }
}

private func affine(_ x: Tensor, weight: Tensor, bias: Tensor?, addend: Addend, relu: Bool) -> Tensor {
    let inFeatures = weight.shape.count == 2 ? weight.shape[1] : -1
    if weight.rank != 2 || x.rank == 0 || x.shape[x.rank - 1] != inFeatures {
        fail(
            "linear: input of shape \(describe(x.shape)) does not fit a weight of shape \(describe(weight.shape)); "
                + "the input's last dimension must equal the layer's in-features (\(weight.shape.last ?? 0)). "
                + "Check the layer sizes, or reshape the input.")
    }
    let outFeatures = weight.shape[0]
    if let bias = bias, bias.shape != [outFeatures] {
        fail(
            "linear: the bias has shape \(describe(bias.shape)) but the weight has \(outFeatures) outputs; "
                + "the bias must have shape [\(outFeatures)].")
    }
    let rows = x.count / Swift.max(inFeatures, 1)
    var shape = x.shape
    shape[shape.count - 1] = outFeatures
    if case .tensor(let addend) = addend, addend.shape != shape {
        fail(
            "linear: the addend has shape \(describe(addend.shape)) but the output has shape \(describe(shape)); "
                + "pass a tensor of the output's shape (one row per input row).")
    }
    let xp = x.storage.pointer
    let wp = weight.storage.pointer
    var inputs: [Tensor] = []
    inputs.reserveCapacity(4)  // x, W, b, the addend's tensor: one allocation
    inputs.append(x)
    inputs.append(weight)
    if let bias { inputs.append(bias) }
    let result = Tensor.make(shape) { out in
        var accumulate = false
        var embedding: (table: UnsafePointer<Float>, indices: [Int])? = nil
        switch addend {
        case .none: break
        case .tensor(let e):
            out.update(from: e.storage.pointer, count: rows * outFeatures)
            accumulate = true
        case .rows(let table, let indices): embedding = (UnsafePointer(table.storage.pointer), indices)
        }
        product(
            xp, transposeA: false, wp, transposeB: true, into: out, m: rows, n: outFeatures, k: inFeatures,
            accumulate: accumulate, bias: bias?.storage.pointer, embedding: embedding, relu: relu)
    }
    if let e = addend.tensor { inputs.append(e) }
    // ∂L/∂b and ∂L/∂E of a ReLU layer, made in the ReLU's backward pass.
    typealias Sums = (bias: Tensor?, table: Tensor?)
    func gradients(_ g: Tensor, _ sums: Sums? = nil) -> [Tensor?] {
        let gp = g.storage.pointer
        // ∂L/∂x = g·W, ∂L/∂W = gᵀ·x, ∂L/∂b = Σ_rows g, ∂L/∂addend = g, ∂L/∂E[i] = Σ_{r: t_r = i} g_r
        let sideBySide =
            x.requiresGrad && weight.requiresGrad
            ? layerGradientsSideBySide(
                gp, x: xp, weight: wp, dxShape: x.shape, rows: rows, inFeatures: inFeatures,
                outFeatures: outFeatures) : nil
        var grads: [Tensor?] =
            sideBySide.map { [$0.dx, $0.dw] } ?? [
                x.requiresGrad
                    ? Tensor.product(
                        x.shape, gp, transposeA: false, wp, transposeB: false,
                        m: rows, n: inFeatures, k: outFeatures) : nil,
                weight.requiresGrad
                    ? Tensor.product(
                        weight.shape, gp, transposeA: true, xp, transposeB: false,
                        m: outFeatures, n: inFeatures, k: rows) : nil,
            ]
        if let bias {
            grads.append(
                sums?.bias
                    ?? (bias.requiresGrad
                        ? Tensor.make(bias.shape) { ddpm_column_sums(gp, rows, outFeatures, $0) } : nil))
        }
        switch addend {
        case .none: break
        case .tensor(let e): grads.append(e.requiresGrad ? g : nil)
        case .rows(let table, let indices):
            grads.append(
                sums?.table ?? (table.requiresGrad ? Tensor.rowsAdded(g, at: indices, into: table.shape) : nil))
        }
        return grads
    }
    guard relu else { return result.recorded("Linear", inputs) { gradients($0) } }
    return result.recordedWithOutput("LinearReLU", inputs) { gy, y in
        // ∂L/∂(x·Wᵀ + b + addend) = g where y > 0, else 0; in the same pass
        // ∂L/∂b = Σ_rows g and ∂L/∂E[i] = Σ_{r: t_r = i} g_r.
        let biasGrad = bias?.requiresGrad == true ? TensorStorage(uninitializedCount: outFeatures) : nil
        var tableGrad: (storage: TensorStorage, shape: [Int], indices: [Int])? = nil
        if case .rows(let table, let indices) = addend, table.requiresGrad {
            tableGrad = (TensorStorage(uninitializedCount: table.count), table.shape, indices)
        }
        let g = Tensor.make(y.shape) { out in
            ddpm_linear_relu_backward(
                y.storage.pointer, gy.storage.pointer, rows, outFeatures, out, biasGrad?.pointer,
                tableGrad?.indices ?? [], tableGrad?.storage.pointer, tableGrad?.shape[0] ?? 0)
        }
        return gradients(
            g,
            (
                biasGrad.map { Tensor(shape: [outFeatures], storage: $0) },
                tableGrad.map { Tensor(shape: $0.shape, storage: $0.storage) }
            ))
    }
}
