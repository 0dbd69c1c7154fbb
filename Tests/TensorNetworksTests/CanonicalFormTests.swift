import Datasets
import Testing
import TensorCore
import _TestSupport
@testable import TensorNetworks

/// Mixed canonical form, tn4ml's near-identity initialization and the early-stopping rule.
@Suite struct CanonicalFormTests {
    /// A random MPS (label on `labelSite`) with capped bonds and its features on a few inputs.
    static func problem(sites: Int = 7, bond: Int = 4, labelSite: Int = 3, seed: UInt64 = 2)
        -> (mps: MPSClassifier<Double>, features: Tensor<Double>)
    {
        var rng = Philox(seed: seed, stream: 5)
        let map = FeatureMap.polynomial(degree: 2)
        let bonds = MPSClassifier<Double>.cappedBondDimensions(siteCount: sites, bondDimension: bond, physicalDimension: 3)
        let cores = (0..<sites).map { j in
            Tensor<Double>.randomNormal(shape: j == labelSite ? [bonds[j], 3, 2, bonds[j + 1]] : [bonds[j], 3, bonds[j + 1]],
                                        mean: 0, standardDeviation: 0.8, using: &rng)
        }
        let pixels = Tensor<Double>.randomUniform(shape: [5, sites], using: &rng)
        return (MPSClassifier(cores: cores, labelSite: labelSite, labelCount: 2, featureMap: map), map.siteFeatures(pixels, as: Double.self))
    }

    /// ‖W‖² by contracting the chain with itself, site by site (the oracle).
    static func normSquared(_ mps: MPSClassifier<Double>) -> Double {
        var e = Tensor<Double>(shape: [1, 1], scalars: [1])   // [D, D']
        for core in mps.cores {
            let dl = core.shape[0], dr = core.shape.last!, inner = core.count / (dl * dr)
            let a = core.reshaped([dl, inner * dr])
            let t = e.matmul(a)                                  // [D', inner·Dr]
            let tt = t.reshaped([dl * inner, dr])                 // rows (D', inner)
            e = tt.matmul(a.reshaped([dl * inner, dr]), transposeSelf: true)
        }
        return e.scalars[0]
    }

    /// The two halves factorized concurrently (BLAS pinned to one thread per call) give the same
    /// numbers, bit for bit, as the sequential form with one BLAS thread.
    @Test(arguments: [0, 4, 9])
    func concurrentHalvesEqualTheSequentialForm(center: Int) throws {
        let p = Self.problem(sites: 10, bond: 9, labelSite: 4, seed: 11)
        var sequential = p.mps, concurrent = p.mps
        try withBLASThreads(1) { try sequential.canonicalize(center: center) }
        try withBLASThreads(2) {
            try concurrent.canonicalize(center: center, concurrentHalves: true)
            #expect(BLASRuntime.threadCount == 2, "the thread count is restored")
        }
        for (a, b) in zip(sequential.cores, concurrent.cores) {
            #expect(a.shape == b.shape)
            #expect(a.scalars == b.scalars)
        }
    }

    @Test(arguments: [0, 3, 6])
    func canonicalizationKeepsTheFunctionAndMakesIsometries(center: Int) throws {
        let p = Self.problem()
        var canonical = p.mps
        try canonical.canonicalize(center: center)
        #expect(canonical.bondDimensions == p.mps.bondDimensions, "capped bonds never shrink")
        expectClose(canonical.evaluate(features: p.features), p.mps.evaluate(features: p.features), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        for (j, core) in canonical.cores.enumerated() where j != center {
            let matrix = j < center ? core.reshaped([core.count / core.shape.last!, core.shape.last!])
                                    : core.reshaped([core.shape[0], core.count / core.shape[0]]).transposed()
            let gram = matrix.matmul(matrix, transposeSelf: true)
            let n = gram.shape[0]
            expectClose(gram, Tensor(shape: [n, n], scalars: (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }),
                        relativeTolerance: 0, absoluteTolerance: 1e-12, "core \(j) is not an isometry")
        }
        // In canonical form the centre core's norm is ‖W‖.
        var normalized = canonical
        let norm = normalized.normalizeCenter(center)
        expectClose(norm * norm, Self.normSquared(p.mps), relativeTolerance: 1e-10)
        expectClose(Self.normSquared(normalized), 1, relativeTolerance: 1e-12)
        // The flop count grows with every factorized core.
        #expect(p.mps.canonicalizationFlops(center: center) > 0)
    }

    @Test func cappedBondsFollowThePhysicalDimension() {
        #expect(MPSClassifier<Double>.cappedBondDimensions(siteCount: 8, bondDimension: 10, physicalDimension: 3)
            == [1, 3, 9, 10, 10, 10, 9, 3, 1])
        #expect(MPSClassifier<Double>.cappedBondDimensions(siteCount: 4, bondDimension: 2, physicalDimension: 2) == [1, 2, 2, 2, 1])
    }

    /// tn4ml's start: capped bonds, canonical around the label site (canonicalizing again changes
    /// nothing), ‖W‖ = 1.
    @Test func nearIdentityInitializationIsCanonicalAndNormalized() throws {
        var rng = Philox(seed: 1, stream: 1)
        let mps: MPSClassifier<Double> = try TN4MLInitializer.mps(
            siteCount: 9, bondDimension: 5, labelSite: 4, labelCount: 2, featureMap: .polynomial(degree: 2),
            standardDeviation: 1e-2, using: &rng)
        #expect(mps.bondDimensions == [1, 3, 5, 5, 5, 5, 5, 5, 3, 1])
        expectClose(Self.normSquared(mps), 1, relativeTolerance: 1e-12)
        var again = mps
        try again.canonicalize(center: 4)
        expectClose(again.evaluate(features: Self.problem(sites: 9, labelSite: 4).features),
                    mps.evaluate(features: Self.problem(sites: 9, labelSite: 4).features), relativeTolerance: 1e-10, absoluteTolerance: 1e-14)
    }
}
