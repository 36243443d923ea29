import SwiftParser
import SwiftSyntax

/// What one cell declares for later cells and which names it uses, read off
/// its syntax tree (no type checking): the input of `CellIndex`.
public struct CellSymbols: Equatable, Sendable {
    /// What a top-level name is, as a scoped import spells it
    /// (`@testable import struct Cell3.Dog`).
    public enum Kind: String, Sendable, Comparable {
        case `typealias`, `struct`, `class`, `enum`, `protocol`, `var`, `func`

        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// Top-level declarations: name and kind (a name declared as a function
    /// and as a variable has both).
    public var declarations: [String: Set<Kind>] = [:]
    /// Names of types this cell extends (the first name of `extension A.B`).
    public var extendedTypes: Set<String> = []
    /// Names of members of the types and extensions it declares, and the
    /// operators it declares: reached through values, not by a top-level name.
    public var members: Set<String> = []
    /// Its own import declarations, as written (later cells repeat them).
    public var imports: [String] = []
    /// Every identifier and operator its code mentions.
    public var uses: Set<String> = []

    /// Whether later cells can use something of this cell.
    public var declaresSomething: Bool {
        !declarations.isEmpty || !extendedTypes.isEmpty || !members.isEmpty || !imports.isEmpty
    }

    public init() {}

    /// The symbols of a cell's text (parsed as it is, complete or not).
    public init(source: String) { self.init(tree: Parser.parse(source: source)) }

    public init(tree: SourceFileSyntax) {
        for item in tree.statements {
            guard case .decl(let decl) = item.item else { continue }
            record(topLevel: decl)
        }
        for token in tree.tokens(viewMode: .sourceAccurate) {
            switch token.tokenKind {
            case .identifier(let name): uses.insert(Self.unquoted(name))
            case .binaryOperator(let name), .prefixOperator(let name), .postfixOperator(let name): uses.insert(name)
            default: break
            }
        }
    }

    private mutating func record(topLevel decl: DeclSyntax) {
        if let variable = decl.as(VariableDeclSyntax.self) {
            for name in Self.boundNames(variable) { declare(name, .var) }
        } else if let function = decl.as(FunctionDeclSyntax.self) {
            if case .identifier(let name) = function.name.tokenKind {
                declare(name, .func)
            } else {
                members.insert(function.name.text)  // an operator: reached by whole-module import
            }
        } else if let type = decl.as(StructDeclSyntax.self) {
            declare(type.name.text, .struct)
        } else if let type = decl.as(ClassDeclSyntax.self) {
            declare(type.name.text, .class)
        } else if let type = decl.as(ActorDeclSyntax.self) {
            declare(type.name.text, .class)  // a scoped import names an actor `class`
        } else if let type = decl.as(EnumDeclSyntax.self) {
            declare(type.name.text, .enum)
        } else if let type = decl.as(ProtocolDeclSyntax.self) {
            declare(type.name.text, .protocol)
        } else if let alias = decl.as(TypeAliasDeclSyntax.self) {
            declare(alias.name.text, .typealias)
        } else if let operatorDecl = decl.as(OperatorDeclSyntax.self) {
            members.insert(operatorDecl.name.text)
        } else if let group = decl.as(PrecedenceGroupDeclSyntax.self) {
            members.insert(group.name.text)
        } else if let extensionDecl = decl.as(ExtensionDeclSyntax.self) {
            if let name = extensionDecl.extendedType.tokens(viewMode: .sourceAccurate).first(where: {
                if case .identifier = $0.tokenKind { return true } else { return false }
            }) {
                extendedTypes.insert(Self.unquoted(name.text))
            }
        } else if let importDecl = decl.as(ImportDeclSyntax.self) {
            imports.append(
                importDecl.with(
                    \.attributes,
                    importDecl.attributes.filter {
                        $0.trimmedDescription != "@_exported"
                    }
                ).trimmedDescription)
        }
        if let group = decl.asProtocol(DeclGroupSyntax.self) {
            recordMembers(of: group)
        }
    }

    /// Names of members, nested types' members included.
    private mutating func recordMembers(of group: some DeclGroupSyntax) {
        for member in group.memberBlock.members {
            let decl = member.decl
            if let variable = decl.as(VariableDeclSyntax.self) {
                members.formUnion(Self.boundNames(variable))
            } else if let function = decl.as(FunctionDeclSyntax.self) {
                members.insert(Self.unquoted(function.name.text))
            } else if let enumCase = decl.as(EnumCaseDeclSyntax.self) {
                for element in enumCase.elements { members.insert(Self.unquoted(element.name.text)) }
            } else if let named = decl.asProtocol(NamedDeclSyntax.self) {
                members.insert(Self.unquoted(named.name.text))  // nested types, typealiases
            }
            if let nested = decl.asProtocol(DeclGroupSyntax.self) {
                recordMembers(of: nested)
            }
        }
    }

    /// The names a `let`/`var` binds (`let (a, b) = …` binds both).
    private static func boundNames(_ variable: VariableDeclSyntax) -> [String] {
        variable.bindings.flatMap { binding in
            binding.pattern.tokens(viewMode: .sourceAccurate).compactMap { token -> String? in
                if case .identifier(let name) = token.tokenKind { return unquoted(name) } else { return nil }
            }
        }
    }

    private mutating func declare(_ name: String, _ kind: Kind) {
        declarations[Self.unquoted(name), default: []].insert(kind)
    }

    private static func unquoted(_ name: String) -> String {
        name.hasPrefix("`") && name.hasSuffix("`") && name.count > 1 ? String(name.dropFirst().dropLast()) : name
    }
}
