import CBLAS

extension Float: BLASScalar {
    public static var precisionName: String { "float32" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
            blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb),
            beta, c, blasInt(ldc))
    }

    public static func gemv(
        transpose: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(
            CblasRowMajor, cblasTranspose(transpose), blasInt(m), blasInt(n), alpha, a,
            blasInt(lda), x, 1, beta, y, 1)
    }

    public static func transpose(
        rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafeMutablePointer<Float>, ldb: Int
    ) {
        cblas_somatcopy(
            CblasRowMajor, CblasTrans, blasInt(rows), blasInt(columns), 1, a, blasInt(lda), b, blasInt(ldb))
    }

    public static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasInt(n), x, 1, y, 1)
    }

    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(blasInt(n), alpha, x, 1, y, 1)
    }

    public static func gesdd(
        m: Int, n: Int, a: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
        u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>
    ) -> Int32 {
        let k = Swift.min(m, n)
        return LAPACKE_sgesdd(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), lapackInt(m), lapackInt(n), a,
            lapackInt(n), s, u, lapackInt(k), vt, lapackInt(n))
    }

    public static func gesvd(
        m: Int, n: Int, a: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
        u: UnsafeMutablePointer<Float>, vt: UnsafeMutablePointer<Float>,
        superb: UnsafeMutablePointer<Float>
    ) -> Int32 {
        let k = Swift.min(m, n)
        return LAPACKE_sgesvd(
            LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), CChar(UInt8(ascii: "S")), lapackInt(m),
            lapackInt(n), a, lapackInt(n), s, u, lapackInt(k), vt, lapackInt(n), superb)
    }

    public static func geqrf(m: Int, n: Int, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), a, lapackInt(n), tau)
    }

    public static func orgqr(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafePointer<Float>
    ) -> Int32 {
        LAPACKE_sorgqr(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(k), a, lapackInt(lda), tau)
    }

    public static func gelqf(m: Int, n: Int, a: UnsafeMutablePointer<Float>, tau: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgelqf(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), a, lapackInt(n), tau)
    }

    public static func orglq(
        m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafePointer<Float>
    ) -> Int32 {
        LAPACKE_sorglq(LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(k), a, lapackInt(lda), tau)
    }

    public static func syrk(transpose: Bool, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, cblasTranspose(transpose), blasInt(n), blasInt(k), 1, a, blasInt(lda),
                    0, c, blasInt(ldc))
    }

    public static func potrf(upper: Bool, n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int32 {
        LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: upper ? "U" : "L")), lapackInt(n), a, lapackInt(lda))
    }

    public static func trtriUpper(n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int32 {
        LAPACKE_strtri(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), CChar(UInt8(ascii: "N")), lapackInt(n), a, lapackInt(lda))
    }

    public static func trsmUpper(left: Bool, m: Int, n: Int, u: UnsafePointer<Float>, ldu: Int, b: UnsafeMutablePointer<Float>, ldb: Int) {
        cblas_strsm(CblasRowMajor, left ? CblasLeft : CblasRight, CblasUpper, left ? CblasTrans : CblasNoTrans,
                    CblasNonUnit, blasInt(m), blasInt(n), 1, u, blasInt(ldu), b, blasInt(ldb))
    }
}
