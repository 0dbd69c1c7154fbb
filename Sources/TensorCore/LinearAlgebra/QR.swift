extension Tensor {
    /// The thin QR factorization `A = Q·R` of an m×n matrix: `Q` is m×k with orthonormal
    /// columns and `R` is k×n upper triangular, k = min(m, n). (`?geqrf` + `?orgqr`.)
    ///
    /// - Throws: ``LinearAlgebraError`` if LAPACK reports an error.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func qr() throws -> (q: Tensor, r: Tensor) {
        precondition(rank == 2, "qr() needs a matrix, got shape \(shape)")
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        var a = self
        var tau = [Scalar](repeating: 0, count: Swift.max(k, 1))
        try LinearAlgebraError.check(
            a.withUnsafeMutableBufferPointer { Scalar.geqrf(m: m, n: n, a: $0.baseAddress!, tau: &tau) },
            "geqrf")
        // R: the upper triangle of the first k rows.
        let r = Tensor(shape: [k, n]) { destination in
            a.withUnsafeBufferPointer { source in
                for i in 0..<k { for j in 0..<n { destination[i * n + j] = j >= i ? source[i * n + j] : 0 } }
            }
        }
        // Q: the first k columns of the reflectors, expanded in place (leading dimension n).
        var q = Tensor(zeros: [m, k])
        if k > 0 {
            try LinearAlgebraError.check(
                a.withUnsafeMutableBufferPointer {
                    Scalar.orgqr(m: m, n: k, k: k, a: $0.baseAddress!, lda: n, tau: tau)
                }, "orgqr")
            q = Tensor(shape: [m, k]) { destination in
                a.withUnsafeBufferPointer { source in
                    for i in 0..<m { for j in 0..<k { destination[i * k + j] = source[i * n + j] } }
                }
            }
        }
        return (q, r)
    }

    /// The thin LQ factorization `A = L·Q` of an m×n matrix: `L` is m×k lower triangular and
    /// `Q` is k×n with orthonormal rows, k = min(m, n). (`?gelqf` + `?orglq`.)
    ///
    /// - Throws: ``LinearAlgebraError`` if LAPACK reports an error.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func lq() throws -> (l: Tensor, q: Tensor) {
        precondition(rank == 2, "lq() needs a matrix, got shape \(shape)")
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        var a = self
        var tau = [Scalar](repeating: 0, count: Swift.max(k, 1))
        try LinearAlgebraError.check(
            a.withUnsafeMutableBufferPointer { Scalar.gelqf(m: m, n: n, a: $0.baseAddress!, tau: &tau) },
            "gelqf")
        let l = Tensor(shape: [m, k]) { destination in
            a.withUnsafeBufferPointer { source in
                for i in 0..<m { for j in 0..<k { destination[i * k + j] = j <= i ? source[i * n + j] : 0 } }
            }
        }
        // Q: the first k rows of A hold the reflectors; orglq expands them in place.
        var q = a.slice(0..<k)
        if k > 0 {
            try LinearAlgebraError.check(
                q.withUnsafeMutableBufferPointer {
                    Scalar.orglq(m: k, n: n, k: k, a: $0.baseAddress!, lda: n, tau: tau)
                }, "orglq")
        }
        return (l, q)
    }
}

extension Tensor {
    /// The thin QR factorization of a tall m×n matrix (m ≥ n) by CholeskyQR2: R₁ = chol(AᵀA),
    /// Q₁ = A·R₁⁻¹, then once more on Q₁ (R₂, Q = Q₁·R₂⁻¹), R = R₂·R₁ — Gram matrices, Cholesky
    /// factorizations and triangular solves, all level-3 BLAS (4mn² + n³ flops), with R's
    /// diagonal positive. The second pass makes Q orthonormal to working precision when
    /// cond(A) ≲ ε^(−1/2).
    ///
    /// One pass already does when A is well conditioned: Q₁ = A·R₁⁻¹ loses orthogonality like
    /// κ₂(A)²·ε, and κ₂(A) = κ₂(R₁) ≤ √(‖R₁‖₁‖R₁‖∞‖R₁⁻¹‖₁‖R₁⁻¹‖∞) =: κ̂, a bound computed from
    /// the explicit inverse in O(n²). When κ̂²·ε ≤ 2⁻⁴⁶ (≈ 1.4·10⁻¹⁴; κ̂ ≤ 8 in Double, never in
    /// Float) the second pass is skipped and Q₁ is formed by a GEMM with R₁⁻¹ (OpenBLAS's GEMM
    /// runs at 3–4× the flop rate of its triangular solve here: 41–57 vs 9–14 GFLOP/s on one core
    /// at n = 100–400, double): 3mn² + 2n³/3 flops (syrk, GEMM, Cholesky, triangular inverse)
    /// instead of 4mn² + n³, at the GEMM's rate. The cores of an MPS
    /// re-canonicalized after every small optimizer step are such matrices (an isometry moved by
    /// 10⁻³–3·10⁻³ per entry: κ₂ ≈ 1.03–1.18, LAPACK's κ₁ estimate 1.2–4.9 at n = 100–400,
    /// measured), and their factorization is most of that step.
    ///
    /// - Returns: nil when A is too ill-conditioned for it (a Cholesky factorization fails, or
    ///   R₁'s diagonal spans more than ε^(−1/2)·10⁻¹): use ``qr()`` then.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func choleskyQR() -> (q: Tensor, r: Tensor)? {
        precondition(rank == 2 && shape[0] >= shape[1], "choleskyQR() needs a tall matrix, got shape \(shape)")
        return choleskyOrthonormalized(rows: false).map { (q: $0.q, r: $0.u) }
    }

    /// The thin LQ factorization of a wide m×n matrix (m ≤ n) by CholeskyQR2 on the rows
    /// (L = (U₂U₁)ᵀ lower with a positive diagonal, Q with orthonormal rows), without transposing A.
    ///
    /// - Returns: nil when A is too ill-conditioned for it: use ``lq()`` then.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func choleskyLQ() -> (l: Tensor, q: Tensor)? {
        precondition(rank == 2 && shape[0] <= shape[1], "choleskyLQ() needs a wide matrix, got shape \(shape)")
        return choleskyOrthonormalized(rows: true).map { (l: $0.u.transposed(), q: $0.q) }
    }

    /// Skip CholeskyQR's second pass when κ̂²·ε is at most this (see ``choleskyQR()``).
    static var singlePassOrthogonalityLimit: Double { 0x1p-46 }

    /// One or two CholeskyQR passes on the columns (A = Q·U) or the rows (A = Uᵀ·Q) of A; U
    /// upper; `passes` says how many ran.
    func choleskyOrthonormalized(rows: Bool) -> (q: Tensor, u: Tensor, passes: Int)? {
        let (m, n) = (shape[0], shape[1])
        let k = rows ? m : n           // the Gram matrix is k×k
        let inner = rows ? n : m
        guard k > 0 else { return nil }
        var q = self
        var u = Tensor(zeros: [k, k])
        for pass in 0..<2 {
            var gram = Tensor(zeros: [k, k])
            q.withUnsafeBufferPointer { a in
                gram.withUnsafeMutableBufferPointer { g in
                    Scalar.syrk(transpose: !rows, n: k, k: inner, a: a.baseAddress!, lda: n, c: g.baseAddress!, ldc: k)
                }
            }
            let info = gram.withUnsafeMutableBufferPointer { Scalar.potrf(upper: true, n: k, a: $0.baseAddress!, lda: k) }
            guard info == 0 else { return nil }
            gram.withUnsafeMutableBufferPointer { g in  // U: clear the lower triangle potrf left alone
                for i in 0..<k { for j in 0..<i { g[i * k + j] = 0 } }
            }
            if pass == 0 {
                let diagonal = gram.withUnsafeBufferPointer { g in (0..<k).map { i in abs(g[i * k + i]) } }
                guard let smallest = diagonal.min(), let largest = diagonal.max(), smallest > 0,
                      largest / smallest < 0.1 / Scalar.ulpOfOne.squareRoot() else { return nil }
                if let inverse = Self.inverseIfWellConditioned(gram) {
                    // Q₁ = A·U⁻¹ (columns) or U⁻ᵀ·A (rows), one GEMM.
                    return (rows ? inverse.matmul(self, transposeSelf: true) : matmul(inverse), gram, 1)
                }
            }
            q.withUnsafeMutableBufferPointer { b in
                gram.withUnsafeBufferPointer { t in
                    Scalar.trsmUpper(left: rows, m: m, n: n, u: t.baseAddress!, ldu: k, b: b.baseAddress!, ldb: n)
                }
            }
            u = pass == 0 ? gram : gram.matmul(u)
        }
        return (q, u, 2)
    }

    /// U⁻¹ for an upper-triangular k×k `u` when its bound κ̂ = √(‖U‖₁‖U‖∞‖U⁻¹‖₁‖U⁻¹‖∞) ≥ κ₂(U)
    /// makes one CholeskyQR pass orthonormal to κ̂²·ε ≤ ``singlePassOrthogonalityLimit``; nil
    /// otherwise (and without inverting when ε alone exceeds the limit, as in Float).
    private static func inverseIfWellConditioned(_ u: Tensor) -> Tensor? {
        let epsilon = Double(Scalar.ulpOfOne)
        guard epsilon <= singlePassOrthogonalityLimit else { return nil }
        let k = u.shape[0]
        var inverse = u
        let info = inverse.withUnsafeMutableBufferPointer { Scalar.trtriUpper(n: k, a: $0.baseAddress!, lda: k) }
        guard info == 0 else { return nil }
        func norms(_ t: Tensor) -> (one: Double, infinity: Double) {
            t.withUnsafeBufferPointer { p in
                var columns = [Double](repeating: 0, count: k), rowMax = 0.0
                for i in 0..<k {
                    var row = 0.0
                    for j in i..<k {
                        let x = Double(abs(p[i * k + j]))
                        row += x
                        columns[j] += x
                    }
                    rowMax = Swift.max(rowMax, row)
                }
                return (columns.max() ?? 0, rowMax)
            }
        }
        let (a, b) = (norms(u), norms(inverse))
        let boundSquared = a.one * a.infinity * b.one * b.infinity
        return boundSquared.isFinite && boundSquared * epsilon <= singlePassOrthogonalityLimit ? inverse : nil
    }
}
