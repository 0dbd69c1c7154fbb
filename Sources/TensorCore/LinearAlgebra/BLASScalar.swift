import CBLAS

/// A floating-point scalar that BLAS and LAPACK know: `Float` (single precision) and `Double`.
///
/// The protocol carries the handful of entry points the library needs, so that generic code over
/// `Tensor<Scalar>` calls the right `s`/`d` routine without a runtime switch. Every wrapper makes
/// exactly one BLAS or LAPACK call; `info` codes are returned to the caller in
/// ``LinearAlgebra`` (the only place that interprets them).
///
/// All matrices are row-major, as in the rest of TNBench.
public protocol BLASScalar: BinaryFloatingPoint, Codable, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// A short name for records and reports: `"float32"` or `"float64"`.
    static var precisionName: String { get }

    /// `C ← α·op(A)·op(B) + β·C`, where `op(A)` is m×k and `op(B)` is k×n (row-major).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y ← α·op(A)·x + β·y` for a row-major m×n matrix `A`.
    static func gemv(
        transpose: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)

    /// `B ← Aᵀ` for a row-major rows×columns matrix `A` (OpenBLAS's `?omatcopy`, α = 1: an exact
    /// copy); `B` is columns×rows with leading dimension `ldb`.
    static func transpose(
        rows: Int, columns: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafeMutablePointer<Self>, ldb: Int)

    /// `Σᵢ xᵢ·yᵢ` over `n` contiguous scalars.
    static func dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self

    /// `y ← α·x + y` over `n` contiguous scalars.
    static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)

    /// Divide-and-conquer SVD (`?gesdd`, jobz = "S"): returns LAPACK's `info`.
    static func gesdd(
        m: Int, n: Int, a: UnsafeMutablePointer<Self>, s: UnsafeMutablePointer<Self>,
        u: UnsafeMutablePointer<Self>, vt: UnsafeMutablePointer<Self>) -> Int32

    /// QR-iteration SVD (`?gesvd`, jobu = jobvt = "S"): returns LAPACK's `info`.
    static func gesvd(
        m: Int, n: Int, a: UnsafeMutablePointer<Self>, s: UnsafeMutablePointer<Self>,
        u: UnsafeMutablePointer<Self>, vt: UnsafeMutablePointer<Self>,
        superb: UnsafeMutablePointer<Self>) -> Int32

    /// Householder QR factorization (`?geqrf`).
    static func geqrf(m: Int, n: Int, a: UnsafeMutablePointer<Self>, tau: UnsafeMutablePointer<Self>) -> Int32
    /// Forms the m×k matrix `Q` of a QR factorization (`?orgqr`), leading dimension `lda`.
    static func orgqr(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Self>, lda: Int,
        tau: UnsafePointer<Self>) -> Int32
    /// Householder LQ factorization (`?gelqf`).
    static func gelqf(m: Int, n: Int, a: UnsafeMutablePointer<Self>, tau: UnsafeMutablePointer<Self>) -> Int32
    /// Forms the k×n matrix `Q` of an LQ factorization (`?orglq`), leading dimension `lda`.
    static func orglq(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Self>, lda: Int,
        tau: UnsafePointer<Self>) -> Int32
    /// The Gram matrix of a row-major matrix into the upper triangle of `c` (`?syrk`):
    /// `c` ← AᵀA (n×n) for A k×n when `transpose`, else AAᵀ (n×n) for A n×k.
    static func syrk(transpose: Bool, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Cholesky factorization in place (`?potrf`): the upper factor U (G = UᵀU) when `upper`, else
    /// the lower L (G = LLᵀ). Reads the corresponding triangle; returns LAPACK's `info`.
    static func potrf(upper: Bool, n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int32
    /// Inverts an upper-triangular matrix with a non-unit diagonal in place (`?trtri`); returns
    /// LAPACK's `info` (> 0: a zero on the diagonal).
    static func trtriUpper(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int32
    /// Triangular solve in place with an upper-triangular `u` (`?trsm`, non-unit diagonal), B m×n:
    /// B ← B·U⁻¹ (`left` false) or B ← U⁻ᵀ·B (`left` true).
    static func trsmUpper(left: Bool, m: Int, n: Int, u: UnsafePointer<Self>, ldu: Int, b: UnsafeMutablePointer<Self>, ldb: Int)
}

@inline(__always) func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
@inline(__always) func blasInt(_ value: Int) -> blasint { blasint(truncatingIfNeeded: value) }
@inline(__always) func lapackInt(_ value: Int) -> Int32 { Int32(truncatingIfNeeded: value) }
