internal import CCairo
import Foundation
import TensorCore

/// Handwriting-like digits 0–9 drawn through cairo with the DejaVu Sans font
/// the project installs: the embedded data set of the image tutorials, which
/// needs no download. Each digit gets a seeded random rotation (±15°), scale
/// (a font of 70–95% of the frame, so that the digit stays inside as in MNIST), shift (±6% of the frame) and stroke width (from a
/// thin outline to bold), white on black as in MNIST.
///
/// `images` is `[count, 1, size, size]` in [−1, 1] like the seeds' data;
/// `labels` holds each image's digit. The same seed gives the same set.
///
/// ```swift
/// let digits = renderedDigits(count: 6_000, size: 16)
/// imageGrid(digits.images[0..<64], columns: 8)
/// ```
public func renderedDigits(count: Int, size: Int = 28, seed: UInt64 = 0) -> (images: Tensor, labels: [Int]) {
    guard count >= 0, size >= 8, size <= 256 else {
        fail("renderedDigits: count must be 0 or more and size between 8 and 256, got count \(count), size \(size).")
    }
    let generator = Generator(seed: seed)
    let frame = Double(size)
    var labels: [Int] = []
    labels.reserveCapacity(count)
    var values = [Float](repeating: -1, count: count * size * size)
    renderWithCairo("renderedDigits", format: CAIRO_FORMAT_A8, size: size, count: count) { context, _ in
        let digit = Int(generator.next() % 10)
        labels.append(digit)
        cairo_set_operator(context, CAIRO_OPERATOR_CLEAR)
        cairo_paint(context)
        cairo_set_operator(context, CAIRO_OPERATOR_OVER)
        cairo_set_source_rgba(context, 0, 0, 0, 1)
        cairo_select_font_face(context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        // The glyph's box centred in the frame, then moved, turned and scaled about the centre.
        cairo_set_font_size(context, frame * generator.uniform(0.7, 0.95))
        var extents = cairo_text_extents_t()
        let text = String(digit)
        cairo_text_extents(context, text, &extents)
        cairo_translate(
            context, frame / 2 + generator.uniform(-0.06, 0.06) * frame,
            frame / 2 + generator.uniform(-0.06, 0.06) * frame)
        cairo_rotate(context, generator.uniform(-15, 15) * .pi / 180)
        cairo_move_to(context, -(extents.x_bearing + extents.width / 2), -(extents.y_bearing + extents.height / 2))
        cairo_text_path(context, text)
        cairo_fill_preserve(context)
        cairo_set_line_width(context, generator.uniform(0, 0.09) * frame)
        cairo_stroke(context)
    } read: { pixels, stride, n in
        // A8: one coverage byte per pixel.
        let base = n * size * size
        for y in 0..<size {
            for x in 0..<size { values[base + y * size + x] = Float(pixels[y * stride + x]) / 127.5 - 1 }
        }
    }
    return (Tensor(values, shape: [count, 1, size, size]), labels)
}
