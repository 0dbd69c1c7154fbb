import CBLAS

extension Double: BLASScalar {
    public static var precisionName: String { "float64" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb),
            beta, c, blasInt(ldc))
    }

    public static func gemv(
        transpose: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(
            CblasRowMajor, cblasTranspose(transpose), blasInt(m), blasInt(n), alpha, a,
            blasInt(lda), x, 1, beta, y, 1)
    }

    public static func transpose(
        rows: Int, columns: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafeMutablePointer<Double>, ldb: Int
    ) {
        cblas_domatcopy(
            CblasRowMajor, CblasTrans, blasInt(rows), blasInt(columns), 1, a, blasInt(lda), b, blasInt(ldb))
    }

    public static func dot(n: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
        cblas_ddot(blasInt(n), x, 1, y, 1)
    }

    public static func axpy(n: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(blasInt(n), alpha, x, 1, y, 1)
    }

    public static func gesdd(
        m: Int, n: Int, a: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>,
        u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>
    ) -> Int32 {
        let k = Swift.min(m, n)
        return LAPACKE_dgesdd(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), lapackInt(m), lapackInt(n), a,
            lapackInt(n), s, u, lapackInt(k), vt, lapackInt(n))
    }

    public static func gesvd(
        m: Int, n: Int, a: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>,
        u: UnsafeMutablePointer<Double>, vt: UnsafeMutablePointer<Double>,
        superb: UnsafeMutablePointer<Double>
    ) -> Int32 {
        let k = Swift.min(m, n)
        return LAPACKE_dgesvd(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), CChar(UInt8(ascii: "S")), lapackInt(m),
            lapackInt(n), a, lapackInt(n), s, u, lapackInt(k), vt, lapackInt(n), superb)
    }

    public static func geqrf(m: Int, n: Int, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), a, lapackInt(n), tau)
    }

    public static func orgqr(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafePointer<Double>
    ) -> Int32 {
        LAPACKE_dorgqr(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(k), a, lapackInt(lda), tau)
    }

    public static func gelqf(m: Int, n: Int, a: UnsafeMutablePointer<Double>, tau: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgelqf(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), a, lapackInt(n), tau)
    }

    public static func orglq(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafePointer<Double>
    ) -> Int32 {
        LAPACKE_dorglq(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(k), a, lapackInt(lda), tau)
    }

    public static func syrk(transpose: Bool, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, cblasTranspose(transpose), blasInt(n), blasInt(k), 1, a, blasInt(lda),
                    0, c, blasInt(ldc))
    }

    public static func potrf(upper: Bool, n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int32 {
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: upper ? "U" : "L")), lapackInt(n), a, lapackInt(lda))
    }

    public static func trtriUpper(n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int32 {
        LAPACKE_dtrtri(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), CChar(UInt8(ascii: "N")), lapackInt(n), a, lapackInt(lda))
    }

    public static func trsmUpper(left: Bool, m: Int, n: Int, u: UnsafePointer<Double>, ldu: Int, b: UnsafeMutablePointer<Double>, ldb: Int) {
        cblas_dtrsm(CblasRowMajor, left ? CblasLeft : CblasRight, CblasUpper, left ? CblasTrans : CblasNoTrans,
                    CblasNonUnit, blasInt(m), blasInt(n), 1, u, blasInt(ldu), b, blasInt(ldb))
    }
}
