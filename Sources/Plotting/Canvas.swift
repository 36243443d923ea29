import Foundation
import TensorCore
internal import CCairo

/// A cairo image surface (premultiplied ARGB32) with the few drawing
/// operations figures need: antialiased lines and text through cairo, and
/// markers stamped from a pre-rendered sprite (tens of thousands of points
/// per panel; drawing each as a cairo path would be many times slower).
final class Canvas {
    let width: Int
    let height: Int
    /// Pixels per typographic point (dpi / 72).
    let scale: Double
    /// How many times larger than its point size text is drawn
    /// (`Figure.legibilityScale`).
    let textScale: Double
    let surface: OpaquePointer
    let context: OpaquePointer

    init(width: Int, height: Int, scale: Double, textScale: Double = 1) {
        self.width = width
        self.height = height
        self.scale = scale
        self.textScale = textScale
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        context = cairo_create(surface)
        cairo_select_font_face(context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    private func setColor(_ c: Color) { cairo_set_source_rgba(context, c.red, c.green, c.blue, c.alpha) }

    func fill(_ color: Color) {
        setColor(color)
        cairo_paint(context)
    }

    func strokeRect(_ r: Rect, color: Color, width: Double) {
        setColor(color)
        cairo_set_line_width(context, width * scale)
        cairo_rectangle(context, r.x, r.y, r.width, r.height)
        cairo_stroke(context)
    }

    func line(from a: (Double, Double), to b: (Double, Double), color: Color, width: Double) {
        polyline([a, b], color: color, width: width)
    }

    func polyline(_ points: [(Double, Double)], color: Color, width: Double) {
        guard let first = points.first else { return }
        setColor(color)
        cairo_set_line_width(context, width * scale)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_move_to(context, first.0, first.1)
        for p in points.dropFirst() where p.0.isFinite && p.1.isFinite { cairo_line_to(context, p.0, p.1) }
        cairo_stroke(context)
    }

    enum Align { case left, center, right }

    /// The advance width of `string` at `size` points, in pixels (combining
    /// marks take none).
    func textWidth(_ string: String, size: Double) -> Double {
        cairo_set_font_size(context, size * scale * textScale)
        return TextRun.split(string).reduce(0) { $0 + advance($1.base) }
    }

    private func advance(_ string: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, string, &extents)
        return extents.x_advance
    }

    func fillRect(_ r: Rect, color: Color) {
        setColor(color)
        cairo_rectangle(context, r.x, r.y, r.width, r.height)
        cairo_fill(context)
    }

    /// Text of `size` points with its baseline at y; `vertical` turns it
    /// to read upwards (a y label). A combining mark (the tilde of β̃, which
    /// cairo's simple text API does not place) is drawn as its spacing form
    /// centred just above its base character.
    func text(_ string: String, x: Double, y: Double, size: Double, align: Align, vertical: Bool = false) {
        setColor(.black)
        cairo_set_font_size(context, size * scale * textScale)
        let runs = TextRun.split(string)
        let width = runs.reduce(0) { $0 + advance($1.base) }
        let shift: Double
        switch align {
        case .left: shift = 0
        case .center: shift = -width / 2
        case .right: shift = -width
        }
        cairo_save(context)
        cairo_translate(context, x, y)
        if vertical { cairo_rotate(context, -Double.pi / 2) }
        var pen = shift
        for run in runs {
            cairo_move_to(context, pen, 0)
            cairo_show_text(context, run.base)
            if let mark = run.mark {
                var base = cairo_text_extents_t(), glyph = cairo_text_extents_t()
                cairo_text_extents(context, String(run.base.last!), &base)
                cairo_text_extents(context, mark, &glyph)
                let lastAdvance = advance(String(run.base.last!))
                let centre = pen + advance(run.base) - lastAdvance + base.x_bearing + base.width / 2
                let gap = 0.08 * size * scale * textScale
                // The mark's ink bottom just above the base's ink top.
                cairo_move_to(
                    context, centre - glyph.x_bearing - glyph.width / 2,
                    base.y_bearing - gap - glyph.y_bearing - glyph.height)
                cairo_show_text(context, mark)
            }
            pen += advance(run.base)
        }
        cairo_restore(context)
    }

    /// Draws an image scaled into `r` with nearest-neighbour sampling (sharp pixels).
    func image(_ picture: Axes.Picture, in r: Rect) {
        var pixels = picture.pixels
        let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, Int32(picture.width)))
        var rows = [UInt8](repeating: 0, count: stride * picture.height)
        rows.withUnsafeMutableBytes { raw in
            pixels.withUnsafeMutableBytes { source in
                for y in 0..<picture.height {
                    (raw.baseAddress! + y * stride).copyMemory(
                        from: source.baseAddress! + y * picture.width * 4,
                        byteCount: picture.width * 4)
                }
            }
            let image = cairo_image_surface_create_for_data(
                raw.baseAddress!.assumingMemoryBound(to: UInt8.self), CAIRO_FORMAT_ARGB32,
                Int32(picture.width), Int32(picture.height), Int32(stride))
            cairo_save(context)
            cairo_translate(context, r.x, r.y)
            cairo_scale(context, r.width / Double(picture.width), r.height / Double(picture.height))
            cairo_set_source_surface(context, image, 0, 0)
            cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
            cairo_paint(context)
            cairo_restore(context)
            cairo_surface_destroy(image)
        }
    }

    func clip(to r: Rect, _ body: () -> Void) {
        cairo_save(context)
        cairo_rectangle(context, r.x, r.y, r.width, r.height)
        cairo_clip(context)
        body()
        cairo_restore(context)
    }

    /// Composites each panel's markers ("over", premultiplied): every stamp's
    /// sprite centred at each of its points, skipping points outside its
    /// clip, a panel's stamps in order. Panels, whose clips do not overlap
    /// (a figure's grid), are composited side by side on the cores.
    func stamp(_ panels: [[Stamp]]) {
        let (pixels, stride) = Canvas.words(of: surface, rows: height)
        _ = parallelMap(panels.count) { i in
            for stamp in panels[i] { composite(stamp, into: pixels, stride: stride) }
        }
        cairo_surface_mark_dirty(surface)
    }

    private func composite(_ stamp: Stamp, into pixels: UnsafeMutablePointer<UInt32>, stride: Int) {
        let sprite = stamp.sprite, clip = stamp.clip
        let x0 = max(0, Int(clip.x)), x1 = min(width, Int((clip.x + clip.width).rounded(.up)))
        let y0 = max(0, Int(clip.y)), y1 = min(height, Int((clip.y + clip.height).rounded(.up)))
        let half = Double(sprite.size) / 2
        // The sprite's visible pixels as offsets into the surface's rows.
        let offsets = sprite.visible.map { $0.y * stride + $0.x }
        let colors = sprite.visible.map(\.pixel)
        offsets.withUnsafeBufferPointer { offsets in
            colors.withUnsafeBufferPointer { colors in
                for (px, py) in stamp.points where px.isFinite && py.isFinite {
                    let left = Int((px - half).rounded()), top = Int((py - half).rounded())
                    if left >= x0 && top >= y0 && left + sprite.size <= x1 && top + sprite.size <= y1 {
                        let base = pixels + top * stride + left  // wholly inside: no checks per pixel
                        for i in 0..<offsets.count {
                            let s = colors[i], alpha = s >> 24
                            let j = offsets[i]
                            base[j] = alpha == 255 ? s : Canvas.over(s, base[j], alpha: alpha)
                        }
                    } else {
                        for (i, p) in sprite.visible.enumerated() {
                            let x = left + p.x, y = top + p.y
                            if x < x0 || x >= x1 || y < y0 || y >= y1 { continue }
                            let s = colors[i]
                            pixels[y * stride + x] = Canvas.over(s, pixels[y * stride + x], alpha: s >> 24)
                        }
                    }
                }
            }
        }
    }

    /// Premultiplied "over": s + d·(1 − αs), per channel.
    @inline(__always)
    static func over(_ s: UInt32, _ d: UInt32, alpha: UInt32) -> UInt32 {
        // Two channels at a time in 16-bit lanes: (d·(255 − α) + 128)·257 >> 16 ≈ d·(255 − α)/255.
        let inverse = 255 - alpha
        var rb = (d & 0x00FF_00FF) &* inverse &+ 0x0080_0080
        rb = ((rb &+ ((rb >> 8) & 0x00FF_00FF)) >> 8) & 0x00FF_00FF
        var ag = ((d >> 8) & 0x00FF_00FF) &* inverse &+ 0x0080_0080
        ag = (ag &+ ((ag >> 8) & 0x00FF_00FF)) & 0xFF00_FF00
        return s &+ (rb | ag)  // premultiplied: no channel exceeds its alpha, so no carry
    }

    /// An ARGB32 surface's pixels as 32-bit words (premultiplied, native
    /// byte order), after cairo's drawing is flushed, and its row stride in
    /// words. The memory is cairo's, untyped: it is bound to `UInt32` here,
    /// for as long as the surface lives, rather than rebound inside a closure
    /// whose pointer must not escape.
    static func words(of surface: OpaquePointer, rows: Int) -> (pixels: UnsafeMutablePointer<UInt32>, stride: Int) {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface)) / 4
        let pixels = UnsafeMutableRawPointer(cairo_image_surface_get_data(surface)!)
            .bindMemory(to: UInt32.self, capacity: stride * rows)
        return (pixels, stride)
    }

    /// The pixels as 0xRRGGBB words over white (an opaque pixel is its
    /// premultiplied word without alpha; a translucent one is composited
    /// over white first), rows top to bottom.
    func rgbWords() -> [UInt32] {
        let (pixels, stride) = Canvas.words(of: surface, rows: height)
        let width = width
        return [UInt32](unsafeUninitializedCapacity: width * height) { out, initialized in
            for y in 0..<height {
                let row = pixels + y * stride
                let target = out.baseAddress! + y * width
                for x in 0..<width {
                    let p = row[x]
                    target[x] = (p >> 24 == 255 ? p : Canvas.over(p, 0xFFFF_FFFF, alpha: p >> 24)) & 0x00FF_FFFF
                }
            }
            initialized = width * height
        }
    }

    /// 8-bit RGBA, un-premultiplied, rows top to bottom.
    func rgba() -> [UInt8] {
        let (pixels, stride) = Canvas.words(of: surface, rows: height)
        let width = width
        return [UInt8](unsafeUninitializedCapacity: width * height * 4) { out, initialized in
            for y in 0..<height {
                let row = pixels + y * stride
                let target = out.baseAddress! + y * width * 4
                for x in 0..<width {
                    let p = row[x]
                    let a = p >> 24
                    let i = 4 * x
                    if a == 255 {  // opaque: nothing to un-premultiply
                        target[i] = UInt8(truncatingIfNeeded: p >> 16)
                        target[i + 1] = UInt8(truncatingIfNeeded: p >> 8)
                        target[i + 2] = UInt8(truncatingIfNeeded: p)
                        target[i + 3] = 255
                        continue
                    }
                    func channel(_ shift: UInt32) -> UInt8 {
                        let c = (p >> shift) & 0xFF
                        return a == 0 ? 0 : UInt8(min(255, (c * 255 + a / 2) / a))
                    }
                    target[i] = channel(16)
                    target[i + 1] = channel(8)
                    target[i + 2] = channel(0)
                    target[i + 3] = UInt8(a)
                }
            }
            initialized = width * height * 4
        }
    }
}

/// Markers to composite: `sprite` centred at each of `points` (canvas
/// pixels), within `clip`.
struct Stamp {
    let sprite: Sprite
    let points: [(Double, Double)]
    let clip: Rect
}

/// A marker drawn once by cairo (antialiased disc, optional ring) and kept
/// as premultiplied ARGB pixels for stamping.
struct Sprite {
    let size: Int
    let pixels: [UInt32]
    /// The pixels with some coverage, with their place in the sprite.
    let visible: [(x: Int, y: Int, pixel: UInt32)]

    init(diameter: Double, face: Color, edge: Color?, edgeWidth: Double) {
        let outer = diameter + (edge == nil ? 0 : edgeWidth)
        size = max(1, Int(outer.rounded(.up)) + 2)
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(size), Int32(size))!
        let context = cairo_create(surface)!
        let center = Double(size) / 2
        cairo_arc(context, center, center, diameter / 2, 0, 2 * Double.pi)
        cairo_set_source_rgba(context, face.red, face.green, face.blue, face.alpha)
        if let edge {
            cairo_fill_preserve(context)
            cairo_set_source_rgba(context, edge.red, edge.green, edge.blue, edge.alpha)
            cairo_set_line_width(context, edgeWidth)
            cairo_stroke(context)
        } else {
            cairo_fill(context)
        }
        let (data, stride) = Canvas.words(of: surface, rows: size)
        var pixels: [UInt32] = []
        for y in 0..<size { for x in 0..<size { pixels.append(data[y * stride + x]) } }
        self.pixels = pixels
        let side = size
        visible = pixels.enumerated().filter { $0.element >> 24 != 0 }
            .map { (x: $0.offset % side, y: $0.offset / side, pixel: $0.element) }
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }
}
