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
    ///
    /// The rows go in blocks whose [rows, d·D_r] intermediate stays in cache (``blockRows(copies:width:)``);
    /// with `workers` > 1 the blocks are split over that many threads, BLAS one thread each (the
    /// caller's count restored afterwards, so no other BLAS call may run meanwhile). Each row's
    /// numbers do not depend on the blocks or the workers.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func absorbLeft<Scalar: BLASScalar>(
        _ v: Tensor<Scalar>, core: Tensor<Scalar>, features: Tensor<Scalar>, site: Int, rows inputs: Range<Int>,
        copies: Int = 1, workers: Int = 1
    ) -> Tensor<Scalar> {
        let n = inputs.count * copies, dl = core.shape[0], d = core.shape[1], dr = core.shape[2]
        precondition(core.rank == 3 && d >= 1 && v.shape == [n, dl], "left environment \(v.shape) does not fit core \(core.shape)")
        guard n > 0 else { return Tensor(zeros: [0, dr]) }
        let count = features.shape[1]
        return Tensor(shape: [n, dr]) { out in
            v.withUnsafeBufferPointer { pv in
                core.withUnsafeBufferPointer { pa in
                    features.withUnsafeBufferPointer { phi in
                        let (out, pv, pa, phi) = (UncheckedSendable(out.baseAddress!), pv.baseAddress!, pa.baseAddress!, phi.baseAddress!)
                        inBlocks(inputs: inputs.count, copies: copies, width: d * dr, workers: workers) { (block: Range<Int>, t: UnsafeMutablePointer<Scalar>) in
                            let first = block.lowerBound * copies, m = block.count * copies
                            gemm(transposeA: false, transposeB: false, m: m, n: d * dr, k: dl, alpha: 1,
                                 a: pv + first * dl, lda: dl, b: pa, ldb: d * dr, beta: 0, c: t, ldc: d * dr)
                            for q in 0..<m {
                                let i = first + q
                                let f = phi + (site * count + inputs.lowerBound + i / copies) * d
                                let row = t + q * d * dr, target = out.value + i * dr
                                for r in 0..<dr { target[r] = f[0] * row[r] }
                                for s in 1..<d { for r in 0..<dr { target[r] += f[s] * row[s * dr + r] } }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `W'[i, l] = Σ_{s,r} A[l, s, r]·φ_s(x_i at site)·W[i, r]` for a [D_l, d, D_r] core;
    /// `copies`, the blocks and `workers` as ``absorbLeft(_:core:features:site:rows:copies:workers:)``.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func absorbRight<Scalar: BLASScalar>(
        _ w: Tensor<Scalar>, core: Tensor<Scalar>, features: Tensor<Scalar>, site: Int, rows inputs: Range<Int>,
        copies: Int = 1, workers: Int = 1
    ) -> Tensor<Scalar> {
        let n = inputs.count * copies, dl = core.shape[0], d = core.shape[1], dr = core.shape[2]
        precondition(core.rank == 3 && d >= 1 && w.shape == [n, dr], "right environment \(w.shape) does not fit core \(core.shape)")
        guard n > 0 else { return Tensor(zeros: [0, dl]) }
        let count = features.shape[1]
        // Per block: Z[i, s, r] = φ_s·W[i, r], then W' = Z·Aᵀ with A as [D_l, d·D_r].
        return Tensor(shape: [n, dl]) { out in
            w.withUnsafeBufferPointer { pw in
                core.withUnsafeBufferPointer { pa in
                    features.withUnsafeBufferPointer { phi in
                        let (out, pw, pa, phi) = (UncheckedSendable(out.baseAddress!), pw.baseAddress!, pa.baseAddress!, phi.baseAddress!)
                        inBlocks(inputs: inputs.count, copies: copies, width: d * dr, workers: workers) { (block: Range<Int>, z: UnsafeMutablePointer<Scalar>) in
                            let first = block.lowerBound * copies, m = block.count * copies
                            for q in 0..<m {
                                let i = first + q
                                let f = phi + (site * count + inputs.lowerBound + i / copies) * d
                                let source = pw + i * dr, row = z + q * d * dr
                                for s in 0..<d { for r in 0..<dr { row[s * dr + r] = f[s] * source[r] } }
                            }
                            gemm(transposeA: false, transposeB: true, m: m, n: dl, k: d * dr, alpha: 1,
                                 a: z, lda: d * dr, b: pa, ldb: d * dr, beta: 0, c: out.value + first * dl, ldc: dl)
                        }
                    }
                }
            }
        }
    }

    /// The inputs of a block: as many as keep its [inputs·copies, width] intermediate within
    /// 32 Ki scalars (128 KiB in single precision, inside a core's L2 cache), at least one.
    static func blockInputs(copies: Int, width: Int) -> Int {
        Swift.max(1, (32 * 1024) / Swift.max(1, copies * width))
    }

    /// Runs `body(block, scratch)` over consecutive blocks of `inputs` (fixed boundaries, so the
    /// numbers do not depend on `workers`), each worker with its own scratch of
    /// [blockInputs·copies, width] scalars; with several workers, BLAS runs one thread each.
    private static func inBlocks<Scalar: BLASScalar>(
        inputs: Int, copies: Int, width: Int, workers: Int,
        _ body: (Range<Int>, UnsafeMutablePointer<Scalar>) -> Void
    ) {
        let size = blockInputs(copies: copies, width: width)
        let blocks = (inputs + size - 1) / size
        let workers = Swift.max(1, Swift.min(workers, blocks))
        let perWorker = (blocks + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            let run = { (w: Int) in
                let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: size * copies * width)
                defer { scratch.deallocate() }
                for b in (w * perWorker)..<Swift.min(blocks, (w + 1) * perWorker) {
                    body(b * size..<Swift.min(inputs, (b + 1) * size), scratch)
                }
            }
            ParallelWorkers.run(workers, run)
        }
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
