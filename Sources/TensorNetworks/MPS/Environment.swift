import TensorCore

/// Batched environments of an MPS: the contraction of a run of cores with the features of many
/// inputs at once, one vector per input.
///
/// Each step "contracts the features into the core" with one GEMM over all inputs of a chunk:
/// for the left environment, `T = V·A` with V the [n, D_l] environments and A the core as a
/// [D_l, d·D_r] matrix, then `V'[i, r] = Σ_s φ_s(x_i)·T[i, s, r]`; 2·n·D_l·d·D_r flops.
public enum Environment {
    /// The left environments [rows, D_site] of the cores `0..<site` (a column of ones for site 0),
    /// each row scaled to unit norm after every site if `normalizingRows`.
    public static func leftEnvironment<Scalar: BLASScalar>(
        of mps: MPSClassifier<Scalar>, upTo site: Int, features: Tensor<Scalar>, rows: Range<Int>,
        normalizingRows: Bool = false
    ) -> Tensor<Scalar> {
        var v = Tensor<Scalar>(shape: [rows.count, 1], repeating: 1)
        for j in 0..<site {
            v = absorbLeft(v, core: mps.cores[j], features: features, site: j, rows: rows)
            if normalizingRows { normalizeRows(&v) }
        }
        return v
    }

    /// The right environments [rows, D_site] of the cores `site..<L` (ones for site = L), each
    /// row scaled to unit norm after every site if `normalizingRows`.
    public static func rightEnvironment<Scalar: BLASScalar>(
        of mps: MPSClassifier<Scalar>, downTo site: Int, features: Tensor<Scalar>, rows: Range<Int>,
        normalizingRows: Bool = false
    ) -> Tensor<Scalar> {
        var w = Tensor<Scalar>(shape: [rows.count, 1], repeating: 1)
        for j in stride(from: mps.siteCount - 1, through: site, by: -1) {
            w = absorbRight(w, core: mps.cores[j], features: features, site: j, rows: rows)
            if normalizingRows { normalizeRows(&w) }
        }
        return w
    }

    /// `V'[i, r] = Σ_{l,s} V[i, l]·φ_s(x_i at site)·A[l, s, r]` for a [D_l, d, D_r] core.
    ///
    /// With `copies` > 1, V has `copies` consecutive rows per input (an environment that carries
    /// the label, [n·C, D_l]), all contracted with that input's features.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func absorbLeft<Scalar: BLASScalar>(
        _ v: Tensor<Scalar>, core: Tensor<Scalar>, features: Tensor<Scalar>, site: Int, rows inputs: Range<Int>,
        copies: Int = 1
    ) -> Tensor<Scalar> {
        let n = inputs.count * copies, dl = core.shape[0], d = core.shape[1], dr = core.shape[2]
        precondition(core.rank == 3 && v.shape == [n, dl], "left environment \(v.shape) does not fit core \(core.shape)")
        var t = Tensor<Scalar>(zeros: [n, d * dr])
        t.withUnsafeMutableBufferPointer { pt in
            v.withUnsafeBufferPointer { pv in
                core.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: false, m: n, n: d * dr, k: dl, alpha: 1,
                         a: pv.baseAddress!, lda: dl, b: pa.baseAddress!, ldb: d * dr,
                         beta: 0, c: pt.baseAddress!, ldc: d * dr)
                }
            }
        }
        return Tensor(shape: [n, dr]) { out in
            t.withUnsafeBufferPointer { pt in
                features.withUnsafeBufferPointer { phi in
                    let count = features.shape[1]
                    for i in 0..<n {
                        let f = phi.baseAddress! + (site * count + inputs.lowerBound + i / copies) * d
                        let row = pt.baseAddress! + i * d * dr
                        for r in 0..<dr {
                            var total: Scalar = 0
                            for s in 0..<d { total += f[s] * row[s * dr + r] }
                            out[i * dr + r] = total
                        }
                    }
                }
            }
        }
    }

    /// `W'[i, l] = Σ_{s,r} A[l, s, r]·φ_s(x_i at site)·W[i, r]` for a [D_l, d, D_r] core;
    /// `copies` as ``absorbLeft(_:core:features:site:rows:copies:)``.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func absorbRight<Scalar: BLASScalar>(
        _ w: Tensor<Scalar>, core: Tensor<Scalar>, features: Tensor<Scalar>, site: Int, rows inputs: Range<Int>,
        copies: Int = 1
    ) -> Tensor<Scalar> {
        let n = inputs.count * copies, dl = core.shape[0], d = core.shape[1], dr = core.shape[2]
        precondition(core.rank == 3 && w.shape == [n, dr], "right environment \(w.shape) does not fit core \(core.shape)")
        // Z[i, s, r] = φ_s·W[i, r], then W' = Z·Aᵀ with A as [D_l, d·D_r].
        let z = Tensor<Scalar>(shape: [n, d * dr]) { out in
            w.withUnsafeBufferPointer { pw in
                features.withUnsafeBufferPointer { phi in
                    let count = features.shape[1]
                    for i in 0..<n {
                        let f = phi.baseAddress! + (site * count + inputs.lowerBound + i / copies) * d
                        for s in 0..<d { for r in 0..<dr { out[(i * d + s) * dr + r] = f[s] * pw[i * dr + r] } }
                    }
                }
            }
        }
        var result = Tensor<Scalar>(zeros: [n, dl])
        result.withUnsafeMutableBufferPointer { out in
            z.withUnsafeBufferPointer { pz in
                core.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: true, m: n, n: dl, k: d * dr, alpha: 1,
                         a: pz.baseAddress!, lda: d * dr, b: pa.baseAddress!, ldb: d * dr,
                         beta: 0, c: out.baseAddress!, ldc: dl)
                }
            }
        }
        return result
    }

    /// `f[i, ℓ] = Σ_{l,s,r} V[i, l]·φ_s·A[l, s, ℓ, r]·W[i, r]` for the [D_l, d, C, D_r] label core.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func labelOutputs<Scalar: BLASScalar>(
        left v: Tensor<Scalar>, core: Tensor<Scalar>, right w: Tensor<Scalar>,
        features: Tensor<Scalar>, site: Int, rows: Range<Int>
    ) -> Tensor<Scalar> {
        let n = rows.count, dl = core.shape[0], d = core.shape[1], c = core.shape[2], dr = core.shape[3]
        let flat = core.reshaped([dl, d * c * dr])
        var t = Tensor<Scalar>(zeros: [n, d * c * dr])
        t.withUnsafeMutableBufferPointer { pt in
            v.withUnsafeBufferPointer { pv in
                flat.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: false, m: n, n: d * c * dr, k: dl, alpha: 1,
                         a: pv.baseAddress!, lda: dl, b: pa.baseAddress!, ldb: d * c * dr,
                         beta: 0, c: pt.baseAddress!, ldc: d * c * dr)
                }
            }
        }
        return Tensor(shape: [n, c]) { out in
            t.withUnsafeBufferPointer { pt in
                w.withUnsafeBufferPointer { pw in
                    features.withUnsafeBufferPointer { phi in
                        let count = features.shape[1]
                        for i in 0..<n {
                            let f = phi.baseAddress! + (site * count + rows.lowerBound + i) * d
                            let row = pt.baseAddress! + i * d * c * dr
                            let wr = pw.baseAddress! + i * dr
                            for l in 0..<c {
                                var total: Scalar = 0
                                for s in 0..<d {
                                    let block = row + (s * c + l) * dr
                                    var inner: Scalar = 0
                                    for r in 0..<dr { inner += block[r] * wr[r] }
                                    total += f[s] * inner
                                }
                                out[i * c + l] = total
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scales every row of `v` ([n, D]) to unit Euclidean norm; zero rows stay zero.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func normalizeRows<Scalar: BLASScalar>(_ v: inout Tensor<Scalar>) {
        precondition(v.rank == 2, "normalizeRows needs a matrix, got \(v.shape)")
        let (n, width) = (v.shape[0], v.shape[1])
        v.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                let row = p.baseAddress! + i * width
                var sum: Double = 0
                for r in 0..<width { let x = Double(row[r]); sum += x * x }
                guard sum > 0 && sum.isFinite else { continue }
                let inverse = Scalar(1 / sum.squareRoot())
                for r in 0..<width { row[r] *= inverse }
            }
        }
    }
}
