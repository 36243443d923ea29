#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Memory for all but small tensors: mapped from the system and, when
/// freed, kept for the next tensor of the same size.
///
/// A training step allocates the same sizes in the same order every step.
/// Through malloc, freed blocks stay in the heap wherever they fall (a process
/// training seed 001's UNet at 32×32 held 890 MB for 553 MB of live tensors),
/// or, for blocks below malloc's mapping threshold, the top of the heap is
/// given back at the end of a step and faulted in again in the next (the
/// seeds' MLP step spent more time in page faults for its 64 KB activations
/// than adding them up); mapping every block afresh returns memory at once
/// but faults in every page again (the UNet's step was 40% slower). Reusing
/// blocks by size does neither, and the block freed last, still in the cache,
/// is the one handed out next.
///
/// Free blocks are unmapped, largest first, only when a new block must be
/// mapped and the live and free blocks together would pass the budget: the
/// most ever live at once (so a training step's peak needs nothing more) or
/// `floor`, whichever is larger, plus `slack`. A sampling loop, whose live
/// tensors are few but turn over hundreds of megabytes a step, keeps `floor`.
enum BufferCache {
    /// Buffers of at least this many bytes come from here; smaller ones from
    /// malloc (whose small bins are reused in place).
    static let largeBytes = 1 << 14
    static let floor = 256 << 20
    static let slack = 64 << 20
    /// Free blocks of one size, the most recently freed last. A class, so
    /// that taking or adding a block looks the list up and changes it in
    /// place: changing an array inside the dictionary went through its
    /// modify accessor, whose frame was allocated on the heap, two
    /// allocations for every large tensor (about 40 in a step of the seeds'
    /// MLP).
    private final class FreeList {
        var blocks: [UnsafeMutableRawPointer] = []
    }
    private static var free: [Int: FreeList] = [:]
    private static var freeBytes = 0
    private static var liveBytes = 0
    private(set) static var peakLiveBytes = 0
    /// Blocks mapped so far (for tests: a loop that reuses its memory maps none).
    private(set) static var mappedBlocks = 0

    /// Page-rounded size of a block for `bytes`.
    static func blockSize(_ bytes: Int) -> Int { (bytes + 4095) & ~4095 }

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = blockSize(bytes)
        defer {
            liveBytes += size
            peakLiveBytes = Swift.max(peakLiveBytes, liveBytes)
        }
        if let block = free[size]?.blocks.popLast() {
            freeBytes -= size
            return block
        }
        let budget = Swift.max(peakLiveBytes, floor) + slack
        while freeBytes > 0 && liveBytes + freeBytes + size > budget {
            let largest = free.filter { !$0.value.blocks.isEmpty }.keys.max()!
            munmap(free[largest]!.blocks.removeFirst(), largest)
            freeBytes -= largest
        }
        guard let block = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            block != MAP_FAILED
        else {
            fail("out of memory: cannot map \(size / 1_048_576) MB for a tensor; use a smaller batch or model.")
        }
        mappedBlocks += 1
        return block
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = blockSize(bytes)
        liveBytes -= size
        if let list = free[size] {
            list.blocks.append(pointer)
        } else {
            let list = FreeList()
            list.blocks.append(pointer)
            free[size] = list
        }
        freeBytes += size
    }
}
