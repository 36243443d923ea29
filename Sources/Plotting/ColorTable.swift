/// A map from 24-bit colours to counts or indices: open addressing with
/// linear probing in a power-of-two table kept at most half full. The table
/// is in manually allocated memory, so that a lookup (one per run of pixels
/// of a frame, some 10⁵ a frame of a scatter plot) has neither bounds nor
/// uniqueness checks; a table is filled by one owner, then only read.
final class ColorTable: @unchecked Sendable {
    private static let empty = UInt32.max  // no 24-bit colour has this value
    private var capacity = 1024
    private var words: UnsafeMutablePointer<UInt32>
    private var values: UnsafeMutablePointer<Int>
    private(set) var count = 0

    init() {
        words = .allocate(capacity: capacity)
        words.initialize(repeating: ColorTable.empty, count: capacity)
        values = .allocate(capacity: capacity)
    }

    deinit {
        words.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private func slot(_ word: UInt32) -> Int {
        let mask = capacity - 1
        var i = Int((word &* 2_654_435_761) >> 12) & mask
        while words[i] != ColorTable.empty && words[i] != word { i = (i + 1) & mask }
        return i
    }

    /// The slot of a colour, and whether it was added now (with value 0).
    @inline(__always)
    private func entry(_ word: UInt32) -> (slot: Int, added: Bool) {
        var i = slot(word)
        guard words[i] == ColorTable.empty else { return (i, false) }
        if 2 * (count + 1) > capacity {
            grow()
            i = slot(word)
        }
        words[i] = word
        values[i] = 0
        count += 1
        return (i, true)
    }

    /// Adds `amount` to the colour's value (a new colour starts at 0).
    func add(_ word: UInt32, _ amount: Int) {
        // Not `values[entry(word).slot] += amount`: that reads `values` before
        // `entry` runs, and a growing table frees it (a write after free).
        let i = entry(word).slot
        values[i] += amount
    }

    /// The colour's value, or `next` for a colour not yet in the table, which
    /// is then added with that value (numbering colours as they come).
    func number(_ word: UInt32, next: Int) -> Int {
        let (i, added) = entry(word)
        if added { values[i] = next }
        return values[i]
    }

    func value(_ word: UInt32) -> Int? {
        let i = slot(word)
        return words[i] == ColorTable.empty ? nil : values[i]
    }

    var entries: [(word: UInt32, value: Int)] {
        (0..<capacity).filter { words[$0] != ColorTable.empty }.map { (words[$0], values[$0]) }
    }

    private func grow() {
        let old = entries
        words.deallocate()
        values.deallocate()
        capacity *= 2
        words = .allocate(capacity: capacity)
        words.initialize(repeating: ColorTable.empty, count: capacity)
        values = .allocate(capacity: capacity)
        count = 0
        for (word, value) in old {
            let i = entry(word).slot  // (the table has room: `entry` does not grow it here)
            values[i] = value
        }
    }
}
