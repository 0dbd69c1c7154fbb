extension Tensor {
    /// The thin QR factorization `A = Q·R` of an m×n matrix: `Q` is m×k with orthonormal
    /// columns and `R` is k×n upper triangular, k = min(m, n). (`?geqrf` + `?orgqr`.)
    ///
    /// - Throws: ``LinearAlgebraError`` if LAPACK reports an error.
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
