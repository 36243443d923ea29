#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Memory for large tensors: mapped from the system and, when freed, kept for
/// the next tensor of the same size.
///
/// A training step allocates the same sizes in the same order every step.
/// Through malloc, freed blocks stay in the heap wherever they fall (a process
/// training seed 001's UNet at 32×32 held 890 MB for 553 MB of live tensors);
/// mapping every block afresh returns memory at once but faults in every page
/// again (the step was 40% slower). Reusing blocks by size does neither.
///
/// Free blocks are unmapped, oldest first, only when a new block must be
/// mapped and the live and free blocks together would pass the budget: the
/// most ever live at once (so a training step's peak needs nothing more) or
/// `floor`, whichever is larger, plus `slack`. A sampling loop, whose live
/// tensors are few but turn over hundreds of megabytes a step, keeps `floor`.
enum BufferCache {
    /// Buffers of at least this many bytes come from here; smaller ones from malloc.
    static let largeBytes = 1 << 18
    static let floor = 256 << 20
    static let slack = 64 << 20
    /// Free blocks, oldest first.
    private static var free: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    private static var freeBytes = 0
    private static var liveBytes = 0
    private(set) static var peakLiveBytes = 0

    /// Page-rounded size of a block for `bytes`.
    static func blockSize(_ bytes: Int) -> Int { (bytes + 4095) & ~4095 }

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = blockSize(bytes)
        defer {
            liveBytes += size
            peakLiveBytes = Swift.max(peakLiveBytes, liveBytes)
        }
        if let index = free.lastIndex(where: { $0.bytes == size }) {
            freeBytes -= size
            return free.remove(at: index).pointer
        }
        let budget = Swift.max(peakLiveBytes, floor) + slack
        while !free.isEmpty && liveBytes + freeBytes + size > budget {
            let oldest = free.removeFirst()
            munmap(oldest.pointer, oldest.bytes)
            freeBytes -= oldest.bytes
        }
        guard let block = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            block != MAP_FAILED
        else {
            fail("out of memory: cannot map \(size / 1_048_576) MB for a tensor; use a smaller batch or model.")
        }
        return block
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = blockSize(bytes)
        liveBytes -= size
        free.append((size, pointer))
        freeBytes += size
    }
}
