import SwiftDiagnostics
import SwiftParser
import SwiftParserDiagnostics
import SwiftSyntax

/// A problem the parser found in a cell, at the cell's own line and column.
public struct CellDiagnostic: Equatable, Sendable {
    public let line: Int
    public let column: Int
    public let message: String
}

/// What a cell becomes before `swiftc` sees it (DESIGN.md, "Cells become
/// modules"):
/// - `public` on top-level declarations and on the members of top-level
///   types and extensions, so that later cells, compiled as other modules,
///   can see them;
/// - the last bare expression wrapped in `_cellResult(…)`, so that its value
///   becomes the cell's `execute_result`;
/// - the DSL and the modules of earlier cells imported, and a
///   `#sourceLocation` so that diagnostics and traps name the cell's lines.
///
/// Edits are spliced into the text at syntax-node positions and never add
/// a line, so line numbers stay the user's.
public struct CellRewriter {
    /// The function the last bare expression is passed to.
    public static let resultFunction = "_cellResult"
    static let accessKeywords: Set<String> = ["public", "open", "internal", "fileprivate", "private", "package"]

    public init() {}

    /// A cell read once: what the parser found wrong, the text for the
    /// compiler, and whether the cell declares anything later cells can use.
    public struct Result: Sendable {
        /// Parse errors, empty when the cell parses.
        public let diagnostics: [CellDiagnostic]
        /// The cell as the compiler gets it.
        public let source: String
        /// Whether the cell declares something (a variable, function, type,
        /// extension or import), so that later cells must import its module.
        public let declaresSymbols: Bool
        /// Text inserted on each line of the cell: (column before which it
        /// went, in the user's text; its length), in UTF-8 columns.
        public let insertions: [Int: [(column: Int, length: Int)]]

        /// The user's column of a column the compiler reports in the
        /// rewritten cell (a column inside inserted text maps to where the
        /// insertion went).
        public func originalColumn(line: Int, column: Int) -> Int {
            var shift = 0
            for insertion in (insertions[line] ?? []).sorted(by: { $0.column < $1.column }) {
                let start = insertion.column + shift
                if column >= start + insertion.length {
                    shift += insertion.length
                } else if column >= start {
                    return insertion.column
                } else {
                    break
                }
            }
            return column - shift
        }
    }

    /// Parse errors, empty when the cell parses.
    public func diagnostics(_ source: String) -> [CellDiagnostic] {
        prepare(source, cellName: "cell", imports: []).diagnostics
    }

    /// The cell as the compiler gets it.
    public func rewrite(_ source: String, cellName: String, imports: [String]) -> String {
        prepare(source, cellName: cellName, imports: imports).source
    }

    /// Parses the cell once and rewrites it.
    public func prepare(_ source: String, cellName: String, imports: [String]) -> Result {
        let tree = Parser.parse(source: source)
        let converter = SourceLocationConverter(fileName: cellName, tree: tree)
        let diagnostics = ParseDiagnosticsGenerator.diagnostics(for: tree).map { diagnostic in
            let location = diagnostic.location(converter: converter)
            return CellDiagnostic(line: location.line, column: location.column, message: diagnostic.message)
        }
        var edits: [(offset: Int, text: String)] = []

        func publicize(_ decl: DeclSyntax) {
            if decl.is(EnumCaseDeclSyntax.self) || decl.is(DeinitializerDeclSyntax.self)
                || decl.is(ExtensionDeclSyntax.self) || decl.is(ImportDeclSyntax.self)
                || decl.is(IfConfigDeclSyntax.self) || decl.is(PoundSourceLocationSyntax.self)
            {
                // No modifier possible; an extension's members are handled below.
            } else if let withModifiers = decl.asProtocol(WithModifiersSyntax.self) {
                let modifiers = withModifiers.modifiers
                if modifiers.contains(where: { CellRewriter.accessKeywords.contains($0.name.text) }) {
                    return  // the user chose an access level; keep it, members included
                }
                let attributes = decl.asProtocol(WithAttributesSyntax.self)?.attributes
                let position: AbsolutePosition
                if let first = modifiers.first {
                    position = first.positionAfterSkippingLeadingTrivia
                } else if let attributes = attributes, !attributes.isEmpty {
                    position = attributes.endPosition
                } else {
                    position = decl.positionAfterSkippingLeadingTrivia
                }
                edits.append((position.utf8Offset, "public "))
            }
            if decl.is(ProtocolDeclSyntax.self) { return }  // requirements take no modifiers
            if let structDecl = decl.as(StructDeclSyntax.self), let initializer = publicMemberwiseInit(structDecl) {
                // On the closing brace's line, after a separator, so that no line is added.
                edits.append((structDecl.memberBlock.rightBrace.positionAfterSkippingLeadingTrivia.utf8Offset,
                              "; " + initializer + " "))
            }
            if let group = decl.asProtocol(DeclGroupSyntax.self) {
                for member in group.memberBlock.members { publicize(member.decl) }
            }
        }

        var declaresSymbols = false
        for item in tree.statements {
            guard case .decl(let decl) = item.item else { continue }
            declaresSymbols = true
            if let importDecl = decl.as(ImportDeclSyntax.self) {
                // Re-exported, so that later cells see what this cell imported.
                if !importDecl.attributes.contains(where: { $0.trimmedDescription == "@_exported" }) {
                    edits.append((importDecl.positionAfterSkippingLeadingTrivia.utf8Offset, "@_exported "))
                }
            } else {
                publicize(decl)
            }
        }

        if let last = tree.statements.last, case .expr(let expr) = last.item, isDisplayable(expr) {
            edits.append((expr.positionAfterSkippingLeadingTrivia.utf8Offset, "\(CellRewriter.resultFunction)("))
            edits.append((expr.endPositionBeforeTrailingTrivia.utf8Offset, ")"))
        }

        var bytes = Array(source.utf8)
        for edit in edits.sorted(by: { $0.offset > $1.offset }) {
            bytes.insert(contentsOf: Array(edit.text.utf8), at: edit.offset)
        }
        let prologue = imports.map { "@_exported import \($0)\n" }.joined()
        let rewritten = prologue + "#sourceLocation(file: \"\(cellName)\", line: 1)\n"
            + String(decoding: bytes, as: UTF8.self) + "\n#sourceLocation()\n"
        var insertions: [Int: [(column: Int, length: Int)]] = [:]
        for edit in edits {
            let location = converter.location(for: AbsolutePosition(utf8Offset: edit.offset))
            insertions[location.line, default: []].append((location.column, edit.text.utf8.count))
        }
        return Result(diagnostics: diagnostics, source: rewritten, declaresSymbols: declaresSymbols,
                      insertions: insertions)
    }

    /// The memberwise initialiser Swift would synthesise for a struct, made
    /// public (Swift's own is internal, so a later cell could not call
    /// `Point(x: 1)`), on one line. Nil when Swift synthesises none (the
    /// struct declares an initialiser), when it would be private, or when a
    /// stored property's type cannot be read off the source.
    func publicMemberwiseInit(_ decl: StructDeclSyntax) -> String? {
        var parameters: [String] = []
        var assignments: [String] = []
        for member in decl.memberBlock.members {
            if member.decl.is(InitializerDeclSyntax.self) { return nil }
            guard let variable = member.decl.as(VariableDeclSyntax.self) else { continue }
            let modifiers = variable.modifiers.map(\.name.text)
            if modifiers.contains("static") || modifiers.contains("class") { continue }
            if modifiers.contains("private") || modifiers.contains("fileprivate") || !variable.attributes.isEmpty {
                return nil
            }
            let isLet = variable.bindingSpecifier.tokenKind == .keyword(.let)
            for binding in variable.bindings {
                if binding.accessorBlock != nil { continue }  // computed
                guard let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text else { return nil }
                if isLet && binding.initializer != nil { continue }  // fixed at declaration
                // An inferred type cannot be written out: leave Swift's own initialiser.
                guard let type = binding.typeAnnotation?.type.trimmedDescription else { return nil }
                let defaultValue = binding.initializer.map { " = " + $0.value.trimmedDescription } ?? ""
                parameters.append("\(name): \(type)\(defaultValue)")
                assignments.append("self.\(name) = \(name)")
            }
        }
        if parameters.isEmpty { return nil }
        let body = assignments.joined(separator: "; ")
        let line = "public init(\(parameters.joined(separator: ", "))) { \(body) }"
        return String(line.map { $0.isNewline ? " " : $0 })  // a default value may span lines
    }

    /// Whether an expression statement can be an argument: not an
    /// assignment (the parser leaves operators unfolded, in a sequence), and not an `if`/`switch` expression (only allowed in
    /// return, assignment and binding positions).
    private func isDisplayable(_ expr: ExprSyntax) -> Bool {
        if expr.is(IfExprSyntax.self) || expr.is(SwitchExprSyntax.self) { return false }
        if let sequence = expr.as(SequenceExprSyntax.self),
           sequence.elements.contains(where: { $0.is(AssignmentExprSyntax.self) })
        {
            return false
        }
        return true
    }
}

/// The answer to `is_complete_request` (messaging spec): whether the code
/// is ready to run when the user presses Enter in a console.
public enum CompletenessStatus: Equatable, Sendable {
    case complete
    /// More lines are expected; `indent` is the indentation for the next.
    case incomplete(indent: String)
    case invalid

    public init(of source: String) {
        if source.allSatisfy(\.isWhitespace) {
            self = .complete
            return
        }
        let tree = Parser.parse(source: source)
        // One pass over all tokens, those the parser inserted as missing
        // included: brackets count only where the user typed them.
        var depth = 0
        var unterminatedString = false
        for token in tree.tokens(viewMode: .all) {
            guard token.presence == .present else {
                unterminatedString = unterminatedString || token.tokenKind == .multilineStringQuote
                continue
            }
            switch token.tokenKind {
            case .leftBrace, .leftParen, .leftSquare: depth += 1
            case .rightBrace, .rightParen, .rightSquare: depth -= 1
            default: break
            }
        }
        if depth > 0 || unterminatedString {
            self = .incomplete(indent: String(repeating: "    ", count: max(depth, 0)))
        } else {
            self = tree.hasError ? .invalid : .complete
        }
    }
}
