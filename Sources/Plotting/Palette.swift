/// The 256 most frequent colours of one or more opaque images, for indexed
/// PNG and GIF: exact when the images have at most 256 colours (a plot: a
/// few colours and their antialiased blends), otherwise each rarer colour
/// becomes its nearest palette colour. The images come as runs of one colour
/// (`PixelRuns`); the colours are looked up in
/// open-addressing tables (`ColorTable`) rather than `Dictionary`s, whose
/// hashing was most of the time of encoding an animation.
struct Palette: Sendable {
    /// 0xRRGGBB, most frequent first.
    let colors: [UInt32]
    /// Whether every colour of the images is in the palette.
    let isExact: Bool
    /// 0xRRGGBB → index.
    private let lookup: ColorTable

    init(frames: [PixelRuns]) {
        let frequency = ColorTable()
        for frame in frames {
            for (color, count) in zip(frame.colors, frame.counts) { frequency.add(color, count) }
        }
        isExact = frequency.count <= 256
        let ranked = frequency.entries.map { (color: $0.word, count: $0.value) }
            .sorted { $0.count > $1.count || ($0.count == $1.count && $0.color < $1.color) }
        colors = ranked.prefix(256).map(\.color)
        let lookup = ColorTable()
        for (i, color) in colors.enumerated() { lookup.add(color, i) }
        self.lookup = lookup
    }

    /// The number of bits an index needs: 1 for 2 colours … 8 for 256.
    var bitsPerIndex: Int {
        var bits = 1
        while 1 << bits < colors.count { bits += 1 }
        return bits
    }

    /// Each pixel's palette index: the image's colours are mapped once each
    /// (the nearest palette colour for one outside it), then its runs.
    func indices(of image: PixelRuns) -> [UInt8] {
        image.pixels(through: image.colors.map { lookup.value($0).map(UInt8.init) ?? nearest($0) })
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
