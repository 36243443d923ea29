/// GIF's variable-width LZW (GIF89a, appendix F) for indices of `codeSize`
/// bits: codes of codeSize + 1 up to 12 bits, least significant bit first;
/// clear code 2^codeSize, end code 2^codeSize + 1; the table restarted when it
/// reaches 4,096 codes.
///
/// The output is the textbook encoder's, code for code; two things make it
/// fast on plots, which are mostly long runs of one colour:
/// - The strings that are runs of one index s (s, ss, sss, …, s^K; LZW adds
///   them in that order) are kept per index, so a run is consumed a code at a
///   time: a prefix s^k followed by r more s is s^(k+r) when k + r ≤ K, else
///   s^K is emitted, s^(K+1) added, and k + r − K remain.
/// - Other strings are found in a hash of (prefix code, next index) → code,
///   small enough to stay in the cache.
///
/// The state lives in manually allocated buffers of a struct, so that the
/// hot loop has neither bounds checks nor dynamic exclusivity checks.
struct LZWEncoder {
    private static let maximumCodes = 4096
    private static let tableSize = 8192  // hash of at most 4,096 entries: at most half full
    private let codeSize: Int, clear: Int, end: Int
    private var next: Int, width: Int
    private var buffer: UInt64 = 0, bits = 0
    private var written = 0
    private let out: UnsafeMutablePointer<UInt8>
    private let keys: UnsafeMutablePointer<Int32>
    private let codes: UnsafeMutablePointer<UInt16>
    /// runLength[c] = k when code c is s^k (runSymbol[c] = s), else 0.
    private let runLength: UnsafeMutablePointer<UInt16>
    private let runSymbol: UnsafeMutablePointer<UInt8>
    /// runCodes[s << 12 | k] = the code of s^k, for 2 ≤ k ≤ longestRun[s].
    private let runCodes: UnsafeMutablePointer<UInt16>
    private let longestRun: UnsafeMutablePointer<Int>

    /// An encoder for at most `capacity` indices.
    init(codeSize: Int, capacity: Int) {
        self.codeSize = codeSize
        clear = 1 << codeSize
        end = clear + 1
        next = end + 1
        width = codeSize + 1
        // At most one code of ≤ 12 bits per index, plus clears: 2 bytes per index bounds it.
        out = .allocate(capacity: 2 * capacity + 16)
        keys = .allocate(capacity: LZWEncoder.tableSize)
        keys.initialize(repeating: -1, count: LZWEncoder.tableSize)
        codes = .allocate(capacity: LZWEncoder.tableSize)
        runLength = .allocate(capacity: LZWEncoder.maximumCodes)
        runLength.initialize(repeating: 0, count: LZWEncoder.maximumCodes)
        runSymbol = .allocate(capacity: LZWEncoder.maximumCodes)
        for s in 0..<clear {
            runLength[s] = 1
            runSymbol[s] = UInt8(s)
        }
        runCodes = .allocate(capacity: clear << 12)
        longestRun = .allocate(capacity: clear)
        longestRun.initialize(repeating: 1, count: clear)
    }

    func deallocate() {
        for buffer in [out, runSymbol] as [UnsafeMutablePointer<UInt8>] { buffer.deallocate() }
        for buffer in [codes, runLength, runCodes] as [UnsafeMutablePointer<UInt16>] { buffer.deallocate() }
        keys.deallocate()
        longestRun.deallocate()
    }

    @inline(__always)
    private mutating func emit(_ code: Int) {
        buffer |= UInt64(code) << UInt64(bits)
        bits += width
        while bits >= 8 {
            out[written] = UInt8(truncatingIfNeeded: buffer)
            written += 1
            buffer >>= 8
            bits -= 8
        }
    }

    /// After a prefix was emitted: the next code for prefix + index, or nil
    /// when the table was full and has been cleared instead.
    @inline(__always)
    private mutating func add() -> Int? {
        guard next < LZWEncoder.maximumCodes else {
            emit(clear)
            keys.update(repeating: -1, count: LZWEncoder.tableSize)
            longestRun.update(repeating: 1, count: clear)
            next = end + 1
            width = codeSize + 1
            return nil
        }
        let code = next
        if next == 1 << width && width < 12 { width += 1 }
        next += 1
        return code
    }

    @inline(__always)
    private func runCode(_ s: Int, _ k: Int) -> Int { k == 1 ? s : Int(runCodes[s << 12 | k]) }

    /// The compressed bytes of `indices` (each below 2^codeSize).
    mutating func encode(_ indices: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        emit(clear)
        if !indices.isEmpty {
            var prefix = Int(indices[0])
            var i = 1
            while i < indices.count {
                let byte = indices[i]
                let s = Int(byte)
                if runLength[prefix] > 0 && runSymbol[prefix] == byte {  // a run of s goes on
                    var j = i + 1
                    while j < indices.count && indices[j] == byte { j += 1 }
                    var total = Int(runLength[prefix]) + (j - i)
                    while total > longestRun[s] {
                        let k = longestRun[s]
                        emit(runCode(s, k))
                        if let code = add() {
                            runLength[code] = UInt16(k + 1)
                            runSymbol[code] = byte
                            runCodes[s << 12 | (k + 1)] = UInt16(code)
                            longestRun[s] = k + 1
                        }
                        total -= k
                    }
                    prefix = runCode(s, total)
                    i = j
                    continue
                }
                let key = Int32(prefix << 8 | s)
                var slot = Int((UInt32(bitPattern: key) &* 2_654_435_761) >> 19)
                while keys[slot] != -1 && keys[slot] != key { slot = (slot + 1) & (LZWEncoder.tableSize - 1) }
                if keys[slot] == key {
                    prefix = Int(codes[slot])
                } else {
                    emit(prefix)
                    if let code = add() {
                        keys[slot] = key
                        codes[slot] = UInt16(code)
                        runLength[code] = 0
                    }
                    prefix = s
                }
                i += 1
            }
            emit(prefix)
        }
        emit(end)
        if bits > 0 {
            out[written] = UInt8(truncatingIfNeeded: buffer)
            written += 1
        }
        return Array(UnsafeBufferPointer(start: out, count: written))
    }
}
