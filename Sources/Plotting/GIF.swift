import TensorCore

/// Animated GIF files (GIF89a): one global palette of the frames' 256 most
/// frequent colours, LZW-compressed frames, a frame delay, and the
/// NETSCAPE2.0 extension for looping.
public enum GIF {
    /// Encodes frames of 8-bit RGBA pixels (opaque, all `width` × `height`).
    /// `delay` is each frame's duration in seconds (GIF counts hundredths);
    /// `loop` repeats the animation forever.
    public static func encode(frames: [[UInt8]], width: Int, height: Int, delay: Double = 0.1, loop: Bool = true)
        -> [UInt8]
    {
        guard !frames.isEmpty else { fail("GIF.encode: an animation needs at least one frame.") }
        guard width > 0, height > 0, width <= 65_535, height <= 65_535,
            frames.allSatisfy({ $0.count == width * height * 4 })
        else {
            fail("GIF.encode: every frame must hold \(width)×\(height)×4 bytes of RGBA, up to 65,535 pixels a side.")
        }
        var palette = Palette(frames: frames)
        var out: [UInt8] = Array("GIF89a".utf8)
        out += le16(width) + le16(height)
        out += [0xF7, 0, 0]  // global colour table of 2^(7+1) entries; background 0; no aspect ratio
        for i in 0..<256 {
            let color = i < palette.colors.count ? palette.colors[i] : 0
            out += [UInt8(color >> 16 & 0xFF), UInt8(color >> 8 & 0xFF), UInt8(color & 0xFF)]
        }
        if loop {  // NETSCAPE2.0: loop count 0 = forever
            out += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
        }
        let hundredths = max(0, min(65_535, Int((delay * 100).rounded())))
        for frame in frames {
            out += [0x21, 0xF9, 0x04, 0x00] + le16(hundredths) + [0x00, 0x00]  // graphic control: delay
            out += [0x2C] + le16(0) + le16(0) + le16(width) + le16(height) + [0x00]  // image descriptor
            out += [8]  // LZW minimum code size
            let compressed = lzw(palette.indices(of: frame))
            var start = 0
            while start < compressed.count {  // sub-blocks of at most 255 bytes
                let count = min(255, compressed.count - start)
                out.append(UInt8(count))
                out += compressed[start..<(start + count)]
                start += count
            }
            out.append(0)
        }
        out.append(0x3B)
        return out
    }

    private static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }

    /// GIF's variable-width LZW (codes of 9 to 12 bits, least significant
    /// bit first): clear code 256, end code 257, the table restarted when
    /// it reaches 4,096 codes.
    static func lzw(_ indices: [UInt8]) -> [UInt8] {
        let clear = 256, end = 257
        // table[prefix * 256 + byte] = code + 1 (0: absent); the entries set are reset at each clear.
        var table = [UInt16](repeating: 0, count: 4096 * 256)
        var used: [Int] = []
        var next = 258, width = 9
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        func emit(_ code: Int) {
            buffer |= code << bits
            bits += width
            while bits >= 8 {
                out.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                bits -= 8
            }
        }
        emit(clear)
        guard var prefix = indices.first.map(Int.init) else {
            emit(end)
            if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
            return out
        }
        for byte in indices.dropFirst() {
            let key = prefix << 8 | Int(byte)
            let found = table[key]
            if found != 0 {
                prefix = Int(found) - 1
                continue
            }
            emit(prefix)
            if next < 4096 {
                table[key] = UInt16(next + 1)
                used.append(key)
                if next == 1 << width && width < 12 { width += 1 }
                next += 1
            } else {
                emit(clear)
                for k in used { table[k] = 0 }
                used.removeAll(keepingCapacity: true)
                next = 258
                width = 9
            }
            prefix = Int(byte)
        }
        emit(prefix)
        emit(end)
        if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
        return out
    }
}

/// Frames of figures shown as an animated GIF (`image/gif`) when it is a
/// cell's value, like the seeds' forward and reverse GIFs.
public struct Animation {
    /// The figures, in order, one per frame.
    public let frames: [Figure]
    /// Seconds per frame.
    public let delay: Double
    public let loop: Bool

    public init(frames: [Figure], delay: Double = 0.1, loop: Bool = true) {
        guard let first = frames.first else { fail("Animation: give at least one frame.") }
        guard frames.allSatisfy({ $0.pixelWidth == first.pixelWidth && $0.pixelHeight == first.pixelHeight }) else {
            fail("Animation: every frame must have the same size; make them with the same width, height and dpi.")
        }
        self.frames = frames
        self.delay = delay
        self.loop = loop
    }

    /// The GIF file's bytes.
    public func gif() -> [UInt8] {
        GIF.encode(
            frames: frames.map { $0.renderRGBA() }, width: frames[0].pixelWidth, height: frames[0].pixelHeight,
            delay: delay, loop: loop)
    }
}
