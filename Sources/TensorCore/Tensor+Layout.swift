// Operations that rearrange elements: reshape, permute, concat, slicing and
// row gathers.

internal import CTensorKernels

extension Tensor {
    /// The same elements in another shape; one dimension may be -1 to be
    /// inferred. Shares memory with this tensor, like `torch.Tensor.view`.
    public func reshape(_ newShape: [Int]) -> Tensor {
        let resolved = checked { try Shapes.reshape(shape, to: newShape) }
        if resolved == shape { return self }
        let inputShape = shape
        return Tensor(shape: resolved, storage: storage.share()).recorded("Reshape", [self]) { g in
            [g.reshape(inputShape)]
        }
    }

    /// `reshape` with the sizes as arguments: `x.reshape(-1, 2)`.
    public func reshape(_ sizes: Int...) -> Tensor { reshape(sizes) }

    /// Collapses the dimensions from `startAxis` on into one.
    public func flatten(startAxis: Int = 0) -> Tensor {
        let a = checked { try Shapes.axis(startAxis, rank: rank, op: "flatten") }
        return reshape(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
    }

    /// Inserts a dimension of size 1 at `axis` (`torch.unsqueeze`).
    public func unsqueeze(axis: Int) -> Tensor {
        let a = checked { try Shapes.axis(axis, rank: rank + 1, op: "unsqueeze") }
        var newShape = shape
        newShape.insert(1, at: a)
        return reshape(newShape)
    }

    /// Removes a dimension of size 1 at `axis` (`torch.squeeze`).
    public func squeeze(axis: Int) -> Tensor {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "squeeze") }
        if shape[a] != 1 {
            fail(
                "squeeze: axis \(axis) of shape \(describe(shape)) has size \(shape[a]), not 1; only a dimension "
                    + "of size 1 can be removed.")
        }
        var newShape = shape
        newShape.remove(at: a)
        return reshape(newShape)
    }

    /// Reorders the axes: result axis i is input axis `axes[i]`
    /// (`torch.permute`). Copies.
    public func permute(_ axes: [Int]) -> Tensor {
        let order = checked { try Shapes.permutation(axes, rank: rank) }
        if order == Array(0..<rank) { return self }
        let newShape = order.map { shape[$0] }
        let inputStrides = Tensor.strides(shape)
        let readStrides = order.map { inputStrides[$0] }
        let source = storage.pointer
        let result = Tensor.make(newShape) { out in
            forEachRow(newShape, readStrides, readStrides) { o, n, offset, step, _, _ in
                for j in 0..<n { out[o + j] = source[offset + j * step] }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in order.enumerated() { inverse[a] = i }
        return result.recorded("Permute", [self]) { g in [g.permute(inverse)] }
    }

    /// `permute` with the axes as arguments: `x.permute(0, 2, 3, 1)`.
    public func permute(_ axes: Int...) -> Tensor { permute(axes) }

    /// Swaps two axes (`torch.transpose`).
    public func transpose(_ axis0: Int, _ axis1: Int) -> Tensor {
        let a = checked { try Shapes.axis(axis0, rank: rank, op: "transpose") }
        let b = checked { try Shapes.axis(axis1, rank: rank, op: "transpose") }
        var order = Array(0..<rank)
        order.swapAt(a, b)
        return permute(order)
    }

    /// The transpose of a matrix: swaps the last two axes.
    public var T: Tensor { transpose(-2, -1) }

    /// Elements `start ..< start + length` along `axis` (`torch.narrow`).
    public func narrow(axis: Int, start: Int, length: Int) -> Tensor {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "narrow") }
        if start < 0 || length < 0 || start + length > shape[a] {
            fail(
                "slice: \(start)..<\(start + length) is out of range for axis \(axis) of size \(shape[a]) "
                    + "in a tensor of shape \(describe(shape)); use a range within 0..<\(shape[a]).")
        }
        if start == 0 && length == shape[a] { return self }
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        let size = shape[a]
        var newShape = shape
        newShape[a] = length
        let source = storage.pointer
        let result = Tensor.make(newShape) { out in
            for o in 0..<outer {
                (out + o * length * inner).update(
                    from: source + (o * size + start) * inner, count: length * inner)
            }
        }
        let inputShape = shape
        return result.recorded("Narrow", [self]) { g in
            let gradient = Tensor(repeating: 0, shape: inputShape)
            let gp = g.storage.pointer
            for o in 0..<outer {
                (gradient.storage.pointer + (o * size + start) * inner).update(
                    from: gp + o * length * inner, count: length * inner)
            }
            return [gradient]
        }
    }

    /// The slice at `index` along `axis`, with that axis removed
    /// (`torch.select`).
    public func select(axis: Int, index: Int) -> Tensor {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "select") }
        let resolved = index < 0 ? index + shape[a] : index
        if resolved < 0 || resolved >= shape[a] {
            fail(
                "index \(index) is out of range for axis \(axis) of size \(shape[a]) in a tensor of shape "
                    + "\(describe(shape)).")
        }
        return narrow(axis: a, start: resolved, length: 1).squeeze(axis: a)
    }

    /// Row `index` of the first axis, as `x[i]` in PyTorch.
    public subscript(index: Int) -> Tensor { select(axis: 0, index: index) }

    /// Rows `range` of the first axis, as `x[a:b]` in PyTorch.
    public subscript(range: Range<Int>) -> Tensor {
        narrow(axis: 0, start: range.lowerBound, length: range.count)
    }

    /// Gathers rows of the first axis by index, as `x[idx]` with an integer
    /// index tensor in PyTorch (and `nn.Embedding`'s lookup); rows may repeat.
    /// The gradient adds back into each gathered row.
    public subscript(indices: [Int]) -> Tensor {
        gatherRows(indices)
    }

    /// Gathers rows of the first axis by index (see `subscript(_: [Int])`).
    public func gatherRows(_ indices: [Int]) -> Tensor {
        if rank == 0 {
            fail("index: a scalar tensor has no rows to gather; index a tensor with at least one dimension.")
        }
        let rows = shape[0]
        let width = count / Swift.max(rows, 1)
        if let bad = indices.first(where: { $0 < 0 || $0 >= rows }) {
            fail(
                "index \(bad) is out of range for the first axis of size \(rows) in a tensor of shape "
                    + "\(describe(shape)); indices must lie in 0..<\(rows).")
        }
        var newShape = shape
        newShape[0] = indices.count
        let source = storage.pointer
        let result = Tensor.make(newShape) { ddpm_gather_rows(source, indices, indices.count, width, $0) }
        let inputShape = shape
        return result.recorded("GatherRows", [self]) { g in [Tensor.rowsAdded(g, at: indices, into: inputShape)] }
    }

    /// The gradient of a row gather: a tensor of `shape`, zero but for the
    /// rows of `g` added into the rows they were gathered from
    /// (`index_add_` along the first axis).
    static func rowsAdded(_ g: Tensor, at indices: [Int], into shape: [Int]) -> Tensor {
        let width = g.count / Swift.max(indices.count, 1)
        return make(shape) { out in
            out.update(repeating: 0, count: shape.reduce(1, *))
            ddpm_index_add_rows(g.storage.pointer, indices, indices.count, width, out)
        }
    }
}

/// Joins tensors along an existing axis (`torch.cat`).
public func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    let shape = checked { try Shapes.concat(tensors.map(\.shape), axis: axis) }
    let a = axis < 0 ? axis + shape.count : axis
    let outer = shape[..<a].reduce(1, *)
    let inner = shape[(a + 1)...].reduce(1, *)
    let total = shape[a]
    let result = Tensor.make(shape) { out in
        var start = 0
        for tensor in tensors {
            let size = tensor.shape[a]
            let source = tensor.storage.pointer
            for o in 0..<outer {
                (out + (o * total + start) * inner).update(from: source + o * size * inner, count: size * inner)
            }
            start += size
        }
    }
    // Only which inputs need a gradient and their lengths: not their values.
    let pieces = tensors.map { (needsGrad: $0.requiresGrad, length: $0.shape[a]) }
    return result.recorded("Concat", tensors) { g in
        var start = 0
        return pieces.map { piece in
            defer { start += piece.length }
            return piece.needsGrad ? g.narrow(axis: a, start: start, length: piece.length) : nil
        }
    }
}

/// Stacks tensors of one shape along a new axis (`torch.stack`).
public func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    concat(tensors.map { $0.unsqueeze(axis: axis) }, axis: axis)
}

extension Tensor {
    /// Pads with a constant, as `torch.nn.functional.pad(x, padding, value:)`:
    /// `padding` holds (before, after) pairs starting from the last axis, so
    /// `[1, 1, 2, 2]` adds one column on each side and two rows above and below.
    public func pad(_ padding: [Int], value: Float = 0) -> Tensor {
        if padding.count % 2 != 0 || padding.count / 2 > rank || padding.contains(where: { $0 < 0 }) {
            fail(
                "pad: padding \(padding) does not fit a tensor of shape \(describe(shape)); give non-negative "
                    + "(before, after) pairs for at most \(rank) axes, the last axis first.")
        }
        var before = [Int](repeating: 0, count: rank)
        var newShape = shape
        for pair in 0..<(padding.count / 2) {
            let axis = rank - 1 - pair
            before[axis] = padding[2 * pair]
            newShape[axis] += padding[2 * pair] + padding[2 * pair + 1]
        }
        if newShape == shape { return self }
        let inputShape = shape
        let outStrides = Tensor.strides(newShape)
        let offset = zip(before, outStrides).reduce(0) { $0 + $1.0 * $1.1 }
        // Each row of the input's last axis lands at `offset` plus its index
        // in the input, read with the output's strides.
        let paddedStrides = Array(outStrides)
        let source = storage.pointer
        let result = Tensor(repeating: value, shape: newShape)
        let out = result.storage.pointer
        forEachRow(inputShape, Tensor.strides(inputShape), paddedStrides) { i, length, _, _, o, _ in
            (out + offset + o).update(from: source + i, count: length)
        }
        return result.recorded("Pad", [self]) { g in
            let gp = g.storage.pointer
            return [
                Tensor.make(inputShape) { gradient in
                    forEachRow(inputShape, Tensor.strides(inputShape), paddedStrides) { i, length, _, _, o, _ in
                        (gradient + i).update(from: gp + offset + o, count: length)
                    }
                }
            ]
        }
    }

    /// Pieces of `size` along `axis` (the last one shorter if `size` does not
    /// divide the axis), as `torch.split(x, size, dim)`.
    public func split(_ size: Int, axis: Int = 0) -> [Tensor] {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "split") }
        if size < 1 {
            fail("split: the piece size must be at least 1, got \(size).")
        }
        let sizes = Swift.stride(from: 0, to: shape[a], by: size).map { Swift.min(size, shape[a] - $0) }
        return split(sizes: sizes, axis: a)
    }

    /// Pieces of the given sizes along `axis`, which must add up to its
    /// length, as `torch.split(x, [s₀, s₁, …], dim)`.
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "split") }
        if sizes.reduce(0, +) != shape[a] || sizes.contains(where: { $0 < 0 }) {
            fail(
                "split: sizes \(sizes) add up to \(sizes.reduce(0, +)), but axis \(axis) of shape "
                    + "\(describe(shape)) has \(shape[a]); give sizes that add up to the axis' length.")
        }
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrow(axis: a, start: start, length: size)
        }
    }

    /// `count` pieces of equal size along `axis` (the last one shorter when
    /// the length does not divide), as `torch.chunk(x, count, dim)`.
    public func chunk(_ count: Int, axis: Int = 0) -> [Tensor] {
        let a = checked { try Shapes.axis(axis, rank: rank, op: "chunk") }
        if count < 1 {
            fail("chunk: the number of pieces must be at least 1, got \(count).")
        }
        return split(Swift.max(1, (shape[a] + count - 1) / count), axis: a)
    }
}
