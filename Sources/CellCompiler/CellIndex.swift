/// Which earlier cells a new cell imports, so that it sees what they
/// declared, and only what it can use.
///
/// Each successful cell is a module. A new cell imports, with
/// `@testable` (cells are compiled with `-enable-testing`, so that what Swift
/// declares implicitly `internal`, such as memberwise and no-argument
/// initialisers, is usable):
/// - for each top-level name it mentions, the latest cell that declared it,
///   by a scoped import (`@testable import var Cell7.betas`); a scoped
///   import takes precedence over a whole-module one, so the latest
///   declaration of a name replaces the earlier ones, whatever its type;
/// - whole, the latest cell that declares a member or operator it
///   mentions, or extends a type it names (members and conformances added
///   later). That cell, mentioning the same name, imported the one before
///   it, and so on: earlier declarations are loaded too, and Swift lets the
///   importing module's member shadow one of the same signature;
/// - the imports earlier cells wrote themselves (`import Foundation`).
///
/// The imports depend on what the cell mentions, not on how many cells came
/// before, so compile time stays flat as a notebook grows (measured in
/// bench/kernel_latency.py).
public struct CellIndex: Sendable {
    /// The latest declaring module of each top-level name, with its kinds.
    private var declarers: [String: (module: String, kinds: Set<CellSymbols.Kind>)] = [:]
    /// The latest module that declares a member or operator of a name, or
    /// extends the type of that name.
    private var providers: [String: String] = [:]
    /// Imports written in cells, in order, without repeats.
    private(set) var userImports: [String] = []

    public init() {}

    /// Records a cell that ran: from now on its declarations are visible.
    public mutating func record(_ symbols: CellSymbols, module: String) {
        for (name, kinds) in symbols.declarations {
            declarers[name] = (module, kinds)
        }
        for name in symbols.extendedTypes.union(symbols.members) { providers[name] = module }
        for line in symbols.imports where !userImports.contains(line) { userImports.append(line) }
    }

    /// Every top-level name an earlier cell declared (what a cell being typed could use).
    public var declaredNames: Set<String> { Set(declarers.keys) }

    /// The import lines for a cell that mentions `uses`, in a stable order.
    public func imports(for uses: Set<String>) -> [String] {
        var scoped: [String] = []
        var whole: Set<String> = []
        for name in uses.sorted() {
            if let (module, kinds) = declarers[name] {
                for kind in kinds.sorted() { scoped.append("@testable import \(kind.rawValue) \(module).\(name)") }
            }
            if let module = providers[name] { whole.insert(module) }
        }
        let modules = whole.sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }
        return userImports + modules.map { "@testable import \($0)" } + scoped
    }
}
