import TensorCore

/// A tensor that is part of a module's state without being trained
/// (`Module.register_buffer` in PyTorch): saved, loaded and listed by
/// `namedBuffers()`, never handed to an optimiser. BatchNorm keeps its
/// running statistics and its batch counter in buffers.
///
/// ```swift
/// @Buffer var runningMean = zeros(64)
/// @Buffer(dtype: .i64) var numBatchesTracked = Tensor(0)
/// ```
///
/// Its state-dict key is the property's name in snake_case (`running_mean`).
@propertyWrapper
public struct Buffer {
    public var wrappedValue: Tensor
    /// How the buffer is stored in a checkpoint (PyTorch keeps counters as int64).
    public let dtype: Safetensors.DType

    public init(wrappedValue: Tensor, dtype: Safetensors.DType = .f32) {
        self.wrappedValue = wrappedValue
        self.dtype = dtype
    }
}
