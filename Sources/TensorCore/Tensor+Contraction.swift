/// Contracts two tensors over pairs of axes: the sum over `axesOfA[i]` of `a` matched with
/// `axesOfB[i]` of `b`.
///
/// The result's axes are the free axes of `a` in order, then the free axes of `b` in order
/// (numpy's `tensordot` convention). Implemented as permute → reshape → one `gemm`; a permute
/// is skipped when the axes are already in place, and transposed layouts are handed to BLAS.
/// An empty list of axes gives the outer product.
///
/// ```swift
/// // Σ_j A[i,j,k]·B[k,j,l]  →  C[i,l]
/// let c = contract(a, [1, 2], b, [1, 0])
/// ```
///
/// - Precondition: the paired extents agree and no axis is named twice.
/// - Complexity: 2·(free size of a)·(free size of b)·(contracted size) flops, plus permutations.
public func contract<Scalar: BLASScalar>(
    _ a: Tensor<Scalar>, _ axesOfA: [Int], _ b: Tensor<Scalar>, _ axesOfB: [Int]
) -> Tensor<Scalar> {
    precondition(axesOfA.count == axesOfB.count, "contract: \(axesOfA) and \(axesOfB) differ in length")
    precondition(
        Set(axesOfA).count == axesOfA.count && axesOfA.allSatisfy { $0 >= 0 && $0 < a.rank },
        "contract: invalid axes \(axesOfA) for shape \(a.shape)")
    precondition(
        Set(axesOfB).count == axesOfB.count && axesOfB.allSatisfy { $0 >= 0 && $0 < b.rank },
        "contract: invalid axes \(axesOfB) for shape \(b.shape)")
    for (i, j) in zip(axesOfA, axesOfB) {
        precondition(
            a.shape[i] == b.shape[j],
            "contract: axis \(i) of \(a.shape) does not match axis \(j) of \(b.shape)")
    }
    let freeA = (0..<a.rank).filter { !axesOfA.contains($0) }
    let freeB = (0..<b.rank).filter { !axesOfB.contains($0) }
    let m = freeA.reduce(1) { $0 * a.shape[$1] }
    let n = freeB.reduce(1) { $0 * b.shape[$1] }
    let k = axesOfA.reduce(1) { $0 * a.shape[$1] }

    // A as an m×k matrix (free axes first) or, if cheaper, as k×m passed transposed.
    let (matrixA, transposeA): (Tensor<Scalar>, Bool) =
        freeA + axesOfA == Array(0..<a.rank) ? (a, false)
        : axesOfA + freeA == Array(0..<a.rank) ? (a, true)
        : (a.permuted(freeA + axesOfA), false)
    let (matrixB, transposeB): (Tensor<Scalar>, Bool) =
        axesOfB + freeB == Array(0..<b.rank) ? (b, false)
        : freeB + axesOfB == Array(0..<b.rank) ? (b, true)
        : (b.permuted(axesOfB + freeB), false)

    let resultShape = freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] }
    var result = Tensor<Scalar>(zeros: resultShape)
    result.withUnsafeMutableBufferPointer { c in
        matrixA.withUnsafeBufferPointer { pa in
            matrixB.withUnsafeBufferPointer { pb in
                gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                    a: pa.baseAddress!, lda: transposeA ? m : k,
                    b: pb.baseAddress!, ldb: transposeB ? k : n,
                    beta: 0, c: c.baseAddress!, ldc: n)
            }
        }
    }
    return result
}
