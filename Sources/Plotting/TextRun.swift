/// A piece of text for cairo's simple text API, which lays out one glyph per
/// character and so cannot stack a combining mark on its base: `base` is
/// drawn as it is, and `mark` (a spacing form of the combining mark that
/// follows its last character) centred above that character.
struct TextRun: Equatable {
    var base: String
    var mark: String?

    /// Spacing forms of the combining marks of mathematical notation.
    static let spacingForms: [Unicode.Scalar: String] = [
        "\u{0303}": "\u{02DC}",  // tilde: β̃, x̃
        "\u{0304}": "\u{00AF}",  // macron: ᾱ written as α + U+0304
        "\u{0302}": "\u{02C6}",  // circumflex: x̂
        "\u{0307}": "\u{02D9}",  // dot above: ẋ
        "\u{0308}": "\u{00A8}",  // diaeresis: ẍ
        "\u{0305}": "\u{00AF}",  // overline
    ]

    /// `"σ² = β̃ₜ"` → `["σ² = β" with "˜", "ₜ"]`; text without combining marks
    /// stays one run.
    static func split(_ text: String) -> [TextRun] {
        var runs: [TextRun] = []
        var current = ""
        for character in text {
            let scalars = character.unicodeScalars
            let marks = scalars.dropFirst().compactMap { spacingForms[$0] }
            guard let mark = marks.first, scalars.count == 2 else {
                current.append(character)
                continue
            }
            current.unicodeScalars.append(scalars.first!)
            runs.append(TextRun(base: current, mark: mark))
            current = ""
        }
        if !current.isEmpty || runs.isEmpty { runs.append(TextRun(base: current, mark: nil)) }
        return runs
    }
}
