import Foundation
import XCTest

@testable import TensorCore

final class RandomTests: XCTestCase {
    func testSeedsReproduce() {
        manualSeed(42)
        let a = randn(5).scalars
        let i = randint(0, 100, count: 5)
        manualSeed(42)
        XCTAssertEqual(randn(5).scalars, a)
        XCTAssertEqual(randint(0, 100, count: 5), i)
        manualSeed(43)
        XCTAssertNotEqual(randn(5).scalars, a)
    }

    func testXoshiroReferenceOutput() {
        // xoshiro256** from state (1, 2, 3, 4): the reference C code of
        // prng.di.unimi.it/xoshiro256starstar.c gives 11520, 0, 1509978240,
        // 1215971899390074240 as its first four outputs.
        let g = Generator(seed: 0)
        g.setState((1, 2, 3, 4))
        XCTAssertEqual((0..<4).map { _ in g.next() }, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    /// Each pair of samples is the Box–Muller transform of one 64-bit word,
    /// √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂), computed here in Double from the
    /// same words: the vectorised polynomials stay within 10⁻⁶ of it, across
    /// several chunks of words and an odd count.
    func testNormalsAreTheBoxMullerTransformOfTheWords() {
        let count = 5_001
        let samples = randn(count, generator: Generator(seed: 11)).scalars
        let words = Generator(seed: 11)
        for pair in 0..<(count + 1) / 2 {
            let bits = words.next()
            let u1 = (Double(bits >> 40) + 1) * 0x1p-24
            let u2 = Double((bits >> 16) & 0xFF_FFFF) * 0x1p-24
            let r = (-2 * Foundation.log(u1)).squareRoot()
            XCTAssertEqual(Double(samples[2 * pair]), r * Foundation.cos(2 * .pi * u2), accuracy: 1e-6)
            if 2 * pair + 1 < count {
                XCTAssertEqual(Double(samples[2 * pair + 1]), r * Foundation.sin(2 * .pi * u2), accuracy: 1e-6)
            }
        }
    }

    func testNormalMoments() {
        // 200,000 samples: the standard error of the mean is 0.0022, of the
        // variance 0.0032, of the third and fourth moments 0.0055 and 0.017;
        // tolerances are about five standard errors.
        let x = randn(200_000, generator: Generator(seed: 3)).scalars.map(Double.init)
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let skew = x.reduce(0) { $0 + $1 * $1 * $1 } / n
        let kurtosis = x.reduce(0) { $0 + $1 * $1 * $1 * $1 } / n
        XCTAssertEqual(mean, 0, accuracy: 0.011)
        XCTAssertEqual(variance, 1, accuracy: 0.016)
        XCTAssertEqual(skew, 0, accuracy: 0.03)
        XCTAssertEqual(kurtosis, 3, accuracy: 0.09)
        let inOneSigma = Double(x.filter { Swift.abs($0) < 1 }.count) / n
        XCTAssertEqual(inOneSigma, 0.6827, accuracy: 0.006)
    }

    func testUniformAndIntegers() {
        let g = Generator(seed: 4)
        let u = rand(shape: [100_000], generator: g).scalars
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(u.reduce(0, +)) / 1e5, 0.5, accuracy: 0.005)
        let r = rand(shape: [1000], low: -2, high: 3, generator: g).scalars
        XCTAssertTrue(r.allSatisfy { $0 >= -2 && $0 < 3 })
        let ints = randint(3, 8, count: 50_000, generator: g)
        XCTAssertEqual(Set(ints), Set(3..<8))
        for v in 3..<8 {
            XCTAssertEqual(Double(ints.filter { $0 == v }.count) / 50_000, 0.2, accuracy: 0.01)
        }
    }

    func testRandpermIsAPermutation() {
        let p = randperm(1000, generator: Generator(seed: 5))
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertNotEqual(p, Array(0..<1000))
        XCTAssertEqual(randperm(0), [])
    }

    func testRanges() {
        XCTAssertEqual(linspace(-6, 6, count: 5).scalars, [-6, -3, 0, 3, 6])
        XCTAssertEqual(arange(0, 5).scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(arange(1, 2, step: 0.25).scalars, [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(zeros(2, 3).shape, [2, 3])
        XCTAssertEqual(ones(like: zeros(4)).scalars, [1, 1, 1, 1])
    }
}
