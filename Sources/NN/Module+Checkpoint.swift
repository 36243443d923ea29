import TensorCore

/// A checkpoint whose names or shapes do not fit the model it is loaded
/// into (the file itself may be fine: a format error is a `SafetensorsError`).
public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Module {
    /// The parameters and buffers by dotted name (`module.state_dict()`),
    /// sharing memory with the module.
    public func stateDict() -> [String: Tensor] {
        Dictionary(stateEntries().map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// Parameters, then buffers, each with its dotted name.
    private func stateEntries() -> [(name: String, tensor: Tensor)] {
        namedParameters() + namedBuffers().map { ($0.name, $0.buffer.wrappedValue) }
    }

    /// Copies values into the parameters and buffers by name
    /// (`load_state_dict`, strict): every one must be present with its shape,
    /// and no other names. Nothing is changed unless everything fits.
    public func loadStateDict(_ state: [String: Tensor]) throws {
        let own = stateEntries()
        let names = Set(own.map(\.name))
        let missing = own.map(\.name).filter { state[$0] == nil }
        let unexpected = state.keys.filter { !names.contains($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty {
            throw CheckpointError(
                "loadStateDict: the checkpoint does not match this model: "
                    + (missing.isEmpty ? "" : "missing \(missing.joined(separator: ", "))")
                    + (missing.isEmpty || unexpected.isEmpty ? "" : "; ")
                    + (unexpected.isEmpty ? "" : "unexpected \(unexpected.joined(separator: ", "))")
                    + ". Build the model with the same layers and sizes as the one that was saved.")
        }
        for (name, tensor) in own where state[name]!.shape != tensor.shape {
            throw CheckpointError(
                "loadStateDict: \(name) has shape \(state[name]!.shape) in the checkpoint but "
                    + "\(tensor.shape) in this model; build the model with the sizes it was saved with.")
        }
        for (name, tensor) in own {
            tensor.storage.pointer.update(from: state[name]!.storage.pointer, count: tensor.count)
        }
    }

    /// Saves the parameters to a safetensors file.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        let dtypes = Dictionary(
            namedBuffers().map { ($0.name, $0.buffer.dtype) }, uniquingKeysWith: { first, _ in first })
        try Safetensors.write(stateDict(), dtypes: dtypes, to: path, metadata: metadata)
    }

    /// Loads parameters saved by `save(to:)` (or by PyTorch's
    /// `safetensors.torch.save_file(model.state_dict(), path)`).
    public func load(from path: String) throws {
        try loadStateDict(Safetensors.read(from: path).tensors)
    }
}
