internal import CNumerics
import TensorCore

/// Rescales the gradients of `parameters` so that their joint L2 norm is at
/// most `maxNorm` (`torch.nn.utils.clip_grad_norm_`): with
/// ‖g‖ = √(Σ g²) over all gradients, each is multiplied by
/// min(1, maxNorm / (‖g‖ + 10⁻⁶)). Returns ‖g‖ before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    if !(maxNorm > 0) {
        fail("clipGradNorm: maxNorm must be positive, got \(maxNorm); the seeds clip at 1.0.")
    }
    let gradients = parameters.compactMap { p in p.grad.map { (p, $0) } }
    let shared = sharesStep(parameterCount: gradients.reduce(0) { $0 + $1.1.count })
    let parts = stepParts(gradients.map(\.1))
    // Σg² of each block of `squaresBlock` elements, on the core whose part
    // (the one Adam's step takes next) holds the block's start, added in the
    // same order whether or not the cores share the work: the norm has the
    // same bits either way.
    var firstBlock = [0]
    for (_, grad) in gradients {
        firstBlock.append(firstBlock[firstBlock.count - 1] + (grad.count + squaresBlock - 1) / squaresBlock)
    }
    var squares = [Float](repeating: 0, count: firstBlock[gradients.count])
    squares.withUnsafeMutableBufferPointer { sums in
        let sums = sums  // a copy of the pointer, which the closure below may capture
        onEachCore(shared) { share in
            for (index, (_, grad)) in gradients.enumerated() {
                let part = parts.part(index, count: grad.count, share: share)
                var start = (part.lowerBound + squaresBlock - 1) / squaresBlock * squaresBlock
                while start < part.upperBound {
                    let block = start..<Swift.min(start + squaresBlock, grad.count)
                    sums[firstBlock[index] + start / squaresBlock] = grad.squaredNorm(block)
                    start += squaresBlock
                }
            }
        }
    }
    var total: Double = 0
    for (index, (p, _)) in gradients.enumerated() {
        let blocks = squares[firstBlock[index]..<firstBlock[index + 1]]
        // Σg² is finite only if every g is (scaling by a coefficient below 1
        // keeps them so): the optimiser's step need not check them again.
        p.gradIsKnownFinite = blocks.allSatisfy(\.isFinite)
        total += blocks.reduce(0) { $0 + Double($1) }
    }
    let norm = Float(total.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        onEachCore(shared) { share in
            for (index, (_, grad)) in gradients.enumerated() {
                let part = parts.part(index, count: grad.count, share: share)
                ddpm_scale(grad.storage.pointer + part.lowerBound, part.count, coefficient)
            }
        }
    }
    return norm
}

/// The elements whose squares `clipGradNorm` sums in one call: 16 KB.
private let squaresBlock = 4096
