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

extension Tensor {
    /// A new `[..]`-shaped tensor holding op(A)·op(B), outside any graph.
    static func product(
        _ shape: [Int], _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
        m: Int, n: Int, k: Int
    ) -> Tensor {
        make(shape) { gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: $0, m: m, n: n, k: k) }
    }

    /// Σ x², the squared L2 norm of all elements, outside any graph.
    public func squaredNorm() -> Float {
        cblas_sdot(Int32(count), storage.pointer, 1, storage.pointer, 1)
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

/// y = x·Wᵀ + b, the affine map of `torch.nn.functional.linear`, or with
/// `relu` y = max(x·Wᵀ + b, 0) (`F.relu(F.linear(…))`): `x` is `[..., in]`,
/// `weight` is `[out, in]` (PyTorch's layout), `bias` is `[out]`.
///
/// One oneDNN matmul adds the bias and applies the ReLU in the product's
/// output pass, so the result is written once; where oneDNN is missing, one
/// sgemm onto the bias rows and a ReLU pass do the same.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, relu: Bool = false) -> Tensor {
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
    let xp = x.storage.pointer
    let wp = weight.storage.pointer
    let result = Tensor.make(shape) { out in
        if rows == 0 { return }
        let bp = bias?.storage.pointer
        if inFeatures > 0, ddpm_linear_forward(rows, inFeatures, outFeatures, xp, wp, bp, relu ? 1 : 0, out) == 0 {
            return
        }
        if let bp {
            for r in 0..<rows { (out + r * outFeatures).update(from: bp, count: outFeatures) }
        }
        gemm(
            xp, transposeA: false, wp, transposeB: true, into: out,
            m: rows, n: outFeatures, k: inFeatures, beta: bias == nil ? 0 : 1)
        if relu { ddpm_relu_forward(out, out, rows * outFeatures) }
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    func gradients(_ g: Tensor) -> [Tensor?] {
        let gp = g.storage.pointer
        // ∂L/∂x = g·W, ∂L/∂W = gᵀ·x, ∂L/∂b = Σ_rows g
        var grads: [Tensor?] = [
            x.requiresGrad
                ? Tensor.product(
                    x.shape, gp, transposeA: false, wp, transposeB: false,
                    m: rows, n: inFeatures, k: outFeatures) : nil,
            weight.requiresGrad
                ? Tensor.product(
                    weight.shape, gp, transposeA: true, xp, transposeB: false,
                    m: outFeatures, n: inFeatures, k: rows) : nil,
        ]
        if let bias = bias {
            grads.append(
                bias.requiresGrad
                    ? Tensor.make(bias.shape) { out in
                        out.update(repeating: 0, count: outFeatures)
                        for r in 0..<rows {
                            let row = gp + r * outFeatures
                            for j in 0..<outFeatures { out[j] += row[j] }
                        }
                    } : nil)
        }
        return grads
    }
    guard relu else { return result.recorded("Linear", inputs, gradients) }
    return result.recordedWithOutput("LinearReLU", inputs) { gy, y in
        // ∂L/∂(x·Wᵀ + b) = g where y > 0, else 0.
        gradients(Tensor.make(y.shape) { ddpm_relu_backward(y.storage.pointer, gy.storage.pointer, $0, y.count) })
    }
}
