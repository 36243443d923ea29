import JupyterProtocol

/// A place in a document as the Language Server Protocol counts it: a line
/// and a UTF-16 code unit within it (LSP's default `positionEncoding`),
/// where Jupyter counts Unicode code points from the start of the cell.
/// The cell's text starts after `linesBefore` lines (the imports the
/// completion document puts first).
struct LSPPosition: Equatable {
    var line: Int
    var character: Int

    init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    /// The place of the `codePoint`-th code point of `code`.
    init(code: String, codePoint: Int, linesBefore: Int) {
        var line = linesBefore, character = 0
        for scalar in code.unicodeScalars.prefix(max(codePoint, 0)) {
            if scalar == "\n" {
                line += 1
                character = 0
            } else {
                character += scalar.utf16.count
            }
        }
        self.init(line: line, character: character)
    }

    /// The code point offset into `code` of an LSP position (`{line, character}`);
    /// nil for a position before the cell.
    static func codePoint(_ position: JSONValue?, in code: String, linesBefore: Int) -> Int? {
        guard let line = position?["line"]?.intValue, let character = position?["character"]?.intValue,
            line >= linesBefore
        else { return nil }
        var offset = 0, currentLine = linesBefore, units = 0
        for scalar in code.unicodeScalars {
            if currentLine == line && units >= character { return offset }
            if scalar == "\n" {
                if currentLine == line { return offset }  // past the end of that line
                currentLine += 1
                units = 0
            } else if currentLine == line {
                units += scalar.utf16.count
            }
            offset += 1
        }
        return offset
    }
}
