import Testing
import TensorCore
import _TestSupport

@Suite struct MatrixProductTests {
    /// (m, n, k) including size-1 and empty-contraction shapes.
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (3, 4, 5), (7, 1, 9), (1, 6, 2), (17, 13, 11), (4, 5, 0), (32, 40, 400)]

    @Test(arguments: shapes, [false, true])
    func gemmMatchesNaiveLoops(shape: (Int, Int, Int), transposed: Bool) {
        let (m, n, k) = shape
        var rng = Philox(seed: 7, stream: UInt64(m * 1000 + n * 10 + k))
        let a = Tensor<Double>.randomNormal(shape: transposed ? [k, m] : [m, k], using: &rng)
        let b = Tensor<Double>.randomNormal(shape: transposed ? [n, k] : [k, n], using: &rng)
        let c = a.matmul(b, transposeSelf: transposed, transposeOther: transposed)
        var expected = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    expected[i * n + j] += (transposed ? a[p, i] : a[i, p]) * (transposed ? b[j, p] : b[p, j])
                }
            }
        }
        expectClose(c, Tensor(shape: [m, n], scalars: expected), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
    }

    /// The raw-buffer transpose is an exact copy into the transposed place, in both precisions,
    /// with leading dimensions wider than the rows (the padding left untouched).
    @Test(arguments: [(1, 1), (1, 7), (10, 20), (20, 10), (33, 150)])
    func rawTransposeCopiesEveryEntryToItsMirror(shape: (Int, Int)) {
        let (rows, columns) = shape
        func check<Scalar: BLASScalar>(_: Scalar.Type) {
            let lda = columns + 3, ldb = rows + 2
            let a = (0..<(rows * lda)).map { Scalar($0) * Scalar(0.37) - 5 }
            var b = [Scalar](repeating: -1, count: columns * ldb)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    transpose(rows: rows, columns: columns, a: pa.baseAddress!, lda: lda, into: pb.baseAddress!, ldb: ldb)
                }
            }
            for j in 0..<columns {
                for i in 0..<ldb {
                    #expect(b[j * ldb + i] == (i < rows ? a[i * lda + j] : -1), "\(Scalar.self) [\(j), \(i)]")
                }
            }
        }
        check(Float.self)
        check(Double.self)
    }

    @Test func singlePrecisionGemmWithinRounding() {
        var rng = Philox(seed: 3)
        let a = Tensor<Float>.randomNormal(shape: [20, 30], using: &rng)
        let b = Tensor<Float>.randomNormal(shape: [30, 10], using: &rng)
        let reference = a.converted(to: Double.self).matmul(b.converted(to: Double.self))
        expectClose(a.matmul(b).converted(to: Double.self), reference, relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
    }

    @Test(arguments: [false, true])
    func batchedMatmulMatchesPerBatchProducts(transposed: Bool) {
        var rng = Philox(seed: 11)
        let a = Tensor<Double>.randomNormal(shape: [5, 3, 4], using: &rng)
        let b = Tensor<Double>.randomNormal(shape: [5, 4, 3], using: &rng)
        let c = a.batchedMatmul(b, transposeSelf: transposed, transposeOther: transposed)
        for i in 0..<5 {
            expectClose(c[i], a[i].matmul(b[i], transposeSelf: transposed, transposeOther: transposed),
                        relativeTolerance: 1e-13, absoluteTolerance: 1e-13)
        }
    }
}

@Suite struct ContractionTests {
    struct Case: CustomStringConvertible, Sendable {
        var shapeA: [Int], axesA: [Int], shapeB: [Int], axesB: [Int]
        var description: String { "\(shapeA)\(axesA)·\(shapeB)\(axesB)" }
    }

    static let cases: [Case] = [
        Case(shapeA: [3, 4], axesA: [1], shapeB: [4, 5], axesB: [0]),          // matrix product
        Case(shapeA: [4, 3], axesA: [0], shapeB: [5, 4], axesB: [1]),          // both transposed
        Case(shapeA: [2, 3, 4], axesA: [1, 2], shapeB: [4, 3, 5], axesB: [1, 0]),  // needs permutes
        Case(shapeA: [2, 3], axesA: [], shapeB: [4], axesB: []),               // empty contraction: outer product
        Case(shapeA: [1, 3, 1], axesA: [0, 2], shapeB: [1, 1, 2], axesB: [1, 0]),  // size-1 axes
        Case(shapeA: [3, 2, 2, 5], axesA: [1, 2], shapeB: [2, 4, 2], axesB: [0, 2]),  // MPS-like two-site
        Case(shapeA: [6], axesA: [0], shapeB: [6], axesB: [0]),                // full contraction: a scalar
        Case(shapeA: [2, 0, 3], axesA: [1], shapeB: [0, 4], axesB: [0]),       // zero-length summed axis
    ]

    @Test(arguments: cases, [UInt64(1), 2])
    func contractMatchesNaiveSum(c: Case, seed: UInt64) {
        var rng = Philox(seed: seed)
        let a = Tensor<Double>.randomNormal(shape: c.shapeA, using: &rng)
        let b = Tensor<Double>.randomNormal(shape: c.shapeB, using: &rng)
        let result = contract(a, c.axesA, b, c.axesB)
        expectClose(result, naiveContract(a, c.axesA, b, c.axesB), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
    }

    @Test func permuteMovesEveryElement() {
        var rng = Philox(seed: 5)
        let a = Tensor<Double>.randomNormal(shape: [2, 3, 4, 5], using: &rng)
        let p = a.permuted([2, 0, 3, 1])
        #expect(p.shape == [4, 2, 5, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { for l in 0..<5 {
            #expect(p[k, i, l, j] == a[i, j, k, l])
        } } } }
    }

    @Test func reshapeIsFreeAndSliceCopies() {
        let a = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(a.reshaped([3, -1]).shape == [3, 2])
        #expect(a[1].scalars == [4, 5, 6])
        #expect(a.slice(1..<2).shape == [1, 3])
    }

    /// Slices put back together along the first axis give the tensor again, empty parts included.
    @Test func concatenatedJoinsAlongTheFirstAxis() {
        let a = Tensor<Double>(shape: [5, 2, 3], scalars: (0..<30).map(Double.init))
        let parts = [a.slice(0..<2), a.slice(2..<2), a.slice(2..<5)]
        let joined = Tensor.concatenated(parts)
        #expect(joined.shape == [5, 2, 3] && joined.scalars == a.scalars)
        #expect(Tensor.concatenated([a.slice(3..<4)]).scalars == a[3].scalars)
    }

    @Test func copyOnWriteLeavesCopiesUntouched() {
        var a = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = a
        a[0, 1] = 20
        a += Tensor(shape: [2, 2], repeating: 1)
        #expect(b.scalars == [1, 2, 3, 4])
        #expect(a.scalars == [2, 21, 4, 5])
    }
}
