import ExecutorWire
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
///   can reach them through values of any cell (what Swift declares
///   implicitly, such as initialisers, later cells reach by `@testable`
///   imports: `CellIndex`);
/// - the last bare expression wrapped in `_cellResult(…)`, so that its value
///   becomes the cell's `execute_result`;
/// - in a cell with top-level `await`, `nonisolated(unsafe)` on its
///   variables (else they would belong to the main actor, out of reach of
///   the functions of later cells) and `await _cellAsyncMainEnded()` at the
///   end (the notebook's executor runs everything on one thread);
/// - the imports the caller chooses for it, and a `#sourceLocation` so that
///   diagnostics and traps name the cell's lines.
///
/// Edits are spliced into the text at syntax-node positions and never add
/// a line, so line numbers stay the user's.
public struct CellRewriter {
    /// The function the last bare expression is passed to.
    public static let resultFunction = ExecutorContract.CellFunction.result
    /// The call appended to a cell with top-level `await`, in place of the
    /// `exit(0)` that ends an asynchronous main (NotebookExecutor).
    public static let asyncMainEnd = "await \(ExecutorContract.CellFunction.asyncMainEnded)()"
    static let accessKeywords: Set<String> = ["public", "open", "internal", "fileprivate", "private", "package"]

    public init() {}

    /// A cell read once: what the parser found wrong, the text for the
    /// compiler, and what the cell declares and uses.
    public struct Result: Sendable {
        /// Parse errors, empty when the cell parses.
        public let diagnostics: [CellDiagnostic]
        /// The cell as the compiler gets it.
        public let source: String
        /// What it declares for later cells and the names it mentions.
        public let symbols: CellSymbols
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
        prepare(source, cellName: "cell", imports: { _ in [] }).diagnostics
    }

    /// The cell as the compiler gets it, after the given import lines.
    public func rewrite(_ source: String, cellName: String, imports: [String]) -> String {
        prepare(source, cellName: cellName, imports: { _ in imports }).source
    }

    /// Parses the cell once and rewrites it; `imports` gives the import
    /// lines for what the cell declares and uses (`CellIndex`).
    public func prepare(_ source: String, cellName: String, imports: (CellSymbols) -> [String]) -> Result {
        let tree = Parser.parse(source: source)
        let isAsync = TopLevelAwait.isPresent(in: tree)
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
            if let group = decl.asProtocol(DeclGroupSyntax.self) {
                for member in group.memberBlock.members { publicize(member.decl) }
            }
        }

        for item in tree.statements {
            guard case .decl(let decl) = item.item, !decl.is(ImportDeclSyntax.self) else { continue }
            publicize(decl)
            if isAsync, let variable = decl.as(VariableDeclSyntax.self), !hasIsolation(variable) {
                edits.append(
                    (
                        variable.bindingSpecifier.positionAfterSkippingLeadingTrivia.utf8Offset,
                        "nonisolated(unsafe) "
                    ))
            }
        }

        if let last = tree.statements.last, case .expr(let expr) = last.item, isDisplayable(expr) {
            edits.append((expr.positionAfterSkippingLeadingTrivia.utf8Offset, "\(CellRewriter.resultFunction)("))
            edits.append((expr.endPositionBeforeTrailingTrivia.utf8Offset, ")"))
        }

        var bytes = Array(source.utf8)
        // From the end, so that offsets stay valid; of two edits at one
        // offset, the one made first ends up first.
        for (_, edit) in edits.enumerated().sorted(by: {
            ($0.element.offset, $0.offset) > ($1.element.offset, $1.offset)
        }) {
            bytes.insert(contentsOf: Array(edit.text.utf8), at: edit.offset)
        }
        var symbols = CellSymbols(tree: tree)
        // A name the cell declares is its own from here on, not an import.
        symbols.uses.subtract(symbols.declarations.keys)
        let prologue = imports(symbols).map { $0 + "\n" }.joined()
        let epilogue = isAsync ? CellRewriter.asyncMainEnd + "\n" : ""
        let rewritten =
            prologue + "#sourceLocation(file: \"\(cellName)\", line: 1)\n"
            + String(decoding: bytes, as: UTF8.self) + "\n#sourceLocation()\n" + epilogue
        var insertions: [Int: [(column: Int, length: Int)]] = [:]
        for edit in edits {
            let location = converter.location(for: AbsolutePosition(utf8Offset: edit.offset))
            insertions[location.line, default: []].append((location.column, edit.text.utf8.count))
        }
        return Result(diagnostics: diagnostics, source: rewritten, symbols: symbols, insertions: insertions)
    }

    /// Whether a variable declaration says something of its isolation
    /// (`nonisolated`, or an attribute such as `@MainActor`), or is an
    /// `async let`: then the rewriter leaves it as written.
    private func hasIsolation(_ variable: VariableDeclSyntax) -> Bool {
        variable.modifiers.contains { ["nonisolated", "async"].contains($0.name.text) }
            || !variable.attributes.isEmpty
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
