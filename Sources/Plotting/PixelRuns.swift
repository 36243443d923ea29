/// An image as runs of one colour: a plot is mostly runs (the background, a
/// line, a marker's span), so a palette counts colours and maps them to
/// indices once per run, and looks each colour up in a hash table only once
/// per image: a run holds the image's own number for its colour.
struct PixelRuns: Sendable {
    /// The image's distinct colours (0xRRGGBB), in order of first appearance.
    private(set) var colors: [UInt32] = []
    /// How many pixels have each colour.
    private(set) var counts: [Int] = []
    /// Each run's colour (a position in `colors`) in the high 32 bits, its
    /// length in the low 32.
    private var runs: [UInt64] = []
    /// The number of pixels.
    let count: Int

    /// Splits opaque pixels (0xRRGGBB words) into runs. A scatter plot of
    /// 10,000 antialiased markers has some 10⁵ runs a frame: they are written
    /// unchecked into a buffer of the worst case's size, then copied out.
    init(_ pixels: [UInt32]) {
        count = pixels.count
        let numbers = ColorTable()  // colour → its position in `colors`
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: Swift.max(1, pixels.count))
        defer { buffer.deallocate() }
        var written = 0
        pixels.withUnsafeBufferPointer { pixels in
            var i = 0
            while i < pixels.count {
                let color = pixels[i]
                var j = i + 1
                while j < pixels.count && pixels[j] == color { j += 1 }
                let number = numbers.number(color, next: colors.count)
                if number == colors.count {
                    colors.append(color)
                    counts.append(0)
                }
                counts.withUnsafeMutableBufferPointer { $0[number] += j - i }
                buffer[written] = UInt64(number) << 32 | UInt64(j - i)
                written += 1
                i = j
            }
        }
        runs = Array(UnsafeBufferPointer(start: buffer, count: written))
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
