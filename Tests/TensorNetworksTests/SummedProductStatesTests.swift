import Testing
import TensorCore
@testable import TensorNetworks

/// TNML's starting MPS (``MPSClassifier/summedProductStates(features:chosen:labelSite:featureMap:classBondDimension:classCutoff:labelScale:maxBondDimension:cutoff:)``)
/// against its definition, computed naïvely in float64: W = α Σ_ℓ 0.1 e_ℓ ⊗ Σ_{n ∈ chosen[ℓ]} ⊗ⱼ φ(xₙⱼ),
/// α = 1/‖…‖, so f_ℓ(x) = α·0.1·Σ_{n ∈ chosen[ℓ]} Πⱼ ⟨φ(xₙⱼ), φ(xⱼ)⟩.
@Suite struct SummedProductStatesTests {
    static let map = FeatureMap.trigonometric

    /// [L, N, d] features of N random inputs of L pixels.
    static func features(sites: Int, count: Int, seed: UInt64) -> Tensor<Double> {
        var rng = Philox(seed: seed)
        return map.siteFeatures(Tensor<Double>.randomUniform(shape: [count, sites], using: &rng), as: Double.self)
    }

    /// Πⱼ ⟨φ(x_aj), φ(y_bj)⟩ of input a of `x` and input b of `y` (both [L, N, d]).
    static func overlap(_ x: Tensor<Double>, _ a: Int, _ y: Tensor<Double>, _ b: Int) -> Double {
        let (sites, d) = (x.shape[0], x.shape[2])
        var product = 1.0
        for j in 0..<sites {
            var dot = 0.0
            for s in 0..<d { dot += x.scalars[(j * x.shape[1] + a) * d + s] * y.scalars[(j * y.shape[1] + b) * d + s] }
            product *= dot
        }
        return product
    }

    /// The definition's outputs on the inputs of `test`, [count, C].
    static func naive(train: Tensor<Double>, chosen: [[Int]], test: Tensor<Double>) -> [Double] {
        var squaredNorm = 0.0
        for members in chosen { for a in members { for b in members { squaredNorm += 0.01 * overlap(train, a, train, b) } } }
        let alpha = 1 / squaredNorm.squareRoot()
        return (0..<test.shape[1]).flatMap { t in
            chosen.map { members in alpha * 0.1 * members.reduce(0.0) { $0 + overlap(train, $1, test, t) } }
        }
    }

    /// Sums kept whole (no cap or cutoff bites): the outputs are the definition's, for the label
    /// on the first site, inside and on the last; repeated inputs count twice.
    @Test(arguments: [0, 3, 5])
    func anUncutSumIsTheDefinition(labelSite: Int) throws {
        let train = Self.features(sites: 6, count: 7, seed: 1), test = Self.features(sites: 6, count: 4, seed: 2)
        let chosen = [[0, 1], [2], [3, 4, 3, 6]]
        let mps = try MPSClassifier<Double>.summedProductStates(
            features: train, chosen: chosen, labelSite: labelSite, featureMap: Self.map,
            classBondDimension: 64, classCutoff: 0, maxBondDimension: 64, cutoff: 0)
        #expect(mps.labelSite == labelSite && mps.labelCount == 3)
        let got = mps.evaluate(features: test).scalars, want = Self.naive(train: train, chosen: chosen, test: test)
        let scale = want.map(abs).max()!
        for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-12 * scale, "\(g) vs \(w)") }
        // Norm 1: the label core is the orthogonality centre and carries the whole norm.
        #expect(abs(mps.cores[labelSite].squaredNorm() - 1) < 1e-12)
    }

    /// A class of one repeated input is a product state: its sum compresses to bond dimension 1
    /// everywhere, and stays exact.
    @Test func aProductStateCompressesToBondOne() throws {
        let train = Self.features(sites: 5, count: 3, seed: 4), test = Self.features(sites: 5, count: 3, seed: 5)
        let chosen = [[1, 1, 1, 1]]
        let mps = try MPSClassifier<Double>.summedProductStates(features: train, chosen: chosen, labelSite: 2, featureMap: Self.map)
        #expect(mps.bondDimensions == [1, 1, 1, 1, 1, 1])
        let got = mps.evaluate(features: test).scalars, want = Self.naive(train: train, chosen: chosen, test: test)
        for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-12 * abs(w), "\(g) vs \(w)") }
    }

    /// The caps bite: no bond above them, the MPS still of norm 1 with its centre on the label
    /// site (cores left of it left-orthonormal, right of it right-orthonormal), and close to the
    /// sum — the kept weight of a smooth sum of 40 inputs at bond dimension 4.
    @Test func cappedSumsKeepTheirCapsAndGauge() throws {
        let train = Self.features(sites: 8, count: 40, seed: 6), test = Self.features(sites: 8, count: 5, seed: 7)
        let chosen = [Array(0..<20), Array(20..<40)]
        let mps = try MPSClassifier<Double>.summedProductStates(
            features: train, chosen: chosen, labelSite: 4, featureMap: Self.map, classBondDimension: 4, maxBondDimension: 3)
        #expect(mps.bondDimensions.max()! <= 3)
        #expect(abs(mps.cores[4].squaredNorm() - 1) < 1e-12)
        for j in 0..<8 where j != 4 {
            let core = mps.cores[j]
            let (dl, dr) = (core.shape[0], core.shape.last!)
            let gram = j < 4 ? core.reshaped([-1, dr]).matmul(core.reshaped([-1, dr]), transposeSelf: true)
                             : core.reshaped([dl, -1]).matmul(core.reshaped([dl, -1]), transposeOther: true)
            let size = gram.shape[0]
            for a in 0..<size { for b in 0..<size {
                #expect(abs(gram.scalars[a * size + b] - (a == b ? 1 : 0)) < 1e-12, "core \(j) not orthonormal")
            } }
        }
        // Close to the definition: cosine similarity of the outputs above 0.99.
        let got = mps.evaluate(features: test).scalars, want = Self.naive(train: train, chosen: chosen, test: test)
        let dot = zip(got, want).reduce(0.0) { $0 + $1.0 * $1.1 }
        let cosine = dot / (got.reduce(0.0) { $0 + $1 * $1 }.squareRoot() * want.reduce(0.0) { $0 + $1 * $1 }.squareRoot())
        #expect(cosine > 0.99, "cosine \(cosine)")
    }
}
