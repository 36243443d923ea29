// 2-D convolution by im2col and sgemm, and nearest-neighbour upsampling, on
// NCHW tensors.

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

    /// Calls `body(columnIndex, pixelIndex)` for every in-bounds pair of a
    /// column-matrix entry and an input pixel; out-of-bounds entries are the
    /// zero padding.
    @inline(__always)
    func forEachTap(_ body: (_ colIndex: Int, _ pixelIndex: Int) -> Void) {
        for c in 0..<channels {
            for i in 0..<kernelHeight {
                for j in 0..<kernelWidth {
                    let row = (c * kernelHeight + i) * kernelWidth + j
                    for oh in 0..<outHeight {
                        let ih = oh * stride - padding + i
                        if ih < 0 || ih >= height { continue }
                        for ow in 0..<outWidth {
                            let iw = ow * stride - padding + j
                            if iw < 0 || iw >= width { continue }
                            body(row * positions + oh * outWidth + ow, (c * height + ih) * width + iw)
                        }
                    }
                }
            }
        }
    }

    /// Unfolds one image `[C, H, W]` into the column matrix `[C·KH·KW, Ho·Wo]`.
    func im2col(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        columns.update(repeating: 0, count: patch * positions)
        forEachTap { column, pixel in columns[column] = image[pixel] }
    }

    /// Adds a column matrix back onto an image: the adjoint of `im2col`.
    func col2im(_ columns: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        forEachTap { column, pixel in image[pixel] += columns[column] }
    }
}

/// The 2-D convolution (cross-correlation) of `torch.nn.functional.conv2d`:
/// `input` `[N, C, H, W]`, `weight` `[O, C, KH, KW]`, `bias` `[O]`; the result
/// is `[N, O, (H + 2p − KH)/s + 1, (W + 2p − KW)/s + 1]`.
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
    let (patch, positions) = (geometry.patch, geometry.positions)
    let imageSize = geometry.channels * geometry.height * geometry.width
    let shape = [n, outChannels, geometry.outHeight, geometry.outWidth]
    let xp = input.storage.pointer
    let wp = weight.storage.pointer
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(patch * positions, 1))
    defer { columns.deallocate() }
    let result = Tensor.make(shape) { out in
        for b in 0..<n {
            let y = out + b * outChannels * positions
            if let bias = bias {
                for o in 0..<outChannels {
                    (y + o * positions).update(repeating: bias.storage.pointer[o], count: positions)
                }
            }
            geometry.im2col(xp + b * imageSize, into: columns)
            gemm(
                wp, transposeA: false, columns, transposeB: false, into: y,
                m: outChannels, n: positions, k: patch, beta: bias == nil ? 0 : 1)
        }
    }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return result.recorded("Conv2d", inputs) { g, _ in
        let gp = g.storage.pointer
        let dx: Tensor? = input.requiresGrad ? Tensor(repeating: 0, shape: input.shape) : nil
        let dw: Tensor? = weight.requiresGrad ? Tensor(repeating: 0, shape: weight.shape) : nil
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(patch * positions, 1))
        defer { columns.deallocate() }
        for b in 0..<n {
            let gy = gp + b * outChannels * positions
            if let dw = dw {
                // ∂L/∂W += g_b · colsᵀ
                geometry.im2col(xp + b * imageSize, into: columns)
                gemm(
                    gy, transposeA: false, columns, transposeB: true, into: dw.storage.pointer,
                    m: outChannels, n: patch, k: positions, beta: 1)
            }
            if let dx = dx {
                // ∂L/∂cols = Wᵀ · g_b, folded back onto the image.
                gemm(
                    wp, transposeA: true, gy, transposeB: false, into: columns,
                    m: patch, n: positions, k: outChannels)
                geometry.col2im(columns, into: dx.storage.pointer + b * imageSize)
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
        let (oh, ow) = (h * scale, w * scale)
        let source = storage.pointer
        let result = Tensor.make([shape[0], shape[1], oh, ow]) { out in
            for p in 0..<planes {
                for y in 0..<oh {
                    let row = source + (p * h + y / scale) * w
                    let target = out + (p * oh + y) * ow
                    for x in 0..<ow { target[x] = row[x / scale] }
                }
            }
        }
        let inputShape = shape
        return result.recorded("UpsampleNearest", [self]) { g, _ in
            let gp = g.storage.pointer
            return [
                Tensor.make(inputShape) { out in
                    out.update(repeating: 0, count: planes * h * w)
                    for p in 0..<planes {
                        for y in 0..<oh {
                            let row = out + (p * h + y / scale) * w
                            let source = gp + (p * oh + y) * ow
                            for x in 0..<ow { row[x / scale] += source[x] }
                        }
                    }
                }
            ]
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
    // The output plays the part of conv2d's input: its im2col has one column
    // per input pixel.
    let geometry = ConvGeometry(
        channels: outChannels, height: outHeight, width: outWidth,
        kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], stride: stride, padding: padding)
    let (patch, positions) = (geometry.patch, geometry.positions)
    let inputImage = inChannels * height * width
    let outputImage = outChannels * outHeight * outWidth
    let xp = input.storage.pointer
    let wp = weight.storage.pointer
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(patch * positions, 1))
    defer { columns.deallocate() }
    let result = Tensor.make([n, outChannels, outHeight, outWidth]) { out in
        for b in 0..<n {
            let y = out + b * outputImage
            if let bias = bias {
                for o in 0..<outChannels {
                    (y + o * outHeight * outWidth).update(
                        repeating: bias.storage.pointer[o], count: outHeight * outWidth)
                }
            } else {
                y.update(repeating: 0, count: outputImage)
            }
            // cols = Wᵀ·x_b with W read as [C, O·KH·KW], folded onto the output.
            gemm(
                wp, transposeA: true, xp + b * inputImage, transposeB: false, into: columns,
                m: patch, n: positions, k: inChannels)
            geometry.col2im(columns, into: y)
        }
    }
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return result.recorded("ConvTranspose2d", inputs) { g, _ in
        let gp = g.storage.pointer
        let dx: Tensor? = input.requiresGrad ? Tensor(repeating: 0, shape: input.shape) : nil
        let dw: Tensor? = weight.requiresGrad ? Tensor(repeating: 0, shape: weight.shape) : nil
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(patch * positions, 1))
        defer { columns.deallocate() }
        for b in 0..<n {
            geometry.im2col(gp + b * outputImage, into: columns)
            if let dx = dx {
                // ∂L/∂x_b = W · im2col(g_b)
                gemm(
                    wp, transposeA: false, columns, transposeB: false, into: dx.storage.pointer + b * inputImage,
                    m: inChannels, n: positions, k: patch)
            }
            if let dw = dw {
                // ∂L/∂W += x_b · im2col(g_b)ᵀ
                gemm(
                    xp + b * inputImage, transposeA: false, columns, transposeB: true, into: dw.storage.pointer,
                    m: inChannels, n: patch, k: positions, beta: 1)
            }
        }
        var grads = [dx, dw]
        if let bias = bias {
            grads.append(bias.requiresGrad ? g.sum(axes: [0, 2, 3]) : nil)
        }
        return grads
    }
}
