import Testing
import TensorCore

/// MT19937 and NumPy's legacy permutation against values printed by NumPy 2.x
/// (`np.random.RandomState(42)`; see `ci/frameworks/sklearn_split_indices.py`).
@Suite struct MersenneTwisterTests {
    @Test func firstOutputsOfSeed42() {
        var generator = MersenneTwister(seed: 42)
        let outputs = (0..<10).map { _ in generator.next() }
        #expect(outputs == [1608637542, 3421126067, 4083286876, 787846414, 3143890026, 3348747335, 2571218620, 2563451924, 670094950, 1914837113])
    }

    @Test func permutationsMatchNumPysLegacyRandomState() {
        var a = MersenneTwister(seed: 42)
        #expect(a.permutation(10) == [8, 1, 5, 0, 7, 2, 9, 4, 3, 6])
        var b = MersenneTwister(seed: 42)
        #expect(Array(b.permutation(569).prefix(20)) == [204, 70, 131, 431, 540, 567, 369, 29, 81, 477, 457, 167, 165, 329, 527, 83, 511, 556, 101, 535])
        var c = MersenneTwister(seed: 42)
        #expect(Array(c.permutation(455).prefix(20)) == [302, 39, 393, 411, 155, 255, 244, 101, 401, 30, 72, 204, 140, 353, 317, 55, 168, 229, 291, 82])
    }

    @Test func boundedIntegersStayInRangeAndRejectByMask() {
        var generator = MersenneTwister(seed: 7)
        for max: UInt32 in [0, 1, 2, 5, 100, 1 << 31] {
            for _ in 0..<200 { #expect(generator.boundedInteger(upTo: max) <= max) }
        }
        // Masking 32-bit draws with 0b111 for max = 5: the value is the draw's low bits when ≤ 5.
        var reference = MersenneTwister(seed: 42), bounded = MersenneTwister(seed: 42)
        var expected: UInt32 = 0
        repeat { expected = reference.next() & 7 } while expected > 5
        #expect(bounded.boundedInteger(upTo: 5) == expected)
    }
}
