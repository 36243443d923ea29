@testable import Plotting
import XCTest

/// GIF output. The encoder was also checked once against Pillow 11 (which
/// decoded a 10-frame animation of swiss-roll figures back to identical
/// pixels); here a plain LZW decoder written from the GIF89a specification
/// (appendix F) checks the round trip, table resets included.
final class GIFTests: XCTestCase {
    /// The reverse of `GIF.lzw`: codes of codeSize + 1 to 12 bits, LSB
    /// first; 2^codeSize clears, 2^codeSize + 1 ends.
    func decode(_ bytes: [UInt8], codeSize: Int = 8) -> [UInt8] {
        let clear = 1 << codeSize
        var table: [[UInt8]] = []
        func reset() { table = (0..<clear).map { [UInt8($0)] } + [[], []] }
        reset()
        var width = codeSize + 1, buffer = 0, bits = 0, position = 0
        var previous: [UInt8]? = nil
        var out: [UInt8] = []
        while true {
            while bits < width && position < bytes.count {
                buffer |= Int(bytes[position]) << bits
                bits += 8
                position += 1
            }
            if bits < width { break }
            let code = buffer & ((1 << width) - 1)
            buffer >>= width
            bits -= width
            if code == clear {
                reset()
                width = codeSize + 1
                previous = nil
                continue
            }
            if code == clear + 1 { break }
            let entry: [UInt8]
            if code < table.count { entry = table[code] } else { entry = previous! + [previous![0]] }
            out += entry
            if let previous, table.count < 4096 { table.append(previous + [entry[0]]) }
            if table.count == 1 << width && width < 12 { width += 1 }
            previous = entry
        }
        return out
    }

    func testLZWRoundTripsIncludingTableResets() {
        var generator = SystemRandomNumberGenerator()
        let noisy = (0..<60_000).map { _ in UInt8.random(in: 0..<40, using: &generator) }  // many codes: resets
        XCTAssertEqual(decode(GIF.lzw(noisy)), noisy)
        let runs = (0..<50_000).map { UInt8(($0 / 700) % 3) }
        XCTAssertEqual(decode(GIF.lzw(runs)), runs)
        XCTAssertEqual(decode(GIF.lzw([7])), [7])
        XCTAssertEqual(decode(GIF.lzw([])), [])
    }

    /// Runs take the encoder's shortcut (one code per run string); mixed with
    /// other strings, across table resets, and with fewer bits per index.
    func testLZWRoundTripsRunsOfEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for codeSize in [2, 3, 8] {
            let symbols = 1 << codeSize
            var indices: [UInt8] = []
            while indices.count < 200_000 {
                let s = UInt8(Int.random(in: 0..<symbols, using: &generator))
                let length = Bool.random(using: &generator) ? 1 : Int.random(in: 1...3_000, using: &generator)
                indices += [UInt8](repeating: s, count: length)
            }
            XCTAssertEqual(
                decode(GIF.lzw(indices, codeSize: codeSize), codeSize: codeSize), indices, "\(codeSize) bits")
            let oneRun = [UInt8](repeating: UInt8(symbols - 1), count: 1_000_000)  // longer than 4,096 codes of runs
            XCTAssertEqual(decode(GIF.lzw(oneRun, codeSize: codeSize), codeSize: codeSize), oneRun)
        }
    }

    func testAnAnimationsFileStructure() {
        let red: [UInt8] = [255, 0, 0, 255], white: [UInt8] = [255, 255, 255, 255]
        let frameA = Array((0..<6).map { $0 % 2 == 0 ? red : white }.joined())
        let frameB = Array((0..<6).map { _ in white }.joined())
        let gif = GIF.encode(frames: [frameA, frameB], width: 3, height: 2, delay: 0.25)
        XCTAssertEqual(Array(gif.prefix(6)), Array("GIF89a".utf8))
        XCTAssertEqual(Array(gif[6..<10]), [3, 0, 2, 0])  // width, height
        XCTAssertEqual(gif.last, 0x3B)
        XCTAssertNotNil(gif.firstRange(of: Array("NETSCAPE2.0".utf8)))
        XCTAssertNotNil(gif.firstRange(of: [0x21, 0xF9, 0x04, 0x00, 25, 0]))  // 25 hundredths
        // Two colours: a colour table of 2^2 entries (GIF's smallest LZW code
        // size) with the commonest colour (white, 9 of 12 pixels) first.
        XCTAssertEqual(gif[10] & 0x87, 0x81)
        XCTAssertEqual(Array(gif[13..<19]), [255, 255, 255, 255, 0, 0])
        XCTAssertEqual(gif[13 + 4 * 3], 0x21)  // the colour table ends after 4 entries: the loop extension
        let imageDescriptor = gif.firstRange(of: [0x2C, 0, 0, 0, 0, 3, 0, 2, 0, 0])!
        XCTAssertEqual(gif[imageDescriptor.upperBound], 2)  // LZW minimum code size
    }
}
