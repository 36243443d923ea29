import TensorCore

/// A part of a model that owns parameters (`torch.nn.Module`).
///
/// Parameters are found by reflection, as PyTorch finds them by attribute:
/// every stored `Tensor` that requires a gradient, in the module itself, in
/// nested modules, and in arrays, dictionaries and optionals of them. Names
/// are PyTorch's state-dict keys: dotted paths (`linears.0.weight`), with
/// Swift's camelCase property names written as the snake_case attribute
/// names of PyTorch (`stepEmbeddings` → `step_embeddings`, `timeMLP` →
/// `time_mlp`), so that a checkpoint goes both ways between a Swift model
/// and the PyTorch class it mirrors.
///
/// ```swift
/// final class TwoLayer: Module {
///     let fc1 = Linear(2, 64), fc2 = Linear(64, 2)
///     func callAsFunction(_ x: Tensor) -> Tensor { fc2(fc1(x).relu()) }
/// }
/// let optimizer = Adam(TwoLayer().parameters(), lr: 1e-3)
/// ```
public protocol Module: AnyObject {}

/// A module that maps one tensor to one tensor, and so can be composed in a
/// `Sequential`.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}

extension Module {
    /// Every parameter with its dotted path, in declaration order; a tensor
    /// reachable by two paths is listed once, under the first.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var found: [(name: String, tensor: Tensor)] = []
        var seen = Set<ObjectIdentifier>()
        collectParameters(of: self, prefix: "", into: &found, seen: &seen)
        return found
    }

    /// Every parameter, in declaration order (`module.parameters()`).
    public func parameters() -> [Tensor] {
        namedParameters().map(\.tensor)
    }

    /// The number of trainable scalars.
    public var parameterCount: Int {
        parameters().reduce(0) { $0 + $1.count }
    }

    /// Resets the gradients of all parameters to zero.
    public func zeroGrad() {
        for p in parameters() { p.zeroGrad() }
    }
}

private func collectParameters(
    of value: Any, prefix: String, into found: inout [(name: String, tensor: Tensor)],
    seen: inout Set<ObjectIdentifier>
) {
    if let tensor = value as? Tensor {
        if tensor.requiresGrad && seen.insert(ObjectIdentifier(tensor)).inserted {
            found.append((prefix, tensor))
        }
        return
    }
    var mirror: Mirror? = Mirror(reflecting: value)
    if mirror?.displayStyle == .optional {
        // Unwrap first: a dynamic cast would see through the optional, and the
        // wrapped module would then be marked seen before it is searched.
        if let wrapped = mirror!.children.first {
            collectParameters(of: wrapped.value, prefix: prefix, into: &found, seen: &seen)
        }
        return
    }
    if let module = value as? Module {
        guard seen.insert(ObjectIdentifier(module)).inserted else { return }
    } else if mirror?.displayStyle == .class {
        return  // only modules and tensors are searched among references
    }
    if mirror?.displayStyle == .dictionary {
        // Entries are (key, value) pairs: name the value by its key, in key order.
        let entries = mirror!.children.compactMap { entry -> (String, Any)? in
            let pair = Array(Mirror(reflecting: entry.value).children)
            return pair.count == 2 ? ("\(pair[0].value)", pair[1].value) : nil
        }.sorted { $0.0 < $1.0 }
        for (key, child) in entries {
            collectParameters(of: child, prefix: join(prefix, key), into: &found, seen: &seen)
        }
        return
    }
    while let current = mirror {
        for (index, child) in current.children.enumerated() {
            let label: String
            switch current.displayStyle {
            case .collection?, .set?: label = String(index)
            default: label = cleanLabel(child.label ?? String(index))
            }
            collectParameters(of: child.value, prefix: join(prefix, label), into: &found, seen: &seen)
        }
        mirror = current.superclassMirror
    }
}

private func join(_ prefix: String, _ label: String) -> String {
    if label.isEmpty { return prefix }
    return prefix.isEmpty ? label : prefix + "." + label
}

/// A property's name as a state-dict key: without the storage prefixes
/// Swift gives lazy properties and property wrappers, in snake_case.
private func cleanLabel(_ label: String) -> String {
    var name = label
    if name.hasPrefix("$__lazy_storage_$_") { name = String(name.dropFirst("$__lazy_storage_$_".count)) }
    if name.hasPrefix("_") { name = String(name.dropFirst()) }
    return snakeCase(name)
}

/// `stepEmbeddings` → `step_embeddings`, `timeMLP` → `time_mlp`,
/// `MLPBlock` → `mlp_block`, `conv1x1` → `conv1x1`: an underscore before
/// each word that starts with a capital, the whole in lower case.
func snakeCase(_ name: String) -> String {
    let characters = Array(name)
    var result = ""
    for (i, character) in characters.enumerated() {
        if character.isUppercase && i > 0 {
            let previous = characters[i - 1]
            let next = i + 1 < characters.count ? characters[i + 1] : nil
            if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                result += "_"
            }
        }
        result += character.lowercased()
    }
    return result
}
