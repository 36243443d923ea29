import Foundation

/// Tab completion (messaging spec, "Completion"): the identifier before the
/// cursor completed from Swift's keywords and the names used in the cells
/// run so far and in the cell being edited.
enum Completion {
    static let keywords = [
        "let", "var", "func", "struct", "class", "enum", "extension", "protocol", "return", "if", "else",
        "guard", "for", "in", "while", "repeat", "switch", "case", "default", "break", "continue", "import",
        "true", "false", "nil", "self", "Self", "init", "throws", "throw", "try", "do", "catch", "where",
        "print", "Int", "Float", "Double", "String", "Bool", "Array", "Dictionary",
    ]

    /// `(matches, cursorStart, cursorEnd)`; positions count Unicode code
    /// points, as the protocol does.
    static func complete(code: String, cursor: Int, context: [String]) -> (matches: [String], start: Int, end: Int) {
        let scalars = Array(code.unicodeScalars)
        let end = min(max(cursor, 0), scalars.count)
        let start = identifierStart(in: code, before: end)
        let prefix = String(String.UnicodeScalarView(scalars[start..<end]))
        guard !prefix.isEmpty else { return ([], end, end) }
        var names = Set(keywords)
        for text in context + [code] { names.formUnion(identifiers(in: text)) }
        let matches = names.filter { $0.hasPrefix(prefix) && $0 != prefix }.sorted()
        return (matches, start, end)
    }

    /// Where the identifier that ends at `cursor` (code points) begins.
    static func identifierStart(in code: String, before cursor: Int) -> Int {
        let scalars = Array(code.unicodeScalars)
        var start = min(max(cursor, 0), scalars.count)
        while start > 0, isIdentifier(scalars[start - 1]) { start -= 1 }
        return start
    }

    static func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
    }

    static func identifiers(in text: String) -> Set<String> {
        var names = Set<String>()
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isIdentifier(scalar) {
                current.append(scalar)
            } else {
                if let first = current.first, !("0"..."9").contains(first) { names.insert(String(current)) }
                current = String.UnicodeScalarView()
            }
        }
        if let first = current.first, !("0"..."9").contains(first) { names.insert(String(current)) }
        return names
    }
}
