import Foundation

/// A small, fast, seeded random number generator: xoshiro256** (Blackman & Vigna, 2018) with
/// its 256-bit state filled from the seed by SplitMix64, as the authors recommend.
///
/// Every draw is defined here, not by the standard library (whose `random(in:using:)`
/// algorithms may change between Swift releases), so a seed gives the same hyperplanes, the
/// same ITQ initialisation and the same shuffles on every run and platform. The only libm call
/// is `log` in the normal sampler, made in Double and rounded to Float, so a last-ulp libm
/// difference practically never reaches the Float result.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// The second normal of the last polar-method pair, returned by the next `nextNormal`.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
        // SplitMix64 never yields four zero words in a row, so the state is never all zero.
    }

    @inline(__always)
    private static func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

    /// Uniform in 0..<bound without modulo bias (Lemire's multiply-and-reject).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// A standard normal draw (Marsaglia's polar method, in Double; pairs are cached).
    public mutating func nextNormal() -> Float { Float(nextNormalDouble()) }

    public mutating func nextNormalDouble() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u = 0.0, v = 0.0, s = 0.0
        repeat {
            u = 2 * nextDouble() - 1
            v = 2 * nextDouble() - 1
            s = u * u + v * v
        } while s >= 1 || s == 0
        let factor = (-2 * Foundation.log(s) / s).squareRoot()
        spareNormal = v * factor
        return u * factor
    }

    /// Fills `buffer` with independent normal draws of the given mean and standard deviation.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>,
                                    mean: Float = 0, standardDeviation: Float = 1) {
        for i in buffer.indices { buffer[i] = mean + standardDeviation * nextNormal() }
    }

    /// `count` independent standard normal draws.
    public mutating func normals(count: Int, mean: Float = 0, standardDeviation: Float = 1) -> [Float] {
        precondition(count >= 0)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillNormal(buffer, mean: mean, standardDeviation: standardDeviation)
            initialized = count
        }
    }

    /// Shuffles `array` in place (Fisher-Yates with `nextInt(below:)`).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }
}
