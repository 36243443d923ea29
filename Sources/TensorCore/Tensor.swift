#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An n-dimensional array of `Float` (32-bit), row-major and contiguous, that
/// records the operations applied to it for reverse-mode differentiation.
///
/// Like `torch.Tensor` it is a reference: a parameter updated by an optimiser
/// is updated wherever it is held. Operations return new tensors.
///
/// ```swift
/// let w = randn(3, 2).requiringGrad()
/// let loss = (x.matmul(w) - y).square().mean()
/// loss.backward()
/// w.grad   // ∂loss/∂w, shape [3, 2]
/// ```
public final class Tensor {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The elements, row-major.
    package let storage: TensorStorage
    /// Whether gradients flow to this tensor in `backward()`.
    public var requiresGrad: Bool
    /// The accumulated gradient of the last `backward()` calls, for tensors
    /// that require gradients and were not computed from others (leaves).
    public var grad: Tensor? { didSet { gradIsKnownFinite = false } }
    /// Set by `clipGradNorm` when every element of `grad` is finite (its sum
    /// of squares was), so that the optimiser's step after it need not read
    /// the gradient again to check; assigning `grad`, adding to it in
    /// `backward()` and `zeroGrad()` clear it.
    package var gradIsKnownFinite = false
    /// How this tensor was computed, when gradients flow through it.
    var gradNode: GradNode?

    init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor with the given elements and shape.
    public convenience init(_ scalars: [Float], shape: [Int]) {
        let count = shape.reduce(1, *)
        if scalars.count != count {
            fail(
                "Tensor: \(scalars.count) scalars cannot fill shape \(describe(shape)), which holds \(count); "
                    + "pass exactly \(count) values or change the shape.")
        }
        if let bad = shape.first(where: { $0 < 0 }) {
            fail("Tensor: shape \(describe(shape)) has the negative size \(bad); sizes must be 0 or more.")
        }
        self.init(shape: shape, storage: TensorStorage(scalars))
    }

    /// A 1-D tensor.
    public convenience init(_ scalars: [Float]) {
        self.init(scalars, shape: [scalars.count])
    }

    /// A 1-D tensor from doubles, rounded to `Float`. (Generic, so that an
    /// array literal such as `Tensor([1, 2])` picks the `[Float]` initialiser.)
    public convenience init<C: Collection>(_ scalars: C) where C.Element == Double {
        self.init(scalars.map { Float($0) }, shape: [scalars.count])
    }

    /// A 2-D tensor from rows of equal length.
    public convenience init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != columns }) {
            fail(
                "Tensor: row \(bad) has \(rows[bad].count) values but row 0 has \(columns); "
                    + "all rows of a matrix must have the same length.")
        }
        self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    /// A scalar (0-dimensional) tensor.
    public convenience init(_ value: Float) {
        self.init([value], shape: [])
    }

    /// A tensor of the given shape filled with one value.
    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor whose elements are written by `body`.
    static func make(
        _ shape: [Int], _ body: (UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
        body(storage.pointer)
        return Tensor(shape: shape, storage: storage)
    }

    // MARK: Facts

    /// The number of elements.
    public var count: Int { storage.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements as an array, row-major.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The value of a tensor with exactly one element.
    public func item() -> Float {
        if count != 1 {
            fail(
                "item(): the tensor has shape \(describe(shape)) and \(count) elements; item() needs exactly one. "
                    + "Reduce it first, for example with .mean() or .sum().")
        }
        return storage.pointer[0]
    }

    /// The element at a full index, for example `x.scalar(at: 3, 1)`.
    public func scalar(at index: Int...) -> Float {
        storage.pointer[flatIndex(index)]
    }

    func flatIndex(_ index: [Int]) -> Int {
        if index.count != rank {
            fail(
                "scalar(at:): \(index.count) indices given for a tensor of rank \(rank) and shape \(describe(shape)); "
                    + "give one index per dimension.")
        }
        var flat = 0
        for (i, (position, size)) in zip(index, shape).enumerated() {
            if position < 0 || position >= size {
                fail(
                    "scalar(at:): index \(position) is out of range for dimension \(i) of size \(size) "
                        + "in a tensor of shape \(describe(shape)).")
            }
            flat = flat * size + position
        }
        return flat
    }

    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = running
            running *= shape[i]
        }
        return strides
    }

    // MARK: Gradients

    /// Marks this tensor as a leaf whose gradient is wanted, and returns it.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// A tensor sharing this one's memory that does not take part in
    /// differentiation (`torch.Tensor.detach`).
    public func detach() -> Tensor {
        Tensor(shape: shape, storage: storage.share())
    }

    /// A copy with its own memory, outside any graph.
    public func copy() -> Tensor {
        Tensor.make(shape) { $0.update(from: storage.pointer, count: count) }
    }

    /// Resets the accumulated gradient to zero.
    public func zeroGrad() {
        if let grad = grad { grad.storage.pointer.update(repeating: 0, count: grad.count) }
        gradIsKnownFinite = false
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape and values compactly, eliding the middle of long dimensions:
    /// `tensor([[0.1, 0.2], [0.3, 0.4]], shape: [2, 2])`.
    public var description: String {
        let strides = Tensor.strides(shape)
        func format(_ value: Float) -> String {
            if value == value.rounded() && Swift.abs(value) < 1e6 { return String(Int(value)) + "." }
            let magnitude = Swift.abs(value)
            if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5) {
                return String(format: "%.4e", value)
            }
            return String(format: "%.4f", value)
        }
        func render(_ axis: Int, _ offset: Int) -> String {
            if axis == rank { return format(storage.pointer[offset]) }
            let size = shape[axis]
            let edge = 3
            var parts: [String] = []
            for i in 0..<size {
                if size > 2 * edge && i == edge { parts.append("...") }
                if size > 2 * edge && i >= edge && i < size - edge { continue }
                parts.append(render(axis + 1, offset + i * strides[axis]))
            }
            let separator = axis == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: 8 + axis)
            return "[" + parts.joined(separator: separator) + "]"
        }
        let grad = gradNode != nil ? ", grad_fn: \(gradNode!.name)" : (requiresGrad ? ", requiresGrad" : "")
        return "tensor(\(render(0, 0)), shape: \(describe(shape))\(grad))"
    }
}

extension String {
    init(format: String, _ value: Float) {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([Double(value)]) { vsnprintf(&buffer, 64, format, $0) }
        self = String(cString: buffer)
    }
}
