extension Tensor {
    /// The matrix product `op(self)·op(other)` through one `gemm` call; transposes are passed
    /// to BLAS, never materialized.
    ///
    /// - Precondition: both are matrices and the inner extents agree.
    /// - Complexity: 2·m·n·k floating-point operations.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "matmul needs matrices, got \(shape) and \(other.shape)")
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        precondition(
            k == k2,
            "matmul inner extents differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        guard m > 0 && n > 0 && k > 0 else { return Tensor(zeros: [m, n]) }
        // β = 0: the GEMM writes every entry of C without reading it, so C starts uninitialized.
        return Tensor(shape: [m, n]) { c in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    gemm(
                        transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                        alpha: 1, a: a.baseAddress!, lda: shape[1], b: b.baseAddress!,
                        ldb: other.shape[1], beta: 0, c: c.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// Batched matrix products: `result[b] = op(self[b])·op(other[b])` for tensors of shape
    /// `[batch, rows, columns]`.
    ///
    /// One `gemm` per batch element. For the many-small-products pattern of tensor-network
    /// training prefer restructuring into one large product (see `TensorNetworks`); this is
    /// the general fallback, and the kernel benchmark measures both.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func batchedMatmul(
        _ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false
    ) -> Tensor {
        precondition(
            rank == 3 && other.rank == 3 && shape[0] == other.shape[0],
            "batchedMatmul needs [batch, rows, columns] tensors of one batch, got \(shape) and \(other.shape)")
        let batch = shape[0]
        let (m, k) = transposeSelf ? (shape[2], shape[1]) : (shape[1], shape[2])
        let (k2, n) = transposeOther ? (other.shape[2], other.shape[1]) : (other.shape[1], other.shape[2])
        precondition(k == k2, "batchedMatmul inner extents differ: \(shape) · \(other.shape)")
        var result = Tensor(zeros: [batch, m, n])
        let aSize = shape[1] * shape[2], bSize = other.shape[1] * other.shape[2]
        result.withUnsafeMutableBufferPointer { c in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    for i in 0..<batch {
                        gemm(
                            transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                            alpha: 1, a: a.baseAddress! + i * aSize, lda: shape[2],
                            b: b.baseAddress! + i * bSize, ldb: other.shape[2], beta: 0,
                            c: c.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        return result
    }
}

/// `C ← α·op(A)·op(B) + β·C` on raw row-major buffers: the one entry point to BLAS `gemm` for
/// code that manages its own buffers (hot loops in sweeps). An empty product (`k == 0`) scales
/// `C` by β, as BLAS does. Inlinable, so that a caller in another module specialized for Float
/// or Double calls `cblas_?gemm` directly: a hot loop of small products (the gradient-descent
/// MPS's 3 per site and batch) otherwise pays a generic call and a witness-table dispatch each.
@inlinable @inline(__always)
public func gemm<Scalar: BLASScalar>(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Scalar, a: UnsafePointer<Scalar>, lda: Int,
    b: UnsafePointer<Scalar>, ldb: Int,
    beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    Scalar.gemm(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
        a: a, lda: Swift.max(lda, 1), b: b, ldb: Swift.max(ldb, 1), beta: beta, c: c, ldc: Swift.max(ldc, 1))
}

/// `B ← Aᵀ` on raw row-major buffers (A rows×columns with leading dimension `lda`, B columns×rows
/// with `ldb`): OpenBLAS's `?omatcopy`, an exact copy. For hot loops that would otherwise ask
/// `gemm` for a transposed right operand: at the gradient-descent MPS's shapes (a [32, 20] block
/// times a [10, 20] core transposed) OpenBLAS's plain product of an explicit transpose beats its
/// transposed-operand path by 1.3–1.8×, the copy included.
@inlinable @inline(__always)
public func transpose<Scalar: BLASScalar>(
    rows: Int, columns: Int, a: UnsafePointer<Scalar>, lda: Int, into b: UnsafeMutablePointer<Scalar>, ldb: Int
) {
    guard rows > 0, columns > 0 else { return }
    Scalar.transpose(rows: rows, columns: columns, a: a, lda: Swift.max(lda, 1), b: b, ldb: Swift.max(ldb, 1))
}
