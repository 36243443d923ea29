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
        let n = Float(Swift.max(count, 1))
        let difference = GradMode.withNoGrad { self - target }
        let loss = Tensor([difference.squaredNorm() / n], shape: [])
        return loss.recorded("MSELoss", [self, target]) { g in
            let dx = difference * (2 * g.item() / n)  // backward runs without recording
            return [dx, target.requiresGrad ? -dx : nil]
        }
    }
}
