/// The Float32 buffer behind one or more tensors.
///
/// A reference type so that optimisers can update parameters in place and
/// `detach()` can share memory, as in PyTorch. Memory is 64-byte aligned for
/// the vector units and OpenBLAS; large buffers come from `BufferCache`.
package final class TensorStorage {
    package let count: Int
    package let pointer: UnsafeMutablePointer<Float>
    /// Whether a second tensor was ever made over this memory (a view such
    /// as `reshape`'s or `detach()`'s); such memory is never adopted as a
    /// gradient.
    package private(set) var isShared = false
    /// The share of `onEachCore`'s work (the core) that wrote these elements
    /// last, when one did and it is known (`layerGradientsSideBySide`): the
    /// optimiser's step leaves the tensor to that core, in whose cache it is.
    package var homeShare: Int? = nil

    /// Marks the memory as held by more than one tensor.
    func share() -> TensorStorage {
        isShared = true
        return self
    }

    /// Uninitialised storage; every caller writes all `count` elements.
    init(uninitializedCount count: Int) {
        self.count = count
        let bytes = Swift.max(count, 1) * MemoryLayout<Float>.stride
        let raw =
            bytes >= BufferCache.largeBytes
            ? BufferCache.allocate(bytes: bytes) : UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
    }

    package convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    package convenience init(_ scalars: [Float]) {
        self.init(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: count) }
        }
    }

    deinit {
        let bytes = Swift.max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= BufferCache.largeBytes {
            BufferCache.release(UnsafeMutableRawPointer(pointer), bytes: bytes)
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
