import TensorCore

extension MPSClassifier {
    /// Brings the MPS to mixed canonical form around `center`: cores left of it become left
    /// isometries (QR of each core as a [D_l·rest, D_r] matrix, R absorbed to the right), cores
    /// right of it right isometries (LQ as [D_l, rest·D_r], L absorbed to the left). The function
    /// f is unchanged; ‖W‖ is then the Frobenius norm of the centre core.
    ///
    /// The factorizations are CholeskyQR2 (``TensorCore/Tensor/choleskyQR()``: Gram matrices,
    /// Cholesky, triangular solves — all level-3 BLAS, three times the speed of Householder QR
    /// at D = 200 here), with Householder QR/LQ where a core is too ill-conditioned for it
    /// (a fresh, rank-deficient initialization). The triangular factors then have a positive
    /// diagonal, a gauge choice: f and the canonical form are the same either way.
    ///
    /// A bond shrinks to min(rows, columns) of its factorization when that is smaller than the
    /// bond (the edges of a chain whose bonds exceed d^j): initialize with
    /// ``cappedBondDimensions(siteCount:bondDimension:physicalDimension:)`` to keep every shape.
    ///
    /// Cost: Σ_j 4·D_l·rest·D_r² flops for the factorizations and products (the QR of a
    /// [D·d, D] matrix and one GEMM per site).
    /// - Throws: ``LinearAlgebraError`` if a factorization fails (a non-finite core).
    public mutating func canonicalize(center: Int) throws {
        precondition(center >= 0 && center < siteCount, "centre \(center) outside 0..<\(siteCount)")
        for j in 0..<center {
            let core = cores[j], right = core.shape.last!
            let matrix = core.reshaped([core.count / right, right])
            let (q, r) = try (matrix.shape[0] >= right ? matrix.choleskyQR() : nil) ?? matrix.qr()
            cores[j] = q.reshaped(Array(core.shape.dropLast()) + [q.shape[1]])
            let next = cores[j + 1], left = next.shape[0]
            let absorbed = r.matmul(next.reshaped([left, next.count / left]))
            cores[j + 1] = absorbed.reshaped([r.shape[0]] + Array(next.shape.dropFirst()))
        }
        for j in stride(from: siteCount - 1, to: center, by: -1) {
            let core = cores[j], left = core.shape[0]
            let matrix = core.reshaped([left, core.count / left])
            let (l, q) = try (matrix.shape[1] >= left ? matrix.choleskyLQ() : nil) ?? matrix.lq()
            cores[j] = q.reshaped([q.shape[0]] + Array(core.shape.dropFirst()))
            let previous = cores[j - 1], right = previous.shape.last!
            let absorbed = previous.reshaped([previous.count / right, right]).matmul(l)
            cores[j - 1] = absorbed.reshaped(Array(previous.shape.dropLast()) + [l.shape[1]])
        }
    }

    /// Divides the core at `center` by its Frobenius norm and returns that norm: in mixed
    /// canonical form around `center` (``canonicalize(center:)``) this is ‖W‖, and the MPS is
    /// then normalized, ‖W‖ = 1 (quimb's `normalize(insert=center)`).
    @discardableResult
    public mutating func normalizeCenter(_ center: Int) -> Double {
        let norm = cores[center].withUnsafeBufferPointer { p in
            p.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        guard norm > 0 && norm.isFinite else { return norm }
        let inverse = Scalar(1 / norm)
        cores[center].mapInPlace { $0 * inverse }
        return norm
    }

    /// The floating-point work of ``canonicalize(center:)``: per factorized [m, n] matrix
    /// (m ≥ n) 4mn² + n³ for CholeskyQR2 (two Gram matrices and two triangular solves, mn² each,
    /// the Cholesky factorizations and R₂·R₁), plus 2·n²·(size of the neighbour / n) for absorbing
    /// the triangular factor.
    public func canonicalizationFlops(center: Int) -> Double {
        var total = 0.0
        func factor(_ m: Int, _ n: Int, _ neighbour: Int) {
            let (big, small) = (Double(Swift.max(m, n)), Double(Swift.min(m, n)))
            total += 4 * big * small * small + small * small * small + 2 * small * Double(neighbour)
        }
        for j in 0..<center {
            let r = cores[j].shape.last!
            factor(cores[j].count / r, r, cores[j + 1].count)
        }
        for j in stride(from: siteCount - 1, to: center, by: -1) {
            let l = cores[j].shape[0]
            factor(l, cores[j].count / l, cores[j - 1].count)
        }
        return total
    }

    /// D_j = min(D, d^j, d^(L−j)) for j = 0…L: the largest bonds a chain of L sites with physical
    /// dimension d can use (tn4ml's `shape_method="noteven"`); canonicalization keeps them.
    public static func cappedBondDimensions(siteCount: Int, bondDimension: Int, physicalDimension: Int) -> [Int] {
        func power(_ e: Int) -> Int {
            var p = 1
            for _ in 0..<e { p *= physicalDimension; if p >= bondDimension { return bondDimension } }
            return p
        }
        return (0...siteCount).map { j in Swift.min(bondDimension, power(j), power(siteCount - j)) }
    }
}
