import TensorCore

/// A module whose stored modules and tensors are all `let` properties, set
/// when it is made, as the library's layers and models are. The tensors of
/// a tree made only of such modules cannot change, so `parameters()` finds
/// them by reflection once and keeps them (a training step that clips
/// `model.parameters()`, as the seeds' loops do, took about 250 µs in the
/// walk for seed 000's MLP). A tree with any other module, a user's own
/// class that may reassign a `var` layer, is walked on every call.
package protocol FixedStructure: Module {}

/// The tensors of fixed trees by their root, held while the root lives.
enum FixedTrees {
    private final class Entry {
        weak var root: (any Module)?
        let tensors: [Tensor]
        init(root: any Module, tensors: [Tensor]) {
            self.root = root
            self.tensors = tensors
        }
    }
    nonisolated(unsafe) private static var entries: [ObjectIdentifier: Entry] = [:]

    /// The kept tensors of `root`'s tree, if it is a fixed tree walked before.
    static func tensors(of root: any Module) -> [Tensor]? {
        guard let entry = entries[ObjectIdentifier(root)], entry.root === root else { return nil }
        return entry.tensors
    }

    /// Keeps the tensors of `root`'s tree; entries of trees that are gone are
    /// dropped (with their tensors) first.
    static func keep(_ tensors: [Tensor], of root: any Module) {
        entries = entries.filter { $0.value.root != nil }
        entries[ObjectIdentifier(root)] = Entry(root: root, tensors: tensors)
    }
}

extension Linear: FixedStructure {}
extension Embedding: FixedStructure {}
extension Conv2d: FixedStructure {}
extension ConvTranspose2d: FixedStructure {}
extension GroupNorm: FixedStructure {}
extension BatchNorm2d: FixedStructure {}
extension Dropout: FixedStructure {}
extension Upsample: FixedStructure {}
extension Identity: FixedStructure {}
extension Sequential: FixedStructure {}
extension ReLU: FixedStructure {}
extension SiLU: FixedStructure {}
extension Sigmoid: FixedStructure {}
extension Tanh: FixedStructure {}
extension Lambda: FixedStructure {}
