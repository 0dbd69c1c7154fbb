import Testing
import TensorCore

@Suite struct RandomTests {
    /// Known-answer vectors of Philox-4×32-10 from Random123's kat_vectors (Salmon et al. 2011).
    @Test func philoxMatchesRandom123KnownAnswers() {
        func check(_ c: (UInt32, UInt32, UInt32, UInt32), _ k: (UInt32, UInt32), _ e: [UInt32]) {
            let r = Philox.block(counter: c, key: k)
            #expect([r.0, r.1, r.2, r.3] == e)
        }
        check((0, 0, 0, 0), (0, 0), [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        check((.max, .max, .max, .max), (.max, .max), [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
        check((0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), (0xA409_3822, 0x299F_31D0),
              [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }

    @Test func streamLayoutIsCounterSeedAndStream() {
        // Block i of stream s under seed k is philox((i, 0, s.lo, s.hi), (k.lo, k.hi)).
        var rng = Philox(seed: 0xA409_3822_299F_31D0 as UInt64, stream: 5)
        let expected = Philox.block(counter: (0, 0, 5, 0), key: (0x299F_31D0, 0xA409_3822))
        #expect(rng.next32() == expected.0)
        #expect(rng.next32() == expected.1)
    }

    @Test func sameKeySameSequenceAndStreamsDiffer() {
        var a = Philox(seed: 42, stream: 1), b = Philox(seed: 42, stream: 1), c = Philox(seed: 42, stream: 2)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        let zs = (0..<100).map { _ in c.next() }
        #expect(Set(xs).intersection(zs).isEmpty)
    }

    @Test func streamsAreUncorrelated() {
        var a = Philox(seed: 1, stream: 0), b = Philox(seed: 1, stream: 1)
        let n = 20_000
        var sum = 0.0
        for _ in 0..<n { sum += a.nextNormal() * b.nextNormal() }
        // The sample correlation of independent normals has σ = 1/√n ≈ 0.007; 5σ bound.
        #expect(abs(sum / Double(n)) < 5 / Double(n).squareRoot())
    }

    @Test func normalMomentsAndUniformRange() {
        var rng = Philox(seed: 99)
        let n = 50_000
        let xs = (0..<n).map { _ in rng.nextNormal() }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        #expect(abs(mean) < 5 / Double(n).squareRoot())
        #expect(abs(variance - 1) < 5 * (2 / Double(n)).squareRoot())
        for _ in 0..<10_000 {
            let u = rng.nextUniform(), f = rng.nextUniformFloat()
            #expect(u >= 0 && u < 1 && f >= 0 && f < 1)
        }
    }

    @Test func boundedIntegersAreUniformAndShufflesArePermutations() {
        var rng = Philox(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.nextInt(below: 7)] += 1 }
        // Each count ~ Binomial(70000, 1/7): σ ≈ 92.6; 5σ bound.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 463 })
        let p = rng.permutation(100)
        #expect(p.sorted() == Array(0..<100))
        #expect(p != Array(0..<100))
    }

    @Test func derivedKeysAreStableAndSeparateParts() {
        // Fixed forever: changing this value changes every recorded result.
        #expect(RandomKey.derive("StoudenmireMPS", "m=10", 0) == RandomKey.derive(["StoudenmireMPS", "m=10", "0"]))
        #expect(RandomKey.derive("ab", "c") != RandomKey.derive("a", "bc"))
        // Golden values from an independent Python implementation of FNV-1a + separator + SplitMix64.
        #expect(RandomKey.derive("suite") == 0x3AE9_1B67_CC81_013D)
        #expect(RandomKey.derive("StoudenmireMPS", "m=10", 0) == 0x4E73_AE41_1AFA_9B9B)
    }
}

/// A generator rebuilt from its seed, stream and ``Philox/position`` goes on with the same
/// numbers, wherever in a block it stood; a checkpoint's state keeps it exactly.
@Suite struct PhiloxPositionTests {
    @Test(arguments: [0, 1, 2, 3, 4, 5, 7, 8, 13])
    func resumesWhereItStood(drawn: Int) throws {
        var original = Philox(seed: 0xDEAD_BEEF_1234_5678, stream: 42)
        for _ in 0..<drawn { _ = original.next32() }
        var state = TrainingState()
        state.set("rng", generator: original)
        var restored = try state.generator("rng")
        #expect(restored == original)
        #expect((0..<9).map { _ in restored.next32() } == (0..<9).map { _ in original.next32() })
    }

    @Test func stateEntriesKeepTheirKindAndSayWhatIsWrong() throws {
        var state = TrainingState()
        state.set("w", tensor: Tensor<Float>(shape: [2], scalars: [1.5, .nan]))
        state.set("n", count: 7)
        state.set("big", integers: [UInt64.max, 0])
        #expect(try state.tensor("w", as: Float.self).scalars.map(\.bitPattern) == [Float(1.5).bitPattern, Float.nan.bitPattern])
        #expect(try state.count("n") == 7 && state.integers("big") == [UInt64.max, 0])
        #expect { try state.tensor("w", as: Double.self) } throws: { "\($0)" == "checkpoint: entry 'w' is not a tensor of Double" }
        #expect { try state.count("missing") } throws: { "\($0)" == "checkpoint: no entry 'missing'" }
        state.set("rng", integers: [1, 2, 0, 3])  // a position no generator reaches: used < 4 before any block
        #expect { try state.generator("rng") } throws: { "\($0)" == "checkpoint: entry 'rng' is not a random stream" }
    }
}
