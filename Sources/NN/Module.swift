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
/// and the PyTorch class it mirrors. Buffers (`@Buffer`, state that is
/// saved but not trained) are found the same way, and `train()` / `eval()`
/// reach every `ModeDependent` module inside.
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
        walkModuleTree(self) { name, item in
            if case .parameter(let tensor) = item { found.append((name, tensor)) }
        }
        return found
    }

    /// Every buffer with its dotted path (`named_buffers()`): state that is
    /// saved and loaded but not trained, such as BatchNorm's running statistics.
    public func namedBuffers() -> [(name: String, buffer: Buffer)] {
        var found: [(name: String, buffer: Buffer)] = []
        walkModuleTree(self) { name, item in
            if case .buffer(let buffer) = item { found.append((name, buffer)) }
        }
        return found
    }

    /// This module and every module inside it with its dotted path
    /// (`named_modules()`; this one's path is "").
    public func namedModules() -> [(name: String, module: any Module)] {
        var found: [(name: String, module: any Module)] = []
        walkModuleTree(self) { name, item in
            if case .module(let module) = item { found.append((name, module)) }
        }
        return found
    }

    /// Every parameter, in declaration order (`module.parameters()`). The
    /// walk builds no names, and a tree of the library's modules is walked
    /// once (`FixedStructure`); the tensors that require a gradient now are
    /// returned.
    public func parameters() -> [Tensor] {
        if let kept = FixedTrees.tensors(of: self) { return kept.filter(\.requiresGrad) }
        var tensors: [Tensor] = []
        var fixed = true
        walkModuleTree(self, naming: false, allTensors: true) { _, item in
            switch item {
            case .parameter(let tensor): tensors.append(tensor)
            case .module(let module): if !(module is any FixedStructure) { fixed = false }
            case .buffer: break
            }
        }
        if fixed { FixedTrees.keep(tensors, of: self) }
        return tensors.filter(\.requiresGrad)
    }

    /// The number of trainable scalars.
    public var parameterCount: Int {
        parameters().reduce(0) { $0 + $1.count }
    }

    /// Resets the gradients of all parameters (`model.zero_grad()`): as in
    /// PyTorch 2, by default they are dropped (`grad` is nil) and the next
    /// `backward()` writes them afresh; with `setToNone: false` they are kept
    /// and set to zero.
    public func zeroGrad(setToNone: Bool = true) {
        for p in parameters() { setToNone ? (p.grad = nil) : p.zeroGrad() }
    }

    /// Puts this module and all modules inside it in training mode
    /// (`model.train()`), or in evaluation mode with `false`: BatchNorm then
    /// uses batch statistics and updates its running ones, and Dropout drops.
    public func train(_ mode: Bool = true) {
        for (_, module) in namedModules() {
            (module as? any ModeDependent)?.training = mode
        }
    }

    /// Puts this module and all modules inside it in evaluation mode
    /// (`model.eval()`), as samplers do: BatchNorm uses its running statistics
    /// and Dropout passes everything through.
    public func eval() { train(false) }

    /// Runs `body` with every module inside in evaluation mode, then puts
    /// each back in the mode it had: how samplers call a model that is being
    /// trained.
    public func withEvaluationMode<T>(_ body: () throws -> T) rethrows -> T {
        let modules = namedModules().compactMap { $0.module as? any ModeDependent }
        let saved = modules.map(\.training)
        for module in modules { module.training = false }
        defer { for (module, mode) in zip(modules, saved) { module.training = mode } }
        return try body()
    }

    /// False when any module inside is in evaluation mode (`model.training`).
    public var isTraining: Bool {
        namedModules().allSatisfy { ($0.module as? any ModeDependent)?.training ?? true }
    }
}

/// A module that behaves differently in training and in evaluation
/// (PyTorch's `Module.training` flag); `train()` and `eval()` set it.
public protocol ModeDependent: Module {
    var training: Bool { get set }
}

/// A module that stands for its elements in state-dict paths, as
/// `torch.nn.Sequential` does: its layers are `0`, `1`, … directly under it.
protocol IndexedContainer {
    var elements: [Any] { get }
}

/// What the walk of a module tree finds.
private enum ModuleTreeItem {
    case module(any Module)
    case parameter(Tensor)
    case buffer(Buffer)
}

/// Walks a module tree by reflection, as PyTorch walks attributes: modules,
/// parameters (stored tensors that require a gradient) and buffers, in
/// declaration order, through nested modules, arrays, dictionaries (by key)
/// and optionals. Each module and tensor is visited once, under its first path
/// (with `naming: false`, under the empty path, and faster). With
/// `allTensors`, stored tensors that require no gradient are reported as
/// parameters too.
private func walkModuleTree(
    _ root: any Module, naming: Bool = true, allTensors: Bool = false, _ visit: (String, ModuleTreeItem) -> Void
) {
    var seen = Set<ObjectIdentifier>()
    func walk(_ value: Any, _ prefix: String) {
        if let tensor = value as? Tensor {
            if (allTensors || tensor.requiresGrad) && seen.insert(ObjectIdentifier(tensor)).inserted {
                visit(prefix, .parameter(tensor))
            }
            return
        }
        if let buffer = value as? Buffer {
            if seen.insert(ObjectIdentifier(buffer.wrappedValue)).inserted { visit(prefix, .buffer(buffer)) }
            return
        }
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            // Unwrap first: a dynamic cast would see through the optional, and the
            // wrapped module would then be marked seen before it is searched.
            if let wrapped = mirror.children.first { walk(wrapped.value, prefix) }
            return
        }
        if let module = value as? any Module {
            guard seen.insert(ObjectIdentifier(module)).inserted else { return }
            visit(prefix, .module(module))
            if let container = module as? IndexedContainer {
                for (index, element) in container.elements.enumerated() {
                    walk(element, naming ? join(prefix, String(index)) : "")
                }
                return
            }
        } else if mirror.displayStyle == .class {
            return  // only modules and tensors are searched among references
        }
        if mirror.displayStyle == .dictionary {
            // Entries are (key, value) pairs: name the value by its key, in key order.
            let entries = mirror.children.compactMap { entry -> (String, Any)? in
                let pair = Array(Mirror(reflecting: entry.value).children)
                return pair.count == 2 ? ("\(pair[0].value)", pair[1].value) : nil
            }.sorted { $0.0 < $1.0 }
            for (key, child) in entries { walk(child, naming ? join(prefix, key) : "") }
            return
        }
        var current: Mirror? = mirror
        while let level = current {
            for (index, child) in level.children.enumerated() {
                guard naming else {
                    walk(child.value, "")
                    continue
                }
                let label: String
                switch level.displayStyle {
                case .collection?, .set?: label = String(index)
                default: label = cleanLabel(child.label ?? String(index))
                }
                walk(child.value, join(prefix, label))
            }
            current = level.superclassMirror
        }
    }
    walk(root, "")
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
