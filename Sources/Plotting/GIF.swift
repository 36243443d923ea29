import TensorCore

/// Animated GIF files (GIF89a): one global palette of the frames' 256 most
/// frequent colours (as few bits per index as it needs), LZW-compressed
/// frames, a frame delay, and the NETSCAPE2.0 extension for looping.
public enum GIF {
    /// Encodes frames of 8-bit RGBA pixels (opaque, all `width` × `height`).
    /// `delay` is each frame's duration in seconds (GIF counts hundredths);
    /// `loop` repeats the animation forever. Frames are compressed on all
    /// cores.
    public static func encode(frames: [[UInt8]], width: Int, height: Int, delay: Double = 0.1, loop: Bool = true)
        -> [UInt8]
    {
        guard width > 0, height > 0, frames.allSatisfy({ $0.count == width * height * 4 }) else {
            fail("GIF.encode: every frame must hold \(width)×\(height)×4 bytes of RGBA, up to 65,535 pixels a side.")
        }
        return encode(
            runs: parallelMap(frames.count) { PixelRuns(rgba: frames[$0]) }, width: width, height: height,
            delay: delay, loop: loop)
    }

    /// `encode(frames:…)` for frames split into runs of one colour.
    static func encode(runs: [PixelRuns], width: Int, height: Int, delay: Double, loop: Bool) -> [UInt8] {
        guard !runs.isEmpty else { fail("GIF.encode: an animation needs at least one frame.") }
        guard width > 0, height > 0, width <= 65_535, height <= 65_535,
            runs.allSatisfy({ $0.count == width * height })
        else {
            fail("GIF.encode: every frame must hold \(width)×\(height) pixels, up to 65,535 a side.")
        }
        let palette = Palette(frames: runs)
        // LZW needs a code size of at least 2 bits; the colour table has 2^bits entries.
        let bits = max(2, palette.bitsPerIndex)
        var out: [UInt8] = Array("GIF89a".utf8)
        out += le16(width) + le16(height)
        out += [0xF0 | UInt8(bits - 1), 0, 0]  // global colour table of 2^bits entries; background 0; no aspect ratio
        for i in 0..<(1 << bits) {
            let color = i < palette.colors.count ? palette.colors[i] : 0
            out += [UInt8(color >> 16 & 0xFF), UInt8(color >> 8 & 0xFF), UInt8(color & 0xFF)]
        }
        if loop {  // NETSCAPE2.0: loop count 0 = forever
            out += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
        }
        let hundredths = max(0, min(65_535, Int((delay * 100).rounded())))
        let compressed = parallelMap(runs.count) { lzw(palette.indices(of: runs[$0]), codeSize: bits) }
        // Each frame: 19 bytes of headers, its data in sub-blocks of ≤ 255 bytes with a length byte each, a 0.
        out.reserveCapacity(out.count + compressed.reduce(1) { $0 + 21 + $1.count + $1.count / 255 })
        for data in compressed {
            out += [0x21, 0xF9, 0x04, 0x00] + le16(hundredths) + [0x00, 0x00]  // graphic control: delay
            out += [0x2C] + le16(0) + le16(0) + le16(width) + le16(height) + [0x00]  // image descriptor
            out.append(UInt8(bits))  // LZW minimum code size
            var start = 0
            while start < data.count {  // sub-blocks of at most 255 bytes
                let count = min(255, data.count - start)
                out.append(UInt8(count))
                out += data[start..<(start + count)]
                start += count
            }
            out.append(0)
        }
        out.append(0x3B)
        return out
    }

    private static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }

    /// GIF's variable-width LZW for indices of `codeSize` bits (`LZWEncoder`).
    static func lzw(_ indices: [UInt8], codeSize: Int = 8) -> [UInt8] {
        var encoder = LZWEncoder(codeSize: codeSize, capacity: indices.count)
        defer { encoder.deallocate() }
        return indices.withUnsafeBufferPointer { encoder.encode($0) }
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

    /// The GIF file's bytes. The frames are drawn one at a time while
    /// another core splits the frame before into runs of one colour; then
    /// they are compressed on all cores. (Drawing whole frames side by side,
    /// text included, hung now and then in a cell's forked process: two
    /// threads waiting on the one-time initialisation of a `static let` of
    /// the text code.)
    public func gif() -> [UInt8] {
        enum Work {
            case drawn([UInt32])
            case split(PixelRuns)
            case none
        }
        var runs: [PixelRuns] = []
        var previous: [UInt32]? = nil
        for i in 0...frames.count {
            let done = parallelMap(2) { task -> Work in
                if task == 0 { return i < frames.count ? .drawn(frames[i].renderRGBWords()) : .none }
                return previous.map { .split(PixelRuns($0)) } ?? .none
            }
            previous = nil
            for work in done {
                switch work {
                case .drawn(let pixels): previous = pixels
                case .split(let frame): runs.append(frame)
                case .none: break
                }
            }
        }
        return GIF.encode(
            runs: runs, width: frames[0].pixelWidth, height: frames[0].pixelHeight, delay: delay, loop: loop)
    }
}
