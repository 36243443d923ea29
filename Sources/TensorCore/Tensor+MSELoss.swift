internal import COpenBLAS

extension Tensor {
    /// The mean squared error against `target` of the same shape, as
    /// PyTorch's `F.mse_loss(input, target)` (reduction "mean"):
    ///
    ///     L = 1/n Σ_i (x_i − y_i)²,   ∂L/∂x = 2(x − y)/n,   ∂L/∂y = −2(x − y)/n.
    ///
    /// One graph node, where `(x − y).square().mean()` records five
    /// (subtraction, square, sum, reshape, scaling) and their tensors.
    public func mseLoss(_ target: Tensor) -> Tensor {
        guard shape == target.shape else {
            fail(
                "mseLoss: the prediction has shape \(shape) but the target has shape \(target.shape); "
                    + "give both the same shape (the seeds compare the predicted noise with the noise drawn).")
        }
        let n = count
        let x = storage.pointer, y = target.storage.pointer
        let difference = Tensor.make(shape) { d in
            for i in 0..<n { d[i] = x[i] - y[i] }
        }
        let squares = cblas_sdot(Int32(n), difference.storage.pointer, 1, difference.storage.pointer, 1)
        let loss = Tensor([squares / Float(Swift.max(n, 1))], shape: [])
        return loss.recorded("MSELoss", [self, target]) { g in
            let scale = 2 * g.item() / Float(Swift.max(n, 1))
            let d = difference.storage.pointer
            let dx = Tensor.make(difference.shape) { out in
                for i in 0..<n { out[i] = d[i] * scale }
            }
            return [dx, target.requiresGrad ? -dx : nil]
        }
    }
}
