/// A map from 24-bit colours to counts or indices: open addressing with
/// linear probing in a power-of-two table kept at most half full.
struct ColorTable: Sendable {
    private static let empty = UInt32.max  // no 24-bit colour has this value
    private var words = [UInt32](repeating: ColorTable.empty, count: 1024)
    private var values = [Int](repeating: 0, count: 1024)
    private(set) var count = 0

    @inline(__always)
    private func slot(_ word: UInt32) -> Int {
        let mask = words.count - 1
        var i = Int((word &* 2_654_435_761) >> 12) & mask
        while words[i] != ColorTable.empty && words[i] != word { i = (i + 1) & mask }
        return i
    }

    /// Adds `amount` to the colour's value (a new colour starts at 0).
    mutating func add(_ word: UInt32, _ amount: Int) {
        var i = slot(word)
        if words[i] == ColorTable.empty {
            if 2 * (count + 1) > words.count {
                grow()
                i = slot(word)
            }
            words[i] = word
            count += 1
        }
        values[i] += amount
    }

    func value(_ word: UInt32) -> Int? {
        let i = slot(word)
        return words[i] == ColorTable.empty ? nil : values[i]
    }

    var entries: [(word: UInt32, value: Int)] {
        words.indices.filter { words[$0] != ColorTable.empty }.map { (words[$0], values[$0]) }
    }

    private mutating func grow() {
        let old = entries
        words = [UInt32](repeating: ColorTable.empty, count: 2 * words.count)
        values = [Int](repeating: 0, count: words.count)
        count = 0
        for (word, value) in old { add(word, value) }
    }
}
