internal import CCairo
import TensorCore

/// One small cairo surface reused for every image of a rendered data set:
/// `draw` paints image n with the context, then `read` gets the surface's
/// pixels (rows `stride` bytes apart) to copy into the tensor.
func renderWithCairo(
    _ what: String, format: cairo_format_t, size: Int, count: Int,
    draw: (_ context: OpaquePointer, _ n: Int) -> Void,
    read: (_ pixels: UnsafeMutablePointer<UInt8>, _ stride: Int, _ n: Int) -> Void
) {
    guard let surface = cairo_image_surface_create(format, Int32(size), Int32(size)),
        let context = cairo_create(surface)
    else {
        fail("\(what): cairo could not make a \(size)×\(size) surface.")
    }
    defer {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }
    let stride = Int(cairo_image_surface_get_stride(surface))
    for n in 0..<count {
        cairo_save(context)
        draw(context, n)
        cairo_restore(context)
        cairo_surface_flush(surface)
        guard let pixels = cairo_image_surface_get_data(surface) else { continue }
        read(pixels, stride, n)
    }
}

extension Generator {
    /// A uniform Double in [low, high) from 53 random bits.
    func uniform(_ low: Double, _ high: Double) -> Double {
        low + Double(next() >> 11) * 0x1p-53 * (high - low)
    }
}
