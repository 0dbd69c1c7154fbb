/// A thin singular value decomposition `A ≈ U·diag(s)·Vᵀ`, possibly truncated.
///
/// For an m×n matrix with k kept singular values, `u` is m×k with orthonormal columns, `s`
/// holds k non-negative values in descending order, and `vt` is k×n with orthonormal rows.
/// `discardedWeight` is `Σ s²` over the singular values that truncation dropped (0 when none
/// were), which equals the squared Frobenius norm of `A − U·diag(s)·Vᵀ`.
public struct SVD<Scalar: BLASScalar>: Sendable {
    public var u: Tensor<Scalar>
    public var s: [Scalar]
    public var vt: Tensor<Scalar>
    public var discardedWeight: Scalar

    /// The number of singular values kept.
    public var rank: Int { s.count }

    /// `U·diag(s)·Vᵀ`.
    public func reconstructed() -> Tensor<Scalar> {
        var us = u
        let k = s.count
        us.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<(buffer.count / Swift.max(k, 1)) {
                for j in 0..<k { buffer[row * k + j] *= s[j] }
            }
        }
        return us.matmul(vt)
    }
}

/// How to truncate a decomposition: keep at most `maxBondDimension` singular values, and drop
/// the smallest ones while the dropped weight stays within `relativeCutoff` of the total.
///
/// The cutoff follows ITensor's convention: with singular values s₁ ≥ … ≥ s_r, keep the
/// smallest k such that `Σ_{i>k} sᵢ² ≤ relativeCutoff · Σᵢ sᵢ²`, then cap k at
/// `maxBondDimension`; k never drops below `minBondDimension` (nor above r).
public struct Truncation: Hashable, Sendable, Codable {
    public var maxBondDimension: Int?
    public var relativeCutoff: Double
    public var minBondDimension: Int

    public init(maxBondDimension: Int? = nil, relativeCutoff: Double = 0, minBondDimension: Int = 1) {
        precondition(maxBondDimension.map { $0 >= 1 } ?? true, "maxBondDimension must be at least 1")
        precondition(relativeCutoff >= 0 && relativeCutoff < 1, "relativeCutoff must be in [0, 1)")
        self.maxBondDimension = maxBondDimension
        self.relativeCutoff = relativeCutoff
        self.minBondDimension = minBondDimension
    }

    /// No truncation at all.
    public static let none = Truncation()

    /// How many of `singularValues` (descending) to keep.
    public func keptCount<Scalar: BLASScalar>(_ singularValues: [Scalar]) -> Int {
        let r = singularValues.count
        guard r > 0 else { return 0 }
        var keep = r
        if relativeCutoff > 0 {
            let total = singularValues.reduce(0.0) { $0 + Double($1) * Double($1) }
            var dropped = 0.0
            while keep > 1 {
                let next = Double(singularValues[keep - 1])
                if dropped + next * next > relativeCutoff * total { break }
                dropped += next * next
                keep -= 1
            }
        }
        if let maxBondDimension { keep = Swift.min(keep, maxBondDimension) }
        return Swift.min(r, Swift.max(keep, minBondDimension))
    }
}

extension Tensor {
    /// The thin SVD of a matrix through LAPACK's divide-and-conquer `?gesdd`, falling back to
    /// the QR-iteration driver `?gesvd` when `?gesdd` does not converge.
    ///
    /// - Throws: ``LinearAlgebraError`` when both drivers fail or the input is not finite.
    /// - Complexity: O(m·n·min(m, n)).
    public func svd() throws -> SVD<Scalar> {
        precondition(rank == 2, "svd() needs a matrix, got shape \(shape)")
        guard isFinite else { throw LinearAlgebraError.nonFiniteInput(routine: "gesdd") }
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        if k == 0 {
            return SVD(u: Tensor(zeros: [m, 0]), s: [], vt: Tensor(zeros: [0, n]), discardedWeight: 0)
        }
        var s = [Scalar](repeating: 0, count: k)
        var u = Tensor(zeros: [m, k])
        var vt = Tensor(zeros: [k, n])
        var work = self
        let info = work.withUnsafeMutableBufferPointer { a in
            u.withUnsafeMutableBufferPointer { pu in
                vt.withUnsafeMutableBufferPointer { pvt in
                    Scalar.gesdd(m: m, n: n, a: a.baseAddress!, s: &s, u: pu.baseAddress!, vt: pvt.baseAddress!)
                }
            }
        }
        if info > 0 {
            // gesdd overwrote its input: start again from the original matrix.
            work = Tensor(shape: shape, scalars: self.scalars)
            var superb = [Scalar](repeating: 0, count: Swift.max(k - 1, 1))
            let fallback = work.withUnsafeMutableBufferPointer { a in
                u.withUnsafeMutableBufferPointer { pu in
                    vt.withUnsafeMutableBufferPointer { pvt in
                        Scalar.gesvd(
                            m: m, n: n, a: a.baseAddress!, s: &s, u: pu.baseAddress!,
                            vt: pvt.baseAddress!, superb: &superb)
                    }
                }
            }
            try LinearAlgebraError.check(fallback, "gesvd")
        } else {
            try LinearAlgebraError.check(info, "gesdd")
        }
        return SVD(u: u, s: s, vt: vt, discardedWeight: 0)
    }

    /// The SVD truncated as `truncation` says; `discardedWeight` is the dropped `Σ s²`.
    public func svd(truncation: Truncation) throws -> SVD<Scalar> {
        let full = try svd()
        return full.truncated(truncation)
    }
}

extension SVD {
    /// Keeps the leading singular triplets that `truncation` allows.
    public func truncated(_ truncation: Truncation) -> SVD {
        let keep = truncation.keptCount(s)
        if keep == s.count { return self }
        let m = u.shape[0], k = s.count
        let dropped = s[keep...].reduce(0.0) { $0 + Double($1) * Double($1) }
        let keptU = Tensor<Scalar>(shape: [m, keep]) { destination in
            u.withUnsafeBufferPointer { source in
                for row in 0..<m {
                    for j in 0..<keep { destination[row * keep + j] = source[row * k + j] }
                }
            }
        }
        return SVD(
            u: keptU, s: Array(s[..<keep]), vt: vt.slice(0..<keep),
            discardedWeight: discardedWeight + Scalar(dropped))
    }
}
