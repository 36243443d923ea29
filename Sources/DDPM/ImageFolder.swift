import CImageFiles
import Foundation
import NotebookDisplay
import Plotting
import TensorCore

/// Every PNG and JPEG image in a folder as one batch `[N, C, size, size]`
/// with values in [−1, 1] (the seeds scale pixels to [0, 1], and DDPM's
/// images live in [−1, 1]: x/127.5 − 1), for training on your own images.
///
/// - Files are read in seed 003's order: names that are numbers
///   (`2.png`, `10.png`) in numeric order, then the others by name.
/// - Each image is resized to `size`×`size` with an area filter (every output
///   pixel the mean of the input area it covers, as OpenCV's `INTER_AREA`);
///   an image that is not square is stretched, as `cv2.resize(img, (s, s))`.
/// - `channels: 1` makes every image grayscale (ITU-R BT.601 luma, as PIL's
///   `convert("L")`), `channels: 3` RGB (gray repeated); transparent pixels
///   are composed over white, as an image viewer shows them.
///
/// A file that cannot be read stops with its name and the decoder's reason;
/// other files (such as `labels.csv`) are skipped. An interrupt stops the
/// reading (it throws).
public func imageFolder(_ path: String, size: Int, channels: Int = 3) throws -> Tensor {
    guard size >= 1, channels == 1 || channels == 3 else {
        fail(
            "imageFolder: size must be at least 1 and channels 1 (gray) or 3 (RGB); got size \(size), channels \(channels)."
        )
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw DataFileError(
            "imageFolder: \(path) is not a folder; check the path (relative paths start at the notebook's folder).")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { ImageFile.kind(of: $0) != nil }
    guard !names.isEmpty else {
        throw DataFileError("imageFolder: \(path) holds no PNG or JPEG files (.png, .jpg, .jpeg).")
    }
    let ordered = seedOrder(names)
    let plane = size * size
    var values = [Float](repeating: 0, count: ordered.count * channels * plane)
    for (index, name) in ordered.enumerated() {
        if Interrupt.isRequested {
            throw DataFileError("imageFolder: interrupted after \(index) of \(ordered.count) files of \(path).")
        }
        let file = (path as NSString).appendingPathComponent(name)
        let image = try ImageFile(path: file)
        let resized = image.rgb().resized(to: size)
        for p in 0..<plane {
            let (r, g, b) = (resized.pixels[3 * p], resized.pixels[3 * p + 1], resized.pixels[3 * p + 2])
            let base = index * channels * plane + p
            if channels == 1 {
                values[base] = (0.299 * r + 0.587 * g + 0.114 * b) / 127.5 - 1
            } else {
                values[base] = r / 127.5 - 1
                values[base + plane] = g / 127.5 - 1
                values[base + 2 * plane] = b / 127.5 - 1
            }
        }
    }
    return Tensor(values, shape: [ordered.count, channels, size, size])
}

/// Seed 003's order: `path_list.sort(key=lambda x: int(x.split('.')[0]))`,
/// with the names that are not numbers after the numbered ones, by name.
func seedOrder(_ names: [String]) -> [String] {
    func number(_ name: String) -> Int? { Int(name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? "") }
    return names.sorted { a, b in
        switch (number(a), number(b)) {
        case let (x?, y?): return x != y ? x < y : a < b
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a < b
        }
    }
}

/// One decoded image file: 8-bit samples, `channels` per pixel (1, 3 or 4).
struct ImageFile {
    enum Kind { case png, jpeg }

    let width: Int
    let height: Int
    let channels: Int
    let samples: [UInt8]

    static func kind(of name: String) -> Kind? {
        switch (name as NSString).pathExtension.lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        default: return nil
        }
    }

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError("imageFolder: cannot read \(path) (permissions?).")
        }
        let bytes = [UInt8](data)
        switch ImageFile.kind(of: path) {
        case .png:
            do {
                let decoded = try PNG.read(bytes)
                (width, height, channels, samples) = (decoded.width, decoded.height, 4, decoded.rgba)
            } catch let error as PNGError {
                throw DataFileError("imageFolder: \(path) is not a readable PNG: \(error.reason).")
            }
        case .jpeg:
            var (w, h, c): (Int32, Int32, Int32) = (0, 0, 0)
            var message = [CChar](repeating: 0, count: 256)
            guard
                let pixels = bytes.withUnsafeBufferPointer({
                    ddpm_jpeg_decode($0.baseAddress, $0.count, &w, &h, &c, &message, message.count)
                })
            else {
                let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw DataFileError("imageFolder: \(path) is not a readable JPEG: \(reason).")
            }
            defer { free(pixels) }
            (width, height, channels) = (Int(w), Int(h), Int(c))
            samples = Array(UnsafeBufferPointer(start: pixels, count: Int(w) * Int(h) * Int(c)))
        case nil:
            fail("imageFolder: \(path) is neither PNG nor JPEG.")
        }
    }

    /// RGB as Float 0…255, alpha composed over white.
    func rgb() -> RGBImage {
        var out = [Float](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            switch channels {
            case 1:
                let v = Float(samples[p])
                (out[3 * p], out[3 * p + 1], out[3 * p + 2]) = (v, v, v)
            case 3:
                for k in 0..<3 { out[3 * p + k] = Float(samples[3 * p + k]) }
            default:
                let alpha = Float(samples[4 * p + 3]) / 255
                for k in 0..<3 { out[3 * p + k] = Float(samples[4 * p + k]) * alpha + 255 * (1 - alpha) }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}

/// RGB pixels as Float 0…255, rows top to bottom.
struct RGBImage {
    let width: Int
    let height: Int
    let pixels: [Float]

    /// Area resampling to `size`×`size`: each output pixel is the mean of the
    /// input over the rectangle it covers, each input pixel weighted by its
    /// overlap (OpenCV's `INTER_AREA`; enlarging repeats pixels).
    func resized(to size: Int) -> RGBImage {
        if width == size && height == size { return self }
        let columns = RGBImage.footprints(from: width, to: size)
        let rows = RGBImage.footprints(from: height, to: size)
        var out = [Float](repeating: 0, count: size * size * 3)
        for (y, rowWeights) in rows.enumerated() {
            for (x, columnWeights) in columns.enumerated() {
                var sum: (Float, Float, Float) = (0, 0, 0)
                var total: Float = 0
                for (sy, wy) in rowWeights {
                    for (sx, wx) in columnWeights {
                        let w = wy * wx
                        let i = 3 * (sy * width + sx)
                        sum.0 += w * pixels[i]
                        sum.1 += w * pixels[i + 1]
                        sum.2 += w * pixels[i + 2]
                        total += w
                    }
                }
                let o = 3 * (y * size + x)
                (out[o], out[o + 1], out[o + 2]) = (sum.0 / total, sum.1 / total, sum.2 / total)
            }
        }
        return RGBImage(width: size, height: size, pixels: out)
    }

    /// For each output index along an axis, the input indices it covers and
    /// the length of each overlap.
    static func footprints(from input: Int, to output: Int) -> [[(Int, Float)]] {
        let scale = Double(input) / Double(output)
        return (0..<output).map { o in
            let start = Double(o) * scale, end = Double(o + 1) * scale
            var weights: [(Int, Float)] = []
            var i = Int(start.rounded(.down))
            while Double(i) < end && i < input {
                let overlap = min(end, Double(i + 1)) - max(start, Double(i))
                if overlap > 1e-9 { weights.append((i, Float(overlap))) }
                i += 1
            }
            return weights
        }
    }
}
