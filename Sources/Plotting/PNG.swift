import Foundation
import TensorCore
internal import CPNG

/// PNG files through libpng: writing with its full API (filters and
/// compression level chosen), reading with its simplified one (`png_image`).
public enum PNG {
    /// Encodes 8-bit RGBA pixels, rows top to bottom. An opaque image is
    /// written as RGB. `level` is zlib's compression level (0–9); with
    /// `rowFilters` every RGB or RGBA row gets the filter that libpng's
    /// heuristic picks (for photographs), without it none (for plots);
    /// indexed rows get none.
    ///
    /// With `indexed`, an opaque image of at most 256 colours (a plot: a few
    /// colours and their antialiased blends) is written with a palette, a
    /// third of the bytes to compress; one of more colours (RGB images)
    /// stays RGB, exact.
    public static func encode(
        rgba: [UInt8], width: Int, height: Int, level: Int32 = 6, indexed: Bool = false, rowFilters: Bool = true
    ) -> [UInt8] {
        guard width > 0, height > 0, rgba.count == width * height * 4 else {
            fail("PNG.encode: expected \(width)×\(height)×4 = \(width * height * 4) bytes of RGBA, got \(rgba.count).")
        }
        let opaque = stride(from: 3, to: rgba.count, by: 4).allSatisfy { rgba[$0] == 255 }
        let runs = indexed && opaque ? PixelRuns(rgba: rgba) : nil
        var palette = runs.map { Palette(frames: [$0]) }
        if palette?.isExact == false { palette = nil }
        let channels = palette != nil ? 1 : opaque ? 3 : 4
        var pixels: [UInt8]
        if palette != nil {
            pixels = palette!.indices(of: runs!)
        } else if opaque {  // drop the alpha bytes
            pixels = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                pixels[3 * i] = rgba[4 * i]
                pixels[3 * i + 1] = rgba[4 * i + 1]
                pixels[3 * i + 2] = rgba[4 * i + 2]
            }
        } else {
            pixels = rgba
        }
        // libpng reports errors through a function that must not return: it stops the program.
        let onError: png_error_ptr = { _, message in
            fatalError("PNG.encode: libpng failed: \(message.map { String(cString: $0) } ?? "unknown error")")
        }
        var writer = png_create_write_struct(PNG_LIBPNG_VER_STRING, nil, onError, nil)
        guard writer != nil else { fail("PNG.encode: libpng could not start (out of memory?).") }
        var info = png_create_info_struct(writer)
        defer { png_destroy_write_struct(&writer, &info) }
        let output = OutputBuffer()
        png_set_write_fn(
            writer, Unmanaged.passUnretained(output).toOpaque(),
            { writer, data, length in
                let output = Unmanaged<OutputBuffer>.fromOpaque(png_get_io_ptr(writer)!).takeUnretainedValue()
                output.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            }, nil)
        png_set_IHDR(
            writer, info, UInt32(width), UInt32(height), 8,
            palette != nil ? ddpm_png_color_type_palette : opaque ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA,
            PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT)
        if let palette {
            let colors = palette.colors.map {
                png_color(red: UInt8($0 >> 16 & 0xFF), green: UInt8($0 >> 8 & 0xFF), blue: UInt8($0 & 0xFF))
            }
            png_set_PLTE(writer, info, colors, Int32(colors.count))
        }
        png_set_compression_level(writer, level)
        // Row filters do not help indexed pixels (the PNG specification
        // recommends none for them), nor plots: libpng's trial of every
        // filter on every row of seed 000's figure (RGB: its antialiased
        // markers have more than 256 colours) took longer than compressing
        // and made the file larger (282 KB against 201 KB without, level 6).
        if palette != nil || !rowFilters { png_set_filter(writer, 0, PNG_FILTER_NONE) }
        png_write_info(writer, info)
        pixels.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<height { png_write_row(writer, buffer.baseAddress! + row * width * channels) }
        }
        png_write_end(writer, info)
        return output.bytes
    }

    private final class OutputBuffer {
        var bytes: [UInt8] = []
    }

    /// Decodes a PNG into 8-bit RGBA pixels; nil when the bytes are not a PNG.
    public static func decode(_ bytes: [UInt8]) -> (rgba: [UInt8], width: Int, height: Int)? {
        try? read(bytes)
    }

    /// Decodes a PNG of any colour type and depth (gray, palette, RGB, with or
    /// without alpha, 16-bit) into 8-bit RGBA pixels, or throws libpng's reason.
    public static func read(_ bytes: [UInt8]) throws -> (rgba: [UInt8], width: Int, height: Int) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        func reason() -> String {  // image.message is a C char[64], a tuple in Swift
            var text = [CChar](repeating: 0, count: MemoryLayout.size(ofValue: image.message) + 1)
            withUnsafeBytes(of: &image.message) { raw in
                text.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
            }
            return String(cString: text)
        }
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else {
            let message = reason()
            png_image_free(&image)
            throw PNGError(reason: message)
        }
        image.format = UInt32(ddpm_png_format_rgba)
        var rgba = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * 4)
        let finished = rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        let message = reason()
        png_image_free(&image)
        guard finished != 0 else { throw PNGError(reason: message) }
        return (rgba, Int(image.width), Int(image.height))
    }

    /// Encodes 8-bit grayscale pixels, rows top to bottom (a one-channel
    /// PNG, as image data sets store digits).
    public static func encode(gray: [UInt8], width: Int, height: Int) -> [UInt8] {
        guard width > 0, height > 0, gray.count == width * height else {
            fail("PNG.encode: expected \(width)×\(height) = \(width * height) gray bytes, got \(gray.count).")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = ddpm_png_format_gray
        var size = 0
        _ = gray.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBytes { memory in
            gray.withUnsafeBytes {
                png_image_write_to_memory(&image, memory.baseAddress, &size, 0, $0.baseAddress, 0, nil)
            }
        }
        guard written != 0 else { fail("PNG.encode: libpng could not write the gray image (\(size) bytes).") }
        return Array(out.prefix(size))
    }
}

/// Why libpng could not read a file ("Not a PNG file", "IDAT: CRC error"…).
public struct PNGError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
