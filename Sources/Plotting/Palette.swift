/// The 256 most frequent colours of one or more opaque RGBA images, for
/// indexed PNG and GIF: exact when the images have at most 256 colours (a
/// plot: a few colours and their antialiased blends), otherwise each rarer
/// colour becomes its nearest palette colour.
struct Palette {
    /// 0xRRGGBB, most frequent first.
    let colors: [UInt32]
    /// Whether every colour of the images is in the palette.
    let isExact: Bool
    private var lookup: [UInt32: UInt8] = [:]

    init(frames: [[UInt8]]) {
        var frequency: [UInt32: Int] = [:]
        for rgba in frames {
            for i in Swift.stride(from: 0, to: rgba.count, by: 4) {
                frequency[Palette.key(rgba, i), default: 0] += 1
            }
        }
        isExact = frequency.count <= 256
        colors = frequency.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            .prefix(256).map(\.key)
        for (i, color) in colors.enumerated() { lookup[color] = UInt8(i) }
    }

    @inline(__always)
    static func key(_ rgba: [UInt8], _ i: Int) -> UInt32 {
        UInt32(rgba[i]) << 16 | UInt32(rgba[i + 1]) << 8 | UInt32(rgba[i + 2])
    }

    /// Each pixel's palette index.
    mutating func indices(of rgba: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rgba.count / 4)
        for p in 0..<out.count {
            let key = Palette.key(rgba, 4 * p)
            if let found = lookup[key] {
                out[p] = found
            } else {
                let found = nearest(key)
                lookup[key] = found  // remembered: the next pixel of this colour is a lookup
                out[p] = found
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
