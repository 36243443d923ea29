import Foundation
internal import CPNG

/// PNG files through libpng's simplified API (`png_image`, libpng 1.6),
/// which reports errors by return value instead of `longjmp`.
public enum PNG {
    /// Encodes 8-bit RGBA pixels, rows top to bottom.
    public static func encode(rgba: [UInt8], width: Int, height: Int) -> [UInt8] {
        guard width > 0, height > 0, rgba.count == width * height * 4 else {
            fail("PNG.encode: expected \(width)×\(height)×4 = \(width * height * 4) bytes of RGBA, got \(rgba.count).")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(ddpm_png_format_rgba)
        var size = 0
        // The first call measures, the second writes.
        _ = rgba.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        var bytes = [UInt8](repeating: 0, count: size)
        let ok = bytes.withUnsafeMutableBytes { out in
            rgba.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard ok != 0 else { fail("PNG.encode: libpng failed: \(message(of: image))") }
        return Array(bytes.prefix(size))
    }

    /// Decodes a PNG into 8-bit RGBA pixels; nil when the bytes are not a PNG.
    public static func decode(_ bytes: [UInt8]) -> (rgba: [UInt8], width: Int, height: Int)? {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { return nil }
        image.format = UInt32(ddpm_png_format_rgba)
        var rgba = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * 4)
        let finished = rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        png_image_free(&image)
        return finished != 0 ? (rgba, Int(image.width), Int(image.height)) : nil
    }

    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

func fail(_ message: String) -> Never { fatalError(message) }
