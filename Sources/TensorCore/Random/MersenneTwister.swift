/// MT19937, the 32-bit Mersenne Twister (Matsumoto & Nishimura 1998), with NumPy's legacy
/// `RandomState` bounded integers and permutation — what scikit-learn's `random_state=42`
/// means. TNBench draws its own randomness from ``Philox``; this generator exists only to
/// reproduce splits that other software made with it.
///
/// - `init(seed:)` is `init_genrand(seed)`, which is how `np.random.RandomState(seed)` seeds
///   itself for an integer seed in 0…2³² − 1.
/// - ``boundedInteger(upTo:)`` is NumPy's legacy `random_interval(max)`: mask the next 32-bit
///   output with the smallest all-ones mask covering `max` and reject values above `max`.
/// - ``permutation(_:)`` is `RandomState.permutation(n)`: `arange(n)` shuffled in place by a
///   Fisher–Yates loop that runs i = n − 1 down to 1, swapping element i with
///   `random_interval(i)`.
public struct MersenneTwister: Sendable {
    private var state: [UInt32]
    private var index: Int

    /// `init_genrand(seed)`.
    public init(seed: UInt32) {
        var state = [UInt32](repeating: 0, count: 624)
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        self.state = state
        self.index = 624
    }

    /// The next 32-bit output (`genrand_int32`).
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for k in 0..<624 {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
            state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// A uniform integer in 0…`max` by masked rejection (NumPy's legacy `random_interval`).
    public mutating func boundedInteger(upTo max: UInt32) -> UInt32 {
        if max == 0 { return 0 }
        var mask = max
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = next() & mask
            if value <= max { return value }
        }
    }

    /// `RandomState.permutation(count)`.
    public mutating func permutation(_ count: Int) -> [Int] {
        precondition(count >= 0 && count <= Int(UInt32.max), "permutation of \(count) elements")
        var values = Array(0..<count)
        var i = count - 1
        while i >= 1 {
            let j = Int(boundedInteger(upTo: UInt32(i)))
            values.swapAt(i, j)
            i -= 1
        }
        return values
    }
}
