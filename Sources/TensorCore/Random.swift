internal import CTensorKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A seeded source of random numbers (`torch.Generator`): xoshiro256**
/// (Blackman & Vigna 2018), seeded through SplitMix64, with Gaussian samples
/// by the Box–Muller transform.
///
/// A reference type, so one generator can be handed to several calls and
/// advances across them.
public final class Generator: RandomNumberGenerator {
    private(set) var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The generator used when none is passed; reseed it with `manualSeed`.
    public static let `default` = Generator(seed: 0)

    public init(seed: UInt64) {
        reseed(seed)
    }

    /// Restarts the sequence from `seed`.
    public func reseed(_ seed: UInt64) {
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Sets the raw state, for checking against the reference implementation.
    func setState(_ newState: (UInt64, UInt64, UInt64, UInt64)) {
        state = newState
    }

    @inline(__always)
    public func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform sample in [0, 1) with 24 random bits.
    @inline(__always)
    func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Fills `count` floats with uniform samples in [low, high).
    func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, low: Float = 0, high: Float = 1) {
        let width = high - low
        for i in 0..<count { out[i] = low + uniform() * width }
    }

    /// Fills `count` floats with standard normal samples (Box–Muller: for
    /// u₁ ∈ (0, 1], u₂ ∈ [0, 1), √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂) are two
    /// independent N(0, 1) samples), one 64-bit word per pair: the words are
    /// drawn here, the transform runs in a vectorised C loop
    /// (`ddpm_box_muller`).
    func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int) {
        let chunk = 1024  // words at a time
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: chunk) { words in
            var done = 0
            while done < count {
                let samples = Swift.min(2 * chunk, count - done)
                for i in 0..<(samples + 1) / 2 { words[i] = next() }
                ddpm_box_muller(words.baseAddress!, samples, out + done)
                done += samples
            }
        }
    }

    /// An integer uniformly in `low ..< high` (Lemire's multiply-shift).
    @inline(__always)
    func integer(_ low: Int, _ high: Int) -> Int {
        let range = UInt64(high - low)
        return low + Int(next().multipliedFullWidth(by: range).high)
    }
}

/// Reseeds the default generator (`torch.manual_seed`).
public func manualSeed(_ seed: UInt64) {
    Generator.default.reseed(seed)
}

/// Standard normal samples of the given shape (`torch.randn`).
public func randn(_ shape: Int..., generator: Generator = .default) -> Tensor {
    randn(shape: shape, generator: generator)
}

/// Standard normal samples of the given shape (`torch.randn`).
public func randn(shape: [Int], generator: Generator = .default) -> Tensor {
    Tensor.make(shape) { generator.fillNormal($0, count: shape.reduce(1, *)) }
}

/// Standard normal samples shaped like `other` (`torch.randn_like`).
public func randn(like other: Tensor, generator: Generator = .default) -> Tensor {
    randn(shape: other.shape, generator: generator)
}

/// Uniform samples in [0, 1) of the given shape (`torch.rand`).
public func rand(_ shape: Int..., generator: Generator = .default) -> Tensor {
    rand(shape: shape, generator: generator)
}

/// Uniform samples in [low, high) of the given shape (`torch.rand`).
public func rand(shape: [Int], low: Float = 0, high: Float = 1, generator: Generator = .default) -> Tensor {
    Tensor.make(shape) { generator.fillUniform($0, count: shape.reduce(1, *), low: low, high: high) }
}

/// `count` integers uniformly in `low ..< high` (`torch.randint`).
public func randint(_ low: Int, _ high: Int, count: Int, generator: Generator = .default) -> [Int] {
    if high <= low {
        fail("randint: the range \(low)..<\(high) is empty; high must be greater than low.")
    }
    return (0..<count).map { _ in generator.integer(low, high) }
}

/// A random permutation of `0 ..< n` (`torch.randperm`), by Fisher–Yates.
public func randperm(_ n: Int, generator: Generator = .default) -> [Int] {
    var result = Array(0..<n)
    if n < 2 { return result }
    for i in stride(from: n - 1, to: 0, by: -1) {
        result.swapAt(i, generator.integer(0, i + 1))
    }
    return result
}

/// Zeros of the given shape (`torch.zeros`).
public func zeros(_ shape: Int...) -> Tensor { Tensor(repeating: 0, shape: shape) }
/// Zeros of the given shape.
public func zeros(shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
/// Zeros shaped like `other` (`torch.zeros_like`).
public func zeros(like other: Tensor) -> Tensor { Tensor(repeating: 0, shape: other.shape) }
/// Ones of the given shape (`torch.ones`).
public func ones(_ shape: Int...) -> Tensor { Tensor(repeating: 1, shape: shape) }
/// Ones of the given shape.
public func ones(shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }
/// Ones shaped like `other` (`torch.ones_like`).
public func ones(like other: Tensor) -> Tensor { Tensor(repeating: 1, shape: other.shape) }

/// `count` evenly spaced values from `start` to `end` inclusive
/// (`torch.linspace`), computed in Double and stored as Float.
public func linspace(_ start: Double, _ end: Double, count: Int) -> Tensor {
    if count < 1 {
        fail("linspace: count must be at least 1, got \(count).")
    }
    let step = count > 1 ? (end - start) / Double(count - 1) : 0
    return Tensor((0..<count).map { start + Double($0) * step })
}

/// `start, start + step, …` below `end` (`torch.arange`).
public func arange(_ start: Double = 0, _ end: Double, step: Double = 1) -> Tensor {
    if step == 0 || (end - start) / step < 0 {
        fail("arange: step \(step) never reaches \(end) from \(start); choose a step with the sign of end − start.")
    }
    let count = Int(((end - start) / step).rounded(.up))
    return Tensor((0..<count).map { start + Double($0) * step })
}
