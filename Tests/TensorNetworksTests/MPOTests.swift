import Testing
import TensorCore
import TensorNetworks
import _TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct MPOTests {
    @Test(arguments: [[2, 2, 2], [3, 2], [2, 3, 2, 2]])
    func ttSVDWithoutTruncationReconstructs(dimensions: [Int]) throws {
        var rng = Philox(seed: 3)
        let size = dimensions.reduce(1, *)
        let matrix = Tensor<Double>.randomNormal(shape: [size, size], using: &rng)
        let mpo = try MPO(matrix: matrix, inputDimensions: dimensions, outputDimensions: dimensions, truncation: .none)
        expectClose(mpo.denseMatrix(), matrix, relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
        for bond in 0..<(dimensions.count - 1) { #expect(mpo.bondDimensions[bond] <= mpo.maximalBondDimension(bond)) }
    }

    @Test func denseMatrixMatchesNaiveElementFormula() {
        // W[(i1 i2), (o1 o2)] = Σ_a A[0, i1, o1, a] B[a, i2, o2, 0] with dIn = (2, 3), dOut = (3, 2).
        var rng = Philox(seed: 12)
        let a = Tensor<Double>.randomNormal(shape: [1, 2, 3, 4], using: &rng)
        let b = Tensor<Double>.randomNormal(shape: [4, 3, 2, 1], using: &rng)
        let w = MPO(cores: [a, b]).denseMatrix()
        #expect(w.shape == [6, 6])
        for i1 in 0..<2 { for i2 in 0..<3 { for o1 in 0..<3 { for o2 in 0..<2 {
            var expected = 0.0
            for k in 0..<4 { expected += a[[0, i1, o1, k]] * b[[k, i2, o2, 0]] }
            expectClose(w[[i1 * 3 + i2, o1 * 2 + o2]], expected, relativeTolerance: 1e-12, absoluteTolerance: 1e-14)
        } } } }
    }

    @Test func truncatedSplitKeepsAtMostDAndReportsDiscardedWeight() throws {
        var rng = Philox(seed: 5)
        let matrix = Tensor<Double>.randomNormal(shape: [16, 16], using: &rng)
        var mpo = try MPO(matrix: matrix, inputDimensions: [2, 2, 2, 2], outputDimensions: [2, 2, 2, 2], truncation: .none)
        let bond = mpo.bondTensor(at: 1)
        let split = try mpo.split(bondTensor: bond, at: 1, truncation: Truncation(maxBondDimension: 3))
        #expect(mpo.bondDimensions[1] == 3 && split.singularValues.count == 3)
        // U√S · √SVᵀ is the best rank-3 approximation of the bond: the residual is the discarded weight.
        let residual = (mpo.bondTensor(at: 1) - bond).squaredNorm()
        expectClose(residual, split.discardedWeight, relativeTolerance: 1e-8)
    }

    @Test func productMPOHasZeroEntropy() throws {
        var rng = Philox(seed: 6)
        let cores = (0..<5).map { _ in Tensor<Double>.randomNormal(shape: [1, 2, 2, 1], using: &rng) }
        var mpo = MPO(cores: cores)
        for entropy in try mpo.entanglementEntropies() { #expect(abs(entropy) < 1e-12) }
        // Splitting a product bond tensor keeps one non-zero singular value: S = 0 there too.
        let split = try mpo.split(bondTensor: mpo.bondTensor(at: 2), at: 2, truncation: .none)
        #expect(split.entropy < 1e-12)
    }

    @Test(arguments: [2, 3, 4])
    func maximallyMixedBondHasEntropyLogD(bondDimension: Int) throws {
        // Cores of two sites whose bond carries D orthonormal, equally weighted channels:
        // W = Σ_k |k⟩⟨k| ⊗ |k⟩⟨k| over physical index p = (i, o) with p = k for k < D.
        let d = 2
        var left = Tensor<Double>(zeros: [1, d, d, bondDimension])
        var right = Tensor<Double>(zeros: [bondDimension, d, d, 1])
        for k in 0..<bondDimension {
            left[0, k / d, k % d, k] = 1
            right[k, k / d, k % d, 0] = 5   // the scale does not matter: values are normalized
        }
        var mpo = MPO(cores: [left, right])
        expectClose(try mpo.entanglementEntropies()[0], log(Double(bondDimension)), relativeTolerance: 1e-12)
        let split = try mpo.split(bondTensor: mpo.bondTensor(at: 0), at: 0, truncation: .none)
        expectClose(split.entropy, log(Double(bondDimension)), relativeTolerance: 1e-12)
        expectClose(entanglementEntropy(singularValues: [Double](repeating: 0.3, count: 7)), log(7), relativeTolerance: 1e-12)
        #expect(entanglementEntropy(singularValues: [2, 0, 0]) == 0)
    }

    @Test func schmidtValuesAreGaugeIndependent() throws {
        var rng = Philox(seed: 13)
        let matrix = Tensor<Double>.randomNormal(shape: [16, 16], using: &rng)
        var mpo = try MPO(matrix: matrix, inputDimensions: [2, 2, 2, 2], outputDimensions: [2, 2, 2, 2], truncation: .none)
        let before = try mpo.schmidtValues(atBond: 1)
        // The interleaved matrix split at bond 1 has the same singular values.
        let direct = try mpo.interleavedTensor().reshaped([16, 16]).svd().s
        expectClose(Tensor(shape: [before.count], scalars: before), Tensor(shape: [direct.count], scalars: direct), relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
        // A √S split at another bond changes the gauge, not the spectrum.
        try mpo.split(bondTensor: mpo.bondTensor(at: 0), at: 0, truncation: .none)
        let after = try mpo.schmidtValues(atBond: 1)
        expectClose(Tensor(shape: [after.count], scalars: after), Tensor(shape: [before.count], scalars: before), relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
    }
}

@Suite struct MPOFlopsTests {
    /// Contracting [1, 2, 3, r] · [r, 2, 3, 1] from the left: the first core costs 2·1·(6r), the
    /// second 2·(2·3)·(6r) (rows = 6 after the first).
    @Test func contractionFlopsCountsTheLeftToRightProducts() throws {
        var rng = Philox(seed: 1)
        let matrix = Tensor<Double>.randomNormal(shape: [4, 9], using: &rng)
        let mpo = try MPO(matrix: matrix, inputDimensions: [2, 2], outputDimensions: [3, 3], truncation: .none)
        let r = Double(mpo.bondDimensions[0])
        #expect(mpo.contractionFlops == 2 * 1 * (6 * r) + 2 * 6 * (6 * r))
    }
}
