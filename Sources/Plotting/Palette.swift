import TensorCore

/// The 256 most frequent colours of one or more opaque RGBA images, for
/// indexed PNG and GIF: exact when the images have at most 256 colours (a
/// plot: a few colours and their antialiased blends), otherwise each rarer
/// colour becomes its nearest palette colour.
///
/// A plot is mostly runs of one colour (the background, a line, a marker), so
/// both passes look a colour up once per run, not once per pixel, in an
/// open-addressing table (`ColorTable`) rather than a `Dictionary`, whose
/// hashing was most of the time of encoding an animation.
struct Palette: Sendable {
    /// 0xRRGGBB, most frequent first.
    let colors: [UInt32]
    /// Whether every colour of the images is in the palette.
    let isExact: Bool
    /// Pixel word (R | G << 8 | B << 16, as RGBA bytes load little-endian) → index.
    private let lookup: ColorTable

    init(frames: [[UInt8]]) {
        // Counted frame by frame on all cores, then added up.
        var frequency = ColorTable()
        for counts in parallelMap(
            frames.count,
            { i in
                var counts = ColorTable()
                Palette.forEachRun(frames[i]) { word, length in counts.add(word, length) }
                return counts
            })
        {
            for (word, count) in counts.entries { frequency.add(word, count) }
        }
        isExact = frequency.count <= 256
        let ranked = frequency.entries.map { (color: Palette.rgb($0.word), count: $0.value) }
            .sorted { $0.count > $1.count || ($0.count == $1.count && $0.color < $1.color) }
        colors = ranked.prefix(256).map(\.color)
        var lookup = ColorTable()
        for (i, color) in colors.enumerated() { lookup.add(Palette.word(color), i) }
        self.lookup = lookup
    }

    /// The number of bits an index needs: 1 for 2 colours … 8 for 256.
    var bitsPerIndex: Int {
        var bits = 1
        while 1 << bits < colors.count { bits += 1 }
        return bits
    }

    /// Calls `body(word, length)` for each run of pixels of one colour, in order.
    @inline(__always)
    static func forEachRun(_ rgba: [UInt8], _ body: (UInt32, Int) -> Void) {
        rgba.withUnsafeBytes { raw in
            let pixels = raw.count / 4
            var i = 0
            while i < pixels {
                let word = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self) & 0x00FF_FFFF
                var j = i + 1
                while j < pixels && raw.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self) & 0x00FF_FFFF == word {
                    j += 1
                }
                body(word, j - i)
                i = j
            }
        }
    }

    /// 0xRRGGBB of a pixel word, and back.
    static func rgb(_ word: UInt32) -> UInt32 { (word & 0xFF) << 16 | (word & 0xFF00) | (word >> 16 & 0xFF) }
    static func word(_ rgb: UInt32) -> UInt32 { (rgb & 0xFF) << 16 | (rgb & 0xFF00) | (rgb >> 16 & 0xFF) }

    /// Each pixel's palette index.
    func indices(of rgba: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rgba.count / 4)
        var nearestFound: [UInt32: UInt8] = [:]  // colours outside the palette, once each
        out.withUnsafeMutableBufferPointer { out in
            var position = 0
            Palette.forEachRun(rgba) { word, length in
                let index: UInt8
                if let found = lookup.value(word) {
                    index = UInt8(found)
                } else if let found = nearestFound[word] {
                    index = found
                } else {
                    index = nearest(Palette.rgb(word))
                    nearestFound[word] = index
                }
                out.baseAddress!.advanced(by: position).update(repeating: index, count: length)
                position += length
            }
        }
        return out
    }

    private func nearest(_ key: UInt32) -> UInt8 {
        func distance(_ a: UInt32) -> Int {
            let dr = Int(a >> 16 & 0xFF) - Int(key >> 16 & 0xFF), dg = Int(a >> 8 & 0xFF) - Int(key >> 8 & 0xFF)
            let db = Int(a & 0xFF) - Int(key & 0xFF)
            return dr * dr + dg * dg + db * db
        }
        return UInt8(colors.indices.min { distance(colors[$0]) < distance(colors[$1]) }!)
    }
}
