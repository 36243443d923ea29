import Foundation
import TensorCore

/// A problem reading or writing a safetensors file, in one sentence.
public struct SafetensorsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The safetensors format (huggingface/safetensors), which PyTorch users open
/// with `safetensors.torch.load_file`:
///
///     [8 bytes: N, little-endian u64][N bytes: JSON header][tensor bytes]
///
/// The header maps each name to `{"dtype", "shape", "data_offsets": [begin,
/// end]}` with offsets relative to the start of the tensor bytes, plus an
/// optional `"__metadata__"` object of strings. Tensors are written as F32,
/// or as I64 where `dtypes` says so (a counter such as BatchNorm's
/// `num_batches_tracked`, which PyTorch keeps as int64); F32, F64, F16, BF16,
/// I64 and I32 are read and converted to Float.
public enum Safetensors {
    /// How a tensor is stored in a file.
    public enum DType: String, Sendable {
        case f32 = "F32"
        case i64 = "I64"
    }

    /// Encodes named tensors, sorted by name, into the bytes of a file; names
    /// missing from `dtypes` are F32.
    public static func encode(
        _ tensors: [String: Tensor], dtypes: [String: DType] = [:], metadata: [String: String] = [:]
    ) throws -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            let dtype = dtypes[name] ?? .f32
            let size = tensor.count * (dtype == .i64 ? 8 : 4)
            header[name] = ["dtype": dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        // Pad the header with spaces so that the tensor bytes start 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        for name in names {
            let tensor = tensors[name]!
            for value in UnsafeBufferPointer(start: tensor.storage.pointer, count: tensor.count) {
                if dtypes[name] == .i64 {
                    withUnsafeBytes(of: Int64(value.rounded()).littleEndian) { bytes.append(contentsOf: $0) }
                } else {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                }
            }
        }
        return bytes
    }

    /// Decodes the bytes of a file into named tensors and the metadata.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw SafetensorsError(
                "safetensors: the file has \(bytes.count) bytes, fewer than the 8-byte header length; "
                    + "it is not a safetensors file or it was cut short.")
        }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError(
                "safetensors: the header claims \(headerLength) bytes but the file has only "
                    + "\(bytes.count - 8) after the length; the file is truncated or not safetensors.")
        }
        let dataStart = 8 + Int(headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw SafetensorsError("safetensors: the header is not valid JSON (\(error.localizedDescription)).")
        }
        guard let header = object as? [String: Any] else {
            throw SafetensorsError("safetensors: the header is not a JSON object.")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        let dataLength = bytes.count - dataStart
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = (entry["shape"] as? [NSNumber])?.map({ $0.intValue }),
                let offsets = (entry["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), offsets.count == 2
            else {
                throw SafetensorsError("safetensors: the entry for \"\(name)\" lacks dtype, shape or data_offsets.")
            }
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "F64", "I64": width = 8
            case "F16", "BF16": width = 2
            default:
                throw SafetensorsError(
                    "safetensors: tensor \"\(name)\" has dtype \(dtype); only F32, F64, F16, "
                        + "BF16, I64 and I32 can be loaded as Float tensors.")
            }
            let count = shape.reduce(1, *)
            guard offsets[0] >= 0, offsets[1] == offsets[0] + count * width, offsets[1] <= dataLength else {
                throw SafetensorsError(
                    "safetensors: tensor \"\(name)\" of shape \(shape) and dtype \(dtype) has data "
                        + "offsets \(offsets), which do not match its size or lie outside the file.")
            }
            let base = dataStart + offsets[0]
            let scalars: [Float] = bytes.withUnsafeBytes { raw in
                func word<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
                    T(littleEndian: raw.loadUnaligned(fromByteOffset: base + i * width, as: T.self))
                }
                return (0..<count).map { i in
                    switch dtype {
                    case "F64": return Float(Double(bitPattern: word(i, UInt64.self)))
                    case "I64": return Float(Int64(bitPattern: word(i, UInt64.self)))
                    case "I32": return Float(Int32(bitPattern: word(i, UInt32.self)))
                    case "F16": return Float(halfBits: word(i, UInt16.self))
                    case "BF16": return Float(bitPattern: UInt32(word(i, UInt16.self)) << 16)
                    default: return Float(bitPattern: word(i, UInt32.self))
                    }
                }
            }
            tensors[name] = Tensor(scalars, shape: shape)
        }
        return (tensors, metadata)
    }

    /// Writes named tensors to a file.
    public static func write(
        _ tensors: [String: Tensor], dtypes: [String: DType] = [:], to path: String, metadata: [String: String] = [:]
    ) throws {
        let bytes = try encode(tensors, dtypes: dtypes, metadata: metadata)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafetensorsError("safetensors: cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads named tensors from a file.
    public static func read(from path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafetensorsError("safetensors: cannot read \(path): no such file, or it is not readable.")
        }
        return try decode(Array(data))
    }
}

extension Float {
    /// IEEE 754 half precision to single precision.
    init(halfBits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2⁻²⁴.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign != 0 ? -magnitude : magnitude
        } else if exponent == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
