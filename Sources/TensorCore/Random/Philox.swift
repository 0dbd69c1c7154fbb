/// The Philox-4×32-10 counter-based random number generator (Salmon et al., "Parallel random
/// numbers: as easy as 1, 2, 3", SC'11), keyed by a 64-bit seed and a 64-bit stream.
///
/// Block `i` of stream `s` under seed `k` is `philox(counter: (i.lo, i.hi, s.lo, s.hi),
/// key: (k.lo, k.hi))`, a pure function: any job's randomness depends only on its key, never on
/// what ran before it or on how many threads ran. Distinct streams under one seed (or distinct
/// seeds) give independent sequences. Outputs match the Random123 known-answer tests.
///
/// ```swift
/// var rng = Philox(seed: RandomKey.derive("StoudenmireMPS", "m=20", 3), stream: 0)
/// let x = rng.nextNormal()            // Double, N(0, 1)
/// let i = rng.nextInt(below: 10)      // unbiased
/// ```
public struct Philox: RandomNumberGenerator, Sendable, Hashable {
    public let seed: UInt64
    public let stream: UInt64
    /// The index of the next 128-bit block.
    public private(set) var blockIndex: UInt64 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// Where the generator stands: the next block to compute and how many of the four outputs of
    /// the last computed block were used. With ``seed`` and ``stream``, all of its state.
    public var position: (block: UInt64, used: Int) { (blockIndex, used) }

    /// The generator of `seed` and `stream` at `position` (as ``position`` returned it): it goes
    /// on with the same numbers as the generator that was there.
    ///
    /// - Precondition: `position.used` in 0...4, and below 4 only after a computed block.
    public init(seed: UInt64, stream: UInt64, position: (block: UInt64, used: Int)) {
        precondition((0...4).contains(position.used) && (position.used == 4 || position.block > 0),
                     "Philox: position \(position) is not one a generator reaches")
        self.init(seed: seed, stream: stream)
        blockIndex = position.block
        used = position.used
        if used < 4 {
            let index = position.block &- 1
            buffer = Self.block(
                counter: (
                    UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
                    UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)
                ),
                key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        }
    }

    /// A generator for a sub-stream of this one's seed (for example one per data-shuffle or
    /// per initialization), independent of this generator's position.
    public func substream(_ stream: UInt64) -> Philox { Philox(seed: seed, stream: stream) }

    public static func == (lhs: Philox, rhs: Philox) -> Bool {
        lhs.seed == rhs.seed && lhs.stream == rhs.stream && lhs.blockIndex == rhs.blockIndex
            && lhs.used == rhs.used
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(seed); hasher.combine(stream); hasher.combine(blockIndex); hasher.combine(used)
    }

    /// The Philox-4×32-10 bijection on one 128-bit counter under a 64-bit key.
    public static func block(
        counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let (hi0, lo0) = (UInt32(truncatingIfNeeded: p0 >> 32), UInt32(truncatingIfNeeded: p0))
            let (hi1, lo1) = (UInt32(truncatingIfNeeded: p1 >> 32), UInt32(truncatingIfNeeded: p1))
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if used == 4 {
            buffer = Self.block(
                counter: (
                    UInt32(truncatingIfNeeded: blockIndex), UInt32(truncatingIfNeeded: blockIndex >> 32),
                    UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)
                ),
                key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
            blockIndex &+= 1
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// The next 64 random bits (two 32-bit outputs, low word first).
    public mutating func next() -> UInt64 {
        let low = UInt64(next32())
        return low | (UInt64(next32()) << 32)
    }
}

extension Philox {
    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func nextUniformFloat() -> Float { Float(next32() >> 8) * 0x1p-24 }

    /// A standard normal `Double` by the Box–Muller transform (one value per call; the pair's
    /// second value is not cached, so a generator's state stays a plain counter).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUniform()  // (0, 1]: log is finite
        let u2 = nextUniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound`, unbiased (Lemire's multiply-and-reject), with an
    /// algorithm fixed here so that results do not depend on the standard library's version.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Shuffles `elements` in place (Fisher–Yates with ``nextInt(below:)``).
    public mutating func shuffle<T>(_ elements: inout [T]) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// A random permutation of `0..<count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var indices = Array(0..<count)
        shuffle(&indices)
        return indices
    }
}

/// Stable 64-bit keys for seeding, derived from names and numbers.
///
/// Swift's `Hasher` is randomized per process, so it cannot key reproducible randomness; this
/// uses FNV-1a over the UTF-8 bytes followed by the SplitMix64 finalizer, which is fixed forever.
public enum RandomKey {
    /// A key from parts such as (suite name, configuration name, seed).
    public static func derive(_ parts: any CustomStringConvertible...) -> UInt64 {
        derive(parts.map(\.description))
    }

    public static func derive(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for part in parts {
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0x1F  // unit separator: ("ab","c") ≠ ("a","bc")
            hash &*= 0x0000_0100_0000_01B3
        }
        return mix(hash)
    }

    /// The SplitMix64 finalizer.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
