/// An image as runs of one colour: a plot is mostly runs (the background, a
/// line, a marker's span), so a palette counts colours and maps them to
/// indices once per run, and looks each colour up in a hash table only once
/// per image: a run holds the image's own number for its colour.
struct PixelRuns: Sendable {
    /// The image's distinct colours (0xRRGGBB), in order of first appearance.
    let colors: [UInt32]
    /// How many pixels have each colour.
    let counts: [Int]
    /// Each run's colour (a position in `colors`) in the high 32 bits, its
    /// length in the low 32.
    private let runs: [UInt64]
    /// The number of pixels.
    let count: Int

    /// Splits opaque pixels (0xRRGGBB words) into runs. A scatter plot of
    /// 10,000 antialiased markers has some 10⁵ runs a frame, so the loop keeps
    /// its state in raw buffers: an open-addressing table of the colours seen
    /// (linear probing, at most half full), the runs written unchecked.
    init(_ pixels: [UInt32]) {
        count = pixels.count
        var colors: [UInt32] = []
        var counts: [Int] = []
        let runBuffer = UnsafeMutablePointer<UInt64>.allocate(capacity: Swift.max(1, pixels.count))
        defer { runBuffer.deallocate() }
        var tableSize = 1024
        var keys = UnsafeMutablePointer<UInt32>.allocate(capacity: tableSize)
        var numbers = UnsafeMutablePointer<UInt32>.allocate(capacity: tableSize)
        keys.initialize(repeating: UInt32.max, count: tableSize)  // no 24-bit colour is UInt32.max
        defer {
            keys.deallocate()
            numbers.deallocate()
        }
        func slot(_ color: UInt32) -> Int {
            var i = Int((color &* 2_654_435_761) >> 12) & (tableSize - 1)
            while keys[i] != UInt32.max && keys[i] != color { i = (i + 1) & (tableSize - 1) }
            return i
        }
        var runCount = 0
        pixels.withUnsafeBufferPointer { pixels in
            var i = 0
            while i < pixels.count {
                let color = pixels[i]
                var j = i + 1
                while j < pixels.count && pixels[j] == color { j += 1 }
                var s = slot(color)
                if keys[s] == UInt32.max {  // a new colour
                    if 2 * (colors.count + 1) > tableSize {
                        let (oldKeys, oldNumbers, oldSize) = (keys, numbers, tableSize)
                        tableSize *= 2
                        keys = .allocate(capacity: tableSize)
                        numbers = .allocate(capacity: tableSize)
                        keys.initialize(repeating: UInt32.max, count: tableSize)
                        for k in 0..<oldSize where oldKeys[k] != UInt32.max {
                            let t = slot(oldKeys[k])
                            keys[t] = oldKeys[k]
                            numbers[t] = oldNumbers[k]
                        }
                        oldKeys.deallocate()
                        oldNumbers.deallocate()
                        s = slot(color)
                    }
                    keys[s] = color
                    numbers[s] = UInt32(colors.count)
                    colors.append(color)
                    counts.append(0)
                }
                let number = numbers[s]
                counts.withUnsafeMutableBufferPointer { $0[Int(number)] += j - i }
                runBuffer[runCount] = UInt64(number) << 32 | UInt64(j - i)
                runCount += 1
                i = j
            }
        }
        self.colors = colors
        self.counts = counts
        runs = Array(UnsafeBufferPointer(start: runBuffer, count: runCount))
    }

    /// Splits opaque 8-bit RGBA pixels into runs (their alpha dropped).
    init(rgba: [UInt8]) {
        self.init(
            rgba.withUnsafeBytes { raw in
                (0..<raw.count / 4).map { i in
                    // R | G << 8 | B << 16 | A << 24, as RGBA bytes load little-endian
                    let word = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    return (word & 0xFF) << 16 | (word & 0xFF00) | (word >> 16 & 0xFF)
                }
            })
    }

    /// Each pixel's entry of `table`, which maps the image's colour numbers.
    func pixels(through table: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            var position = 0
            table.withUnsafeBufferPointer { table in
                for run in runs {
                    let length = Int(run & 0xFFFF_FFFF)
                    (out.baseAddress! + position).initialize(repeating: table[Int(run >> 32)], count: length)
                    position += length
                }
            }
            initialized = count
        }
    }
}
