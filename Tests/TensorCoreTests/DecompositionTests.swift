import Testing
@testable import TensorCore
import _TestSupport

@Suite struct DecompositionTests {
    static let shapes: [(Int, Int)] = [(1, 1), (6, 4), (4, 6), (1, 7), (30, 30), (50, 8)]

    func identityError(_ q: Tensor<Double>, columns: Bool) -> Double {
        let g = columns ? q.matmul(q, transposeSelf: true) : q.matmul(q, transposeOther: true)
        let k = g.shape[0]
        var worst = 0.0
        for i in 0..<k { for j in 0..<k { worst = max(worst, abs(g[i, j] - (i == j ? 1 : 0))) } }
        return worst
    }

    @Test(arguments: shapes)
    func svdReconstructsWithSortedValuesAndOrthonormalFactors(shape: (Int, Int)) throws {
        var rng = Philox(seed: 21, stream: UInt64(shape.0 * 100 + shape.1))
        let a = Tensor<Double>.randomNormal(shape: [shape.0, shape.1], using: &rng)
        let svd = try a.svd()
        #expect(svd.s.count == min(shape.0, shape.1))
        #expect(zip(svd.s, svd.s.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(svd.s.allSatisfy { $0 >= 0 })
        expectClose(svd.reconstructed(), a, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        #expect(identityError(svd.u, columns: true) < 1e-12)
        #expect(identityError(svd.vt, columns: false) < 1e-12)
    }

    @Test(arguments: [1, 3, 5])
    func truncationDiscardsExactlyTheDroppedWeight(keep: Int) throws {
        var rng = Philox(seed: 4)
        let a = Tensor<Double>.randomNormal(shape: [8, 6], using: &rng)
        let full = try a.svd()
        let truncated = try a.svd(truncation: Truncation(maxBondDimension: keep))
        #expect(truncated.rank == keep)
        let dropped = full.s[keep...].reduce(0) { $0 + $1 * $1 }
        expectClose(truncated.discardedWeight, dropped, relativeTolerance: 1e-12)
        // The discarded weight is the squared Frobenius error of the truncated reconstruction.
        expectClose((a - truncated.reconstructed()).squaredNorm(), dropped, relativeTolerance: 1e-10)
    }

    @Test func relativeCutoffKeepsTheSmallestSufficientRank() {
        let s: [Double] = [4, 2, 1, 0.1, 0.01]
        let total = s.reduce(0) { $0 + $1 * $1 }  // 21.0101
        // Dropping 0.01² + 0.1² = 0.0101 is within 1e-3·total; dropping 1² too needs 1.0101/total.
        #expect(Truncation(relativeCutoff: 1e-3).keptCount(s) == 3)
        #expect(Truncation(relativeCutoff: 1.0101 / total + 1e-9).keptCount(s) == 2)
        #expect(Truncation(relativeCutoff: 1.0101 / total - 1e-9).keptCount(s) == 3)
        #expect(Truncation(maxBondDimension: 2, relativeCutoff: 1e-3).keptCount(s) == 2)
        #expect(Truncation(relativeCutoff: 0.9, minBondDimension: 2).keptCount(s) == 2)
        #expect(Truncation.none.keptCount(s) == 5)
    }

    @Test func svdOfNonFiniteInputThrows() {
        let a = Tensor<Double>(shape: [2, 2], scalars: [1, .nan, 0, 1])
        #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "gesdd")) { try a.svd() }
    }

    @Test(arguments: shapes)
    func qrAndLQReconstructWithOrthonormalQ(shape: (Int, Int)) throws {
        var rng = Philox(seed: 8, stream: UInt64(shape.0 * 100 + shape.1))
        let a = Tensor<Double>.randomNormal(shape: [shape.0, shape.1], using: &rng)
        let (q, r) = try a.qr()
        expectClose(q.matmul(r), a, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        #expect(identityError(q, columns: true) < 1e-12)
        for i in 0..<r.shape[0] { for j in 0..<min(i, r.shape[1]) { #expect(r[i, j] == 0) } }
        let (l, q2) = try a.lq()
        expectClose(l.matmul(q2), a, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        #expect(identityError(q2, columns: false) < 1e-12)
        for i in 0..<l.shape[0] { for j in (i + 1)..<max(i + 1, l.shape[1]) where j < l.shape[1] { #expect(l[i, j] == 0) } }
    }

    /// CholeskyQR2 on tall matrices (and its LQ on wide ones): reconstruction, orthonormal Q,
    /// triangular R with a positive diagonal — the Householder factorization up to column signs.
    @Test(arguments: [(6, 4), (30, 30), (50, 8), (600, 200)])
    func choleskyQRMatchesHouseholderUpToSigns(shape: (Int, Int)) throws {
        var rng = Philox(seed: 10, stream: UInt64(shape.0 * 1000 + shape.1))
        let a = Tensor<Double>.randomNormal(shape: [shape.0, shape.1], using: &rng)
        let (q, r) = try #require(a.choleskyQR())
        expectClose(q.matmul(r), a, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        #expect(identityError(q, columns: true) < 1e-13)
        for i in 0..<r.shape[0] {
            #expect(r[i, i] > 0)
            for j in 0..<i { #expect(r[i, j] == 0) }
        }
        let (_, householder) = try a.qr()
        for i in 0..<r.shape[0] { for j in 0..<r.shape[1] { expectClose(r[i, j], abs(householder[i, i]) / householder[i, i] * householder[i, j], relativeTolerance: 1e-10, absoluteTolerance: 1e-10) } }
        let (l, q2) = try #require(a.transposed().choleskyLQ())
        expectClose(l.matmul(q2), a.transposed(), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        #expect(identityError(q2, columns: false) < 1e-13)
    }

    /// A near-isometry (an orthonormal Q moved by 3·10⁻³ per entry, more than one optimizer step
    /// moves a canonical core) takes one CholeskyQR pass in Double and is orthonormal to the few ε
    /// of two passes; a matrix with κ ≈ 100 takes two; Float always takes two (ε alone is above
    /// the single pass's limit). Both orientations.
    @Test func wellConditionedInputTakesOnePass() throws {
        var rng = Philox(seed: 12)
        let (isometry, _) = try Tensor<Double>.randomNormal(shape: [1200, 400], using: &rng).qr()
        let noise = Tensor<Double>.randomNormal(shape: [1200, 400], standardDeviation: 3e-3, using: &rng)
        let near = Tensor<Double>(shape: [1200, 400], scalars: zip(isometry.scalars, noise.scalars).map { $0 + $1 })
        let tall = try #require(near.choleskyOrthonormalized(rows: false))
        #expect(tall.passes == 1)
        #expect(identityError(tall.q, columns: true) < 1e-13)
        expectClose(tall.q.matmul(tall.u), near, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        let wide = try #require(near.transposed().choleskyOrthonormalized(rows: true))
        #expect(wide.passes == 1)
        #expect(identityError(wide.q, columns: false) < 1e-13)
        expectClose(wide.u.transposed().matmul(wide.q), near.transposed(), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)

        let gaussian = Tensor<Double>.randomNormal(shape: [300, 100], using: &rng)
        let graded = Tensor<Double>(shape: [300, 100], scalars: gaussian.scalars.enumerated().map { $0.element * Double(1 + $0.offset % 100) })
        let twice = try #require(graded.choleskyOrthonormalized(rows: false))
        #expect(twice.passes == 2)
        #expect(identityError(twice.q, columns: true) < 1e-13)

        let nearFloat = Tensor<Float>(shape: [1200, 400], scalars: near.scalars.map { Float($0) })
        #expect(try #require(nearFloat.choleskyOrthonormalized(rows: false)).passes == 2)
    }

    /// A rank-deficient matrix is refused (the caller falls back to Householder QR).
    @Test func choleskyQRRefusesRankDeficientInput() {
        let a = Tensor<Double>(shape: [4, 3], scalars: [1, 2, 3, 2, 4, 6, 0, 0, 0, 1, 2, 3])
        #expect(a.choleskyQR() == nil)
        var rng = Philox(seed: 3)
        let b = Tensor<Double>.randomNormal(shape: [20, 5], using: &rng)
        let columns = b.scalars.enumerated().map { $0.offset % 5 == 4 ? b.scalars[$0.offset - 1] * (1 + 1e-12) : $0.element }
        #expect(Tensor<Double>(shape: [20, 5], scalars: columns).choleskyQR() == nil, "nearly dependent columns")
    }

    @Test func singlePrecisionSVDReconstructsToFloatRounding() throws {
        var rng = Philox(seed: 9)
        let a = Tensor<Float>.randomNormal(shape: [40, 20], using: &rng)
        let svd = try a.svd()
        expectClose(svd.reconstructed(), a, relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
    }
}
