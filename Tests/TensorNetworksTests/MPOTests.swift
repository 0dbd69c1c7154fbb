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

@Suite struct MPODenseContractionTests {
    /// Chains with uneven modes, unit modes and one core; bonds above the useful rank.
    static let chains: [(input: [Int], output: [Int], bond: Int)] = [
        ([3], [2], 1), ([2, 3], [3, 2], 4), ([2, 1, 3], [1, 2, 2], 3), ([2, 3, 1, 2], [3, 1, 2, 2], 2),
    ]

    static func mpo(_ chain: Int, seed: UInt64) -> MPO<Double> {
        let (input, output, bond) = chains[chain]
        var rng = Philox(seed: seed, stream: UInt64(chain))
        let n = input.count
        return MPO(cores: (0..<n).map { k in
            Tensor<Double>.randomNormal(shape: [k == 0 ? 1 : bond, input[k], output[k], k == n - 1 ? 1 : bond], using: &rng)
        })
    }

    /// `W[(i₁…i_N), (o₁…o_N)]` as the product of the cores' slices, one element at a time.
    static func naiveMatrix(_ mpo: MPO<Double>) -> Tensor<Double> {
        let input = mpo.inputDimensions, output = mpo.outputDimensions, n = mpo.siteCount
        func digits(_ index: Int, _ radices: [Int]) -> [Int] {
            var rest = index
            return radices.reversed().map { radix in defer { rest /= radix }; return rest % radix }.reversed()
        }
        var w = Tensor<Double>(zeros: [mpo.inputSize, mpo.outputSize])
        for row in 0..<mpo.inputSize {
            for column in 0..<mpo.outputSize {
                let i = digits(row, input), o = digits(column, output)
                var vector = [1.0]
                for k in 0..<n {
                    let core = mpo.cores[k]
                    vector = (0..<core.shape[3]).map { r in
                        (0..<core.shape[0]).reduce(0.0) { $0 + vector[$1] * core[[$1, i[k], o[k], r]] }
                    }
                }
                w[row, column] = vector[0]
            }
        }
        return w
    }

    @Test(arguments: 0..<4)
    func everyCutGivesTheNaiveMatrix(chain: Int) {
        let mpo = Self.mpo(chain, seed: 41)
        let expected = Self.naiveMatrix(mpo)
        for cut in 0...mpo.siteCount {
            let contraction = mpo.denseContraction(cut: cut)
            #expect(contraction.cut == cut)
            expectClose(contraction.matrix, expected, relativeTolerance: 1e-12, absoluteTolerance: 1e-13, "cut \(cut)")
        }
        expectClose(mpo.denseMatrix(), expected, relativeTolerance: 1e-12, absoluteTolerance: 1e-13)
    }

    /// `f(W) = Σ G ⊙ W` is linear in each core, so its gradient's entry at `A^k[idx]` is `f` with
    /// core `k` replaced by the unit tensor at `idx` — exact, no finite-difference step.
    @Test(arguments: 0..<4)
    func everyCutGivesTheExactCoreGradients(chain: Int) {
        let mpo = Self.mpo(chain, seed: 42)
        var rng = Philox(seed: 43)
        let g = Tensor<Double>.randomNormal(shape: [mpo.inputSize, mpo.outputSize], using: &rng)
        var expected: [Tensor<Double>] = []
        for k in 0..<mpo.siteCount {
            let shape = mpo.cores[k].shape
            expected.append(Tensor(shape: shape, scalars: (0..<mpo.cores[k].count).map { index in
                var unit = mpo
                var scalars = [Double](repeating: 0, count: mpo.cores[k].count)
                scalars[index] = 1
                unit.cores[k] = Tensor(shape: shape, scalars: scalars)
                return (Self.naiveMatrix(unit) * g).sum()
            }))
        }
        for cut in 0...mpo.siteCount {
            let gradients = mpo.coreGradients(matrixGradient: g, contraction: mpo.denseContraction(cut: cut))
            #expect(gradients.count == mpo.siteCount)
            for k in gradients.indices {
                expectClose(gradients[k], expected[k], relativeTolerance: 1e-12, absoluteTolerance: 1e-12, "cut \(cut), core \(k)")
            }
        }
    }
}

@Suite struct MPOFlopsTests {
    /// Cores [1, 2, 3, r] and [r, 2, 3, 1] (p = 6 each). Cut at 0: the right environments,
    /// 2·(6r)·1 then 2·(6r)·6; at 2 the same from the left; at 1 one environment a side, 2·6r
    /// each, and the product 2·36·r. The gradients add, per core, one product for its gradient
    /// and one more to carry the gradient on (not at the outer end), and at cut 1 two products
    /// with the halves.
    @Test func flopsCountTheProductsAtEveryCut() throws {
        var rng = Philox(seed: 1)
        let matrix = Tensor<Double>.randomNormal(shape: [4, 9], using: &rng)
        let mpo = try MPO(matrix: matrix, inputDimensions: [2, 2], outputDimensions: [3, 3], truncation: .none)
        let r = Double(mpo.bondDimensions[0])
        #expect(mpo.contractionFlops(cut: 0) == 12 * r + 72 * r)
        #expect(mpo.contractionFlops(cut: 1) == 12 * r + 12 * r + 72 * r)
        #expect(mpo.contractionFlops(cut: 2) == 12 * r + 72 * r)
        #expect(mpo.coreGradientFlops(cut: 0) == 2 * 72 * r + 12 * r)
        #expect(mpo.coreGradientFlops(cut: 1) == 2 * 72 * r + 12 * r + 12 * r)
        #expect(mpo.coreGradientFlops(cut: 2) == 2 * 72 * r + 12 * r)
        #expect(mpo.denseCut == 0)
        #expect(mpo.contractionFlops == mpo.contractionFlops(cut: 0))
    }

    /// MPO-FC2's first layer M_{4,7,7,4}^{4,4,4,4}(16): cut at the middle bond, the matrix and
    /// its gradients cost about half of what contracting from one end costs.
    @Test func fc2LayerIsCutInTheMiddle() {
        var rng = Philox(seed: 2)
        let n = 4, input = [4, 7, 7, 4], d = 16
        let mpo = MPO(cores: (0..<n).map { k in
            Tensor<Float>.randomNormal(shape: [k == 0 ? 1 : d, input[k], 4, k == n - 1 ? 1 : d], using: &rng)
        })
        #expect(mpo.denseCut == 2)
        let middle = mpo.contractionFlops(cut: 2) + mpo.coreGradientFlops(cut: 2)
        let end = mpo.contractionFlops(cut: 4) + mpo.coreGradientFlops(cut: 4)
        #expect(middle < 0.55 * end)
        // The three products with the halves dominate: 3 · 2 · 784·256 · 16.
        #expect(middle > 3 * 2 * 784 * 256 * 16 && middle < 1.1 * 3 * 2 * 784 * 256 * 16)
    }
}
