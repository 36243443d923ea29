/// An image as runs of one colour: a plot is mostly runs (the background, a
/// line, a marker's span), so a palette counts colours and maps them to
/// indices once per run, and looks each colour up in a hash table only once
/// per image: a run holds the image's own number for its colour.
struct PixelRuns: Sendable {
    /// The image's distinct colours (0xRRGGBB), in order of first appearance.
    private(set) var colors: [UInt32] = []
    /// How many pixels have each colour.
    private(set) var counts: [Int] = []
    /// Each run's colour, as a position in `colors`, and its length.
    private(set) var runs: [(color: UInt32, length: Int32)] = []
    /// The number of pixels.
    let count: Int

    /// Splits opaque pixels (0xRRGGBB words) into runs.
    init(_ pixels: [UInt32]) {
        count = pixels.count
        var numbers = ColorTable()
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
                counts[number] += j - i
                runs.append((UInt32(number), Int32(j - i)))
                i = j
            }
        }
    }

    /// Each pixel's entry of `table`, which maps the image's colour numbers.
    func pixels(through table: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            var position = 0
            for (color, length) in runs {
                (out.baseAddress! + position).initialize(repeating: table[Int(color)], count: Int(length))
                position += Int(length)
            }
            initialized = count
        }
    }
}
