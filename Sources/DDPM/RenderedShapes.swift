internal import CCairo
import Foundation
import TensorCore

/// Coloured shapes on a dark ground, drawn through cairo: the small RGB data
/// set for three-channel models in the image tutorials. Each image holds one
/// circle, square or triangle (label 0, 1, 2) of a random saturated colour,
/// with seeded random size (35–70% of the frame), position and rotation.
///
/// `images` is `[count, 3, size, size]` in [−1, 1]; `labels` holds each
/// image's shape. The same seed gives the same set.
public func renderedShapes(count: Int, size: Int = 32, seed: UInt64 = 0) -> (images: Tensor, labels: [Int]) {
    guard count >= 0, size >= 8, size <= 256 else {
        fail("renderedShapes: count must be 0 or more and size between 8 and 256, got count \(count), size \(size).")
    }
    let generator = Generator(seed: seed)
    let frame = Double(size)
    let plane = size * size
    var labels: [Int] = []
    labels.reserveCapacity(count)
    var values = [Float](repeating: -1, count: count * 3 * plane)
    renderWithCairo("renderedShapes", format: CAIRO_FORMAT_RGB24, size: size, count: count) { context, _ in
        let shape = Int(generator.next() % 3)
        labels.append(shape)
        cairo_set_source_rgb(context, 0.08, 0.08, 0.1)
        cairo_paint(context)
        // A saturated colour: one channel high, one low, one anywhere.
        var colour = [generator.uniform(0.75, 1), generator.uniform(0, 0.25), generator.uniform(0, 1)]
        for i in Swift.stride(from: 2, to: 0, by: -1) { colour.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        cairo_set_source_rgb(context, colour[0], colour[1], colour[2])
        let extent = generator.uniform(0.35, 0.7) * frame
        let margin = extent / 2
        cairo_translate(
            context, generator.uniform(margin, frame - margin), generator.uniform(margin, frame - margin))
        cairo_rotate(context, generator.uniform(0, 2 * .pi))
        switch shape {
        case 0: cairo_arc(context, 0, 0, extent / 2, 0, 2 * .pi)
        case 1: cairo_rectangle(context, -extent / 2.8, -extent / 2.8, extent / 1.4, extent / 1.4)
        default:
            for k in 0..<3 {
                let angle = Double(k) * 2 * .pi / 3 - .pi / 2
                let (x, y) = (extent / 2 * Foundation.cos(angle), extent / 2 * Foundation.sin(angle))
                if k == 0 { cairo_move_to(context, x, y) } else { cairo_line_to(context, x, y) }
            }
            cairo_close_path(context)
        }
        cairo_fill(context)
    } read: { pixels, stride, n in
        // RGB24 stores each pixel as a native-endian 0x00RRGGBB word.
        let base = n * 3 * plane
        for y in 0..<size {
            let row = UnsafeRawPointer(pixels + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<size {
                let pixel = row[x]
                values[base + y * size + x] = Float((pixel >> 16) & 0xFF) / 127.5 - 1
                values[base + plane + y * size + x] = Float((pixel >> 8) & 0xFF) / 127.5 - 1
                values[base + 2 * plane + y * size + x] = Float(pixel & 0xFF) / 127.5 - 1
            }
        }
    }
    return (Tensor(values, shape: [count, 3, size, size]), labels)
}
