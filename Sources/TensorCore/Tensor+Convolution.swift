internal import CTensorKernels

// 2-D convolution and its transpose on NCHW tensors: through oneDNN (the
// library PyTorch uses for them on CPU) when it can, else by im2col and one
// sgemm per chunk of images, the images of a chunk side by side in one column
// matrix so that the product is large enough for OpenBLAS's threads, in
// scratch memory reused from call to call.

/// The geometry of one 2-D convolution.
struct ConvGeometry {
    let channels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let stride: Int, padding: Int
    var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var patch: Int { channels * kernelHeight * kernelWidth }
    var positions: Int { outHeight * outWidth }
    var imageSize: Int { channels * height * width }

    private var c: ddpm_conv_geometry {
        ddpm_conv_geometry(
            channels: Int32(channels), height: Int32(height), width: Int32(width),
            kernel_height: Int32(kernelHeight), kernel_width: Int32(kernelWidth), stride: Int32(stride),
            padding: Int32(padding), out_height: Int32(outHeight), out_width: Int32(outWidth))
    }

    /// Unfolds image `[C, H, W]` into its `positions` columns of a column
    /// matrix `[C·KH·KW, ld]` that starts at `columns`.
    func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, ld: Int) {
        var g = c
        ddpm_im2col(image, &g, columns, ld)
    }

    /// Adds columns back onto an image: the adjoint of `im2col`.
    func col2im(_ columns: UnsafePointer<Float>, ld: Int, into image: UnsafeMutablePointer<Float>) {
        var g = c
        ddpm_col2im(columns, ld, &g, image)
    }

    /// The convolution as oneDNN sees it, for `n` images and `outChannels`
    /// filters; `trailingPadding` is the padding after the last row and
    /// column (less than `padding` for a transposed convolution's output padding).
    func oneDNNShape(images n: Int, outChannels: Int, trailingPadding: Int? = nil) -> ddpm_conv_shape {
        let after = Int32(trailingPadding ?? padding)
        return ddpm_conv_shape(
            n: Int32(n), c: Int32(channels), h: Int32(height), w: Int32(width), o: Int32(outChannels),
            kh: Int32(kernelHeight), kw: Int32(kernelWidth), oh: Int32(outHeight), ow: Int32(outWidth),
            stride: Int32(stride), pad: Int32(padding), pad_bottom: after, pad_right: after)
    }

    /// How many images go into one column matrix: as many as fit in
    /// `Scratch.chunkFloats` floats, at least one.
    func imagesPerChunk(_ n: Int) -> Int {
        Swift.max(1, Swift.min(n, Scratch.chunkFloats / Swift.max(patch * positions, 1)))
    }
}

/// Which implementation convolutions use.
enum ConvolutionBackend {
    /// oneDNN, unless DDPM_CONV=im2col is set or oneDNN cannot start; tests
    /// switch it off to check the im2col path too.
    static var useOneDNN: Bool = {
        // oneDNN's reordered copies of tensors come from the tensors' block cache.
        ddpm_set_block_allocator(
            { bytes in BufferCache.allocate(bytes: bytes) },
            { pointer, bytes in if let pointer = pointer { BufferCache.release(pointer, bytes: bytes) } })
        return ddpm_conv_uses_onednn() != 0
    }()
}

/// Memory reused across operations for column matrices and reordered
/// gradients: a few buffers that grow to the largest size asked and are kept,
/// so that a training step does not map and fault in fresh pages for every
/// convolution. Single-threaded, like the rest of TensorCore.
enum Scratch {
    /// The target size of one column matrix, in floats (16 MB).
    static var chunkFloats = 1 << 22
    private static var buffers: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    /// Buffer `slot` with room for at least `count` floats; its contents are
    /// undefined. Slots are distinct memory.
    static func buffer(_ slot: Int, _ count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot { buffers.append((UnsafeMutablePointer<Float>.allocate(capacity: 1), 1)) }
        if buffers[slot].capacity < count {
            buffers[slot].pointer.deallocate()
            buffers[slot] = (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
        }
        return buffers[slot].pointer
    }
}

/// Copies images `[k, C, P]` into the matrix `[C, k·P]` (image i's channel c
/// at row c, columns i·P ..< (i + 1)·P).
@inline(__always)
func gatherImages(
    _ source: UnsafePointer<Float>, images k: Int, channels: Int, positions: Int,
    into matrix: UnsafeMutablePointer<Float>
) {
    for i in 0..<k {
        for c in 0..<channels {
            (matrix + c * k * positions + i * positions).update(
                from: source + (i * channels + c) * positions, count: positions)
        }
    }
}

/// The inverse of `gatherImages`: the matrix `[C, k·P]` back into images
/// `[k, C, P]`, added to what is there when `accumulate`.
@inline(__always)
func scatterImages(
    _ matrix: UnsafePointer<Float>, images k: Int, channels: Int, positions: Int,
    into target: UnsafeMutablePointer<Float>, accumulate: Bool = false
) {
    for i in 0..<k {
        for c in 0..<channels {
            let from = matrix + c * k * positions + i * positions
            let to = target + (i * channels + c) * positions
            if accumulate {
                for j in 0..<positions { to[j] += from[j] }
            } else {
                to.update(from: from, count: positions)
            }
        }
    }
}

/// Fills each channel plane of `images` `[k, O, P]` with its bias, or zeros.
@inline(__always)
func fillBias(_ bias: Tensor?, images k: Int, channels: Int, positions: Int, into target: UnsafeMutablePointer<Float>) {
    guard let bias = bias else {
        target.update(repeating: 0, count: k * channels * positions)
        return
    }
    for i in 0..<k {
        for o in 0..<channels {
            (target + (i * channels + o) * positions).update(repeating: bias.storage.pointer[o], count: positions)
        }
    }
}

/// The 2-D convolution (cross-correlation) of `torch.nn.functional.conv2d`:
/// `input` `[N, C, H, W]`, `weight` `[O, C, KH, KW]`, `bias` `[O]`; the result
/// is `[N, O, (H + 2p − KH)/s + 1, (W + 2p − KW)/s + 1]`:
///
///     y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c].
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    if input.rank != 4 || weight.rank != 4 || input.shape[1] != weight.shape[1] {
        fail(
            "conv2d: input of shape \(describe(input.shape)) does not fit a weight of shape \(describe(weight.shape)); "
                + "the input must be [N, C, H, W] and the weight [outChannels, C, KH, KW] with the same C.")
    }
    if stride < 1 || padding < 0 {
        fail("conv2d: stride must be at least 1 and padding at least 0, got stride \(stride), padding \(padding).")
    }
    let (n, outChannels) = (input.shape[0], weight.shape[0])
    let geometry = ConvGeometry(
        channels: input.shape[1], height: input.shape[2], width: input.shape[3],
        kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], stride: stride, padding: padding)
    if geometry.outHeight < 1 || geometry.outWidth < 1 {
        fail(
            "conv2d: a \(weight.shape[2])×\(weight.shape[3]) kernel does not fit an input of "
                + "\(input.shape[2])×\(input.shape[3]) with padding \(padding); pad more or use a smaller kernel.")
    }
    if let bias = bias, bias.shape != [outChannels] {
        fail("conv2d: the bias has shape \(describe(bias.shape)); it must be [\(outChannels)], one per output channel.")
    }
    let (patch, positions, imageSize) = (geometry.patch, geometry.positions, geometry.imageSize)
    let chunk = geometry.imagesPerChunk(n)
    let xp = input.storage.pointer
    let wp = weight.storage.pointer
    var shape = geometry.oneDNNShape(images: n, outChannels: outChannels)
    let result = Tensor.make([n, outChannels, geometry.outHeight, geometry.outWidth]) { out in
        if ConvolutionBackend.useOneDNN && ddpm_conv2d_forward(&shape, xp, wp, bias?.storage.pointer, out) == 0 {
            return
        }
        let columns = Scratch.buffer(0, patch * chunk * positions)
        let product = Scratch.buffer(1, outChannels * chunk * positions)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let k = Swift.min(chunk, n - start)
            let ld = k * positions
            for i in 0..<k { geometry.im2col(xp + (start + i) * imageSize, into: columns + i * positions, ld: ld) }
            let y = out + start * outChannels * positions
            fillBias(bias, images: k, channels: outChannels, positions: positions, into: y)
            if k == 1 {
                gemm(
                    wp, transposeA: false, columns, transposeB: false, into: y, m: outChannels, n: ld, k: patch, beta: 1
                )
            } else {
                // [O, k·P] = W · cols, then into the k images.
                gemm(wp, transposeA: false, columns, transposeB: false, into: product, m: outChannels, n: ld, k: patch)
                scatterImages(
                    product, images: k, channels: outChannels, positions: positions, into: y, accumulate: true)
            }
        }
    }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return result.recorded("Conv2d", inputs) { g in
        let gp = g.storage.pointer
        var shape = shape
        if ConvolutionBackend.useOneDNN {
            let dx: Tensor? = input.requiresGrad ? Tensor.make(input.shape) { _ in } : nil
            let dw: Tensor? = weight.requiresGrad ? Tensor.make(weight.shape) { _ in } : nil
            // oneDNN computes ∂L/∂b along with ∂L/∂W when both are wanted.
            let db: Tensor? = dw != nil && bias?.requiresGrad == true ? Tensor.make([outChannels]) { _ in } : nil
            var done = true
            if let dx = dx { done = ddpm_conv2d_backward_data(&shape, gp, wp, dx.storage.pointer) == 0 }
            if done, let dw = dw {
                done = ddpm_conv2d_backward_weights(&shape, xp, gp, dw.storage.pointer, db?.storage.pointer) == 0
            }
            if done {
                guard let bias = bias else { return [dx, dw] }
                return [dx, dw, db ?? (bias.requiresGrad ? g.sum(axes: [0, 2, 3]) : nil)]
            }
        }
        let dx: Tensor? = input.requiresGrad ? Tensor(repeating: 0, shape: input.shape) : nil
        let dw: Tensor? = weight.requiresGrad ? Tensor(repeating: 0, shape: weight.shape) : nil
        let columns = Scratch.buffer(0, patch * chunk * positions)
        let gradients = Scratch.buffer(1, outChannels * chunk * positions)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let k = Swift.min(chunk, n - start)
            let ld = k * positions
            // g as [O, k·P], the layout of the forward product.
            gatherImages(
                gp + start * outChannels * positions, images: k, channels: outChannels, positions: positions,
                into: gradients)
            if let dw = dw {
                // ∂L/∂W += g · colsᵀ
                for i in 0..<k { geometry.im2col(xp + (start + i) * imageSize, into: columns + i * positions, ld: ld) }
                gemm(
                    gradients, transposeA: false, columns, transposeB: true, into: dw.storage.pointer, m: outChannels,
                    n: patch, k: ld, beta: 1)
            }
            if let dx = dx {
                // ∂L/∂cols = Wᵀ · g, folded back onto the images.
                gemm(wp, transposeA: true, gradients, transposeB: false, into: columns, m: patch, n: ld, k: outChannels)
                for i in 0..<k {
                    geometry.col2im(columns + i * positions, ld: ld, into: dx.storage.pointer + (start + i) * imageSize)
                }
            }
        }
        var grads = [dx, dw]
        if let bias = bias {
            grads.append(bias.requiresGrad ? g.sum(axes: [0, 2, 3]) : nil)
        }
        return grads
    }
}

extension Tensor {
    /// Nearest-neighbour upsampling of `[N, C, H, W]` by an integer factor
    /// (`nn.Upsample(scale_factor:, mode: "nearest")`).
    public func upsampleNearest(scale: Int) -> Tensor {
        if rank != 4 || scale < 1 {
            fail(
                "upsampleNearest: needs an [N, C, H, W] tensor and a scale of at least 1; "
                    + "got shape \(describe(shape)) and scale \(scale).")
        }
        let planes = shape[0] * shape[1]
        let (h, w) = (shape[2], shape[3])
        let source = storage.pointer
        let result = Tensor.make([shape[0], shape[1], h * scale, w * scale]) {
            ddpm_upsample_nearest(source, planes, h, w, scale, $0)
        }
        let inputShape = shape
        return result.recorded("UpsampleNearest", [self]) { g in
            [Tensor.make(inputShape) { ddpm_upsample_nearest_backward(g.storage.pointer, planes, h, w, scale, $0) }]
        }
    }
}

/// The transposed 2-D convolution of `torch.nn.functional.conv_transpose2d`,
/// the adjoint of `conv2d` with respect to its input (each input pixel
/// scatters a weighted copy of the kernel onto the output): `input`
/// `[N, C, H, W]`, `weight` `[C, O, KH, KW]` (PyTorch's layout), `bias` `[O]`;
/// the result is `[N, O, (H − 1)·s − 2p + KH + op, (W − 1)·s − 2p + KW + op]`
/// with output padding op < s.
public func convTranspose2d(
    _ input: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0
) -> Tensor {
    if input.rank != 4 || weight.rank != 4 || input.shape[1] != weight.shape[0] {
        fail(
            "convTranspose2d: input of shape \(describe(input.shape)) does not fit a weight of shape "
                + "\(describe(weight.shape)); the input must be [N, C, H, W] and the weight "
                + "[C, outChannels, KH, KW] with the same C.")
    }
    if stride < 1 || padding < 0 || outputPadding < 0 || outputPadding >= stride {
        fail(
            "convTranspose2d: stride must be at least 1, padding at least 0 and output padding less than the "
                + "stride, got stride \(stride), padding \(padding), output padding \(outputPadding).")
    }
    let (n, inChannels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let outChannels = weight.shape[1]
    let outHeight = (height - 1) * stride - 2 * padding + weight.shape[2] + outputPadding
    let outWidth = (width - 1) * stride - 2 * padding + weight.shape[3] + outputPadding
    if outHeight < 1 || outWidth < 1 {
        fail(
            "convTranspose2d: padding \(padding) leaves no output for an input of \(height)×\(width) and a "
                + "\(weight.shape[2])×\(weight.shape[3]) kernel; use less padding.")
    }
    if let bias = bias, bias.shape != [outChannels] {
        fail(
            "convTranspose2d: the bias has shape \(describe(bias.shape)); it must be [\(outChannels)], one per "
                + "output channel.")
    }
    // The output plays the part of conv2d's input: its column matrix has one
    // column per input pixel.
    let geometry = ConvGeometry(
        channels: outChannels, height: outHeight, width: outWidth,
        kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], stride: stride, padding: padding)
    let (patch, positions, outputImage) = (geometry.patch, geometry.positions, geometry.imageSize)
    let chunk = geometry.imagesPerChunk(n)
    let xp = input.storage.pointer
    let wp = weight.storage.pointer
    // For oneDNN: the convolution from this output back to the input, whose
    // backward-data pass is this forward pass (padding after less by the
    // output padding).
    var shape = geometry.oneDNNShape(images: n, outChannels: inChannels, trailingPadding: padding - outputPadding)
    let oneDNN = ConvolutionBackend.useOneDNN && padding >= outputPadding
    let result = Tensor.make([n, outChannels, outHeight, outWidth]) { out in
        if oneDNN && ddpm_conv2d_backward_data(&shape, xp, wp, out) == 0 {
            if let bias = bias {
                let bp = bias.storage.pointer
                for i in 0..<(n * outChannels) {
                    let plane = out + i * outHeight * outWidth
                    let b = bp[i % outChannels]
                    for j in 0..<(outHeight * outWidth) { plane[j] += b }
                }
            }
            return
        }
        let columns = Scratch.buffer(0, patch * chunk * positions)
        let pixels = Scratch.buffer(1, inChannels * chunk * positions)
        fillBias(bias, images: n, channels: outChannels, positions: outHeight * outWidth, into: out)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let k = Swift.min(chunk, n - start)
            let ld = k * positions
            // cols = Wᵀ · x with W read as [C, O·KH·KW] and x as [C, k·H·W], folded onto the outputs.
            gatherImages(
                xp + start * inChannels * positions, images: k, channels: inChannels, positions: positions, into: pixels
            )
            gemm(wp, transposeA: true, pixels, transposeB: false, into: columns, m: patch, n: ld, k: inChannels)
            for i in 0..<k { geometry.col2im(columns + i * positions, ld: ld, into: out + (start + i) * outputImage) }
        }
    }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return result.recorded("ConvTranspose2d", inputs) { g in
        let gp = g.storage.pointer
        var shape = shape
        if oneDNN {
            // ∂L/∂x is that convolution's forward pass over g, ∂L/∂W its weight gradient.
            let dx: Tensor? = input.requiresGrad ? Tensor.make(input.shape) { _ in } : nil
            let dw: Tensor? = weight.requiresGrad ? Tensor.make(weight.shape) { _ in } : nil
            var done = true
            if let dx = dx { done = ddpm_conv2d_forward(&shape, gp, wp, nil, dx.storage.pointer) == 0 }
            if done, let dw = dw { done = ddpm_conv2d_backward_weights(&shape, gp, xp, dw.storage.pointer, nil) == 0 }
            if done {
                guard let bias = bias else { return [dx, dw] }
                return [dx, dw, bias.requiresGrad ? g.sum(axes: [0, 2, 3]) : nil]
            }
        }
        let dx: Tensor? = input.requiresGrad ? Tensor(repeating: 0, shape: input.shape) : nil
        let dw: Tensor? = weight.requiresGrad ? Tensor(repeating: 0, shape: weight.shape) : nil
        let columns = Scratch.buffer(0, patch * chunk * positions)
        let pixels = Scratch.buffer(1, inChannels * chunk * positions)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let k = Swift.min(chunk, n - start)
            let ld = k * positions
            for i in 0..<k { geometry.im2col(gp + (start + i) * outputImage, into: columns + i * positions, ld: ld) }
            if let dx = dx {
                // ∂L/∂x = W · im2col(g)
                gemm(wp, transposeA: false, columns, transposeB: false, into: pixels, m: inChannels, n: ld, k: patch)
                scatterImages(
                    pixels, images: k, channels: inChannels, positions: positions,
                    into: dx.storage.pointer + start * inChannels * positions)
            }
            if let dw = dw {
                // ∂L/∂W += x · im2col(g)ᵀ
                gatherImages(
                    xp + start * inChannels * positions, images: k, channels: inChannels, positions: positions,
                    into: pixels)
                gemm(
                    pixels, transposeA: false, columns, transposeB: true, into: dw.storage.pointer, m: inChannels,
                    n: patch, k: ld, beta: 1)
            }
        }
        var grads = [dx, dw]
        if let bias = bias {
            grads.append(bias.requiresGrad ? g.sum(axes: [0, 2, 3]) : nil)
        }
        return grads
    }
}
