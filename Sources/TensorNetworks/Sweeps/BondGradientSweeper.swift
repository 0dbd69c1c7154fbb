import TensorCore
// Re-exported: the sweeper's public API is in terms of `Adam`.
import Optimization

/// tn4ml's `Sweeps` strategy (two-way, grouping 2) for an ``MPSClassifier``: for every
/// mini-batch, one Adam step on each merged two-site tensor in turn, sweeping right and back.
///
/// For a batch, the pair steps run over (0,1), (1,2), …, (L−2,L−1), then (L−1,L−2), …, (1,0).
/// At pair (j, j+1), with the orthogonality centre on the pair:
///
/// 1. the two cores are contracted into the merged tensor
///    B[l, s, (ℓ), t, (ℓ), r] (the label leg ℓ of extent C stays after the physical leg of its
///    own site when the label site is one of the two; a [D_l·d·(C), d·(C)·D_r] matrix);
/// 2. the mean softmax cross-entropy of the batch and its gradient with respect to B,
///    G[l, s, t, r] = Σ_b L[b, l]·φ_j[b, s]·φ_{j+1}[b, t]·R[b, r]·g[b, ℓ] (g = ∂loss/∂f, with the
///    ℓ index on whichever factor carries the label), are formed from cached environments;
/// 3. B takes one Adam step, with an Adam state of its own for each pair *and direction*
///    (tn4ml keys optax states by the `sites` tuple, so (3,4) and (4,3) are separate);
/// 4. B is split back by an SVD keeping the bond's previous size (cutoff 0).
///
/// The reported batch loss is the mean over the 2(L−1) pair steps of the loss *before* each
/// step, as tn4ml reports it.
///
/// **Canonical form without re-canonicalizing.** tn4ml canonicalizes the whole MPS around each
/// pair and splits with quimb's `absorb="both"` (√S into each side). Here the singular values go
/// into the core in the direction of motion (U | S·Vᵀ moving right, U·S | Vᵀ moving left), so
/// the cores behind the sweep stay isometries and the next pair is already the orthogonality
/// centre; only the initializer canonicalizes (LQ factorizations from the right end down to
/// site 2). The next step's state is the same as tn4ml's up to a sign per bond basis vector:
/// QR-canonicalizing tn4ml's U·√S gives U·√S = Q·R, so √S·R⁻¹ = Uᵀ·Q is orthogonal and upper
/// triangular, hence diagonal ±1 (for nonzero singular values); likewise re-orthogonalizing an
/// isometry changes it by ±1 signs only. Merged tensors, gradients and Adam's element-wise
/// update are equivariant under such sign flips, so the function and the losses agree with
/// tn4ml's; the signs themselves (which the Adam moments of a later visit see) depend on each
/// library's QR/SVD sign conventions — as in tn4ml, a pair's moments carry over from one batch
/// to the next in whatever gauge the pair then has.
///
/// **Environments.** Per batch, the right environments of all sites are computed once at the
/// start (one GEMM per site); after each right-moving pair update the left environment grows by
/// one site (one GEMM), and on the way back the left ones are still valid (the cores left of the
/// pair have not changed since) while the right ones grow by one site per step. An environment
/// on the label's side carries the label index: its rows are (sample, ℓ).
///
/// **Cost per pair step** for an [m, n] merged matrix (m = D_l·d·(C), n = d·(C)·D_r) and a
/// batch of B: the merge 2·m·D·n, the outputs 2·B·m·n, the gradient 2·B·m·n, one environment
/// GEMM 2·B·D_l·d·D, and the SVD of the m×n matrix (``svdFlops(rows:columns:)``). The SVDs
/// dominate from D ≈ 10 on (B = 32): at D = 100 a [300, 300] SVD is ~2.5·10⁸ flops against
/// ~3·10⁷ for the merge and the two batch GEMMs, and LAPACK runs it well below GEMM speed (its
/// bidiagonalization is half matrix-vector work). tn4ml splits the same matrices by an SVD too.
/// Measured on the breast-cancer shape (30 sites, d = 3, C = 2, 364 samples in batches of 32; one
/// thread of a shared 2-core Xeon, release build): the splits take 83–95% of an epoch from D = 10
/// on, and from D = 50 on an epoch runs at the SVDs' rate, 2.6–7 GFLOP/s (varying with the
/// machine's load) against 41 for a 1024³ GEMM (`tnbench kernels`, rows `BondGradientSweeper
/// batch` and `svd (gesdd)`).
///
/// **Numerics.** Plain contraction in the scalar type. The cores behind the sweep are isometries,
/// so an environment row is bounded by the product of ‖φ(x)‖ over its sites (1 for the
/// trigonometric map, at most √3 per site for the degree-2 polynomial map on [0, 1]): finite for
/// the 30-site breast-cancer chain in `Double`, not meant for hundreds of sites in `Float`.
///
/// A pair step whose loss or gradient is not finite takes no Adam step (the split still runs, so
/// the sweep keeps its canonical form); its batch counts as non-finite and is left out of the
/// mean loss.
///
/// ```swift
/// let sweeper = try BondGradientSweeper(model: mps, batchCapacity: 32, learningRate: 1e-3)
/// let report = try sweeper.trainEpoch(features: phi, labels: y, batches: schedule)
/// let outputs = sweeper.model.evaluate(features: testPhi)
/// ```
public final class BondGradientSweeper<Scalar: BLASScalar> {
    /// The current MPS: canonical, with the orthogonality centre on sites (0, 1) between batches.
    /// Its bond dimensions are those of the initial model.
    public private(set) var model: MPSClassifier<Scalar>
    /// After every batch, divide the orthogonality centre (site 0, where the left-moving
    /// half-sweep ends) by its norm, so that ‖W‖ = 1: tn4ml's `train(normalize=True)`, which it
    /// applies after each batch with the `Sweeps` strategy too. Off by default.
    public var normalizesAfterBatch = false
    /// The largest batch ``trainEpoch(features:labels:batches:)`` accepts.
    public let batchCapacity: Int
    /// The optimizer each pair step starts from (one copy per pair and direction).
    public let optimizer: Adam
    /// One Adam per pair step, in sweep order (index p < L − 1: pair (p, p+1); then (L−1−q, L−2−q)).
    private var optimizers: [Adam]
    /// Floating-point operations spent so far, the initial canonicalization included.
    public private(set) var flops: Double = 0

    /// What one epoch did.
    public struct EpochReport: Sendable, Equatable {
        /// Mean over the finite batches of each batch's loss (itself the mean over its pair steps
        /// of the batch cross-entropy before the step); nil when no batch was finite.
        public var meanLoss: Double?
        /// Error of the model as each finite batch found it (its first pair step, before any update),
        /// over those batches' samples.
        public var trainError: Double?
        public var batches: Int
        public var nonFiniteBatches: Int
        /// All flops of the epoch (merges, outputs, gradients, environments, SVDs).
        public var flops: Double
        /// The SVDs' share of ``flops`` (estimated by ``svdFlops(rows:columns:)``).
        public var decompositionFlops: Double
        /// Wall-clock seconds of the epoch and of its splits (SVD, truncation, S absorbed; not deterministic).
        public var seconds: Double
        public var decompositionSeconds: Double

        /// The deterministic part: everything except the two timings.
        public var withoutTimings: EpochReport {
            var copy = self
            copy.seconds = 0
            copy.decompositionSeconds = 0
            return copy
        }
    }

    /// Canonicalizes `model` (orthogonality centre on sites 0 and 1) and prepares one Adam per
    /// pair step, each a copy of `optimizer`.
    ///
    /// - Precondition: at least two sites; no bond larger than the rank its neighbours allow,
    ///   D_j ≤ D_{j−1}·d·c_{j−1} and D_j ≤ d·c_j·D_{j+1} (c = C on the label site, else 1), so that
    ///   neither the canonicalization nor a split ever changes a bond — e.g. bonds capped at
    ///   min(D, d^j, d^(L−j)); `optimizer` has taken no step.
    /// - Throws: ``LinearAlgebraError`` if an LQ factorization fails.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public init(model: MPSClassifier<Scalar>, batchCapacity: Int, optimizer: Adam) throws {
        let l = model.siteCount, d = model.physicalDimension, bonds = model.bondDimensions
        precondition(l >= 2, "sweeps need at least two sites, got \(l)")
        precondition(batchCapacity >= 1, "batch capacity must be positive, got \(batchCapacity)")
        precondition(optimizer.step == 0, "the optimizer template has already taken \(optimizer.step) steps")
        func c(_ j: Int) -> Int { j == model.labelSite ? model.labelCount : 1 }
        for j in 1..<l {
            precondition(bonds[j] <= bonds[j - 1] * d * c(j - 1) && bonds[j] <= d * c(j) * bonds[j + 1],
                         "bond \(j) of \(bonds) exceeds the rank its neighbours allow (D_{j−1}·d·c = \(bonds[j - 1] * d * c(j - 1)), d·c·D_{j+1} = \(d * c(j) * bonds[j + 1])): cap bonds at min(D, d^j, d^(L−j))")
        }
        self.model = model
        self.batchCapacity = batchCapacity
        self.optimizer = optimizer
        self.optimizers = Array(repeating: optimizer, count: 2 * (l - 1))
        try canonicalize()
    }

    /// tn4ml's defaults: optax's Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8 on the bias-corrected
    /// moments) at `learningRate`.
    public convenience init(
        model: MPSClassifier<Scalar>, batchCapacity: Int, learningRate: Double = 1e-3,
        beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8
    ) throws {
        try self.init(
            model: model, batchCapacity: batchCapacity,
            optimizer: Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                            epsilonPlacement: .biasCorrected))
    }

    /// The pairs in sweep order: (0,1) … (L−2,L−1), then (L−1,L−2) … (1,0).
    public static func pairSteps(siteCount l: Int) -> [(Int, Int)] {
        (0..<(l - 1)).map { ($0, $0 + 1) } + (0..<(l - 1)).reversed().map { ($0 + 1, $0) }
    }

    /// One pass over `batches` (indices into `features` [L, N, d] and `labels`).
    ///
    /// - Throws: ``LinearAlgebraError`` if an SVD fails (the model is then left mid-sweep).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func trainEpoch(features: Tensor<Scalar>, labels: [Int], batches: [[Int]]) throws -> EpochReport {
        precondition(features.rank == 3 && features.shape[0] == model.siteCount
                     && features.shape[2] == model.physicalDimension && features.shape[1] == labels.count,
                     "features \(features.shape) do not fit \(model.siteCount) sites, d = \(model.physicalDimension) and \(labels.count) labels")
        let start = MonotonicClock.seconds()
        var report = EpochReport(meanLoss: nil, trainError: nil, batches: batches.count, nonFiniteBatches: 0,
                                 flops: 0, decompositionFlops: 0, seconds: 0, decompositionSeconds: 0)
        var lossSum = 0.0, finiteBatches = 0, correct = 0, seen = 0
        let flopsBefore = flops
        for batch in batches {
            precondition(!batch.isEmpty && batch.count <= batchCapacity, "batch of \(batch.count) for capacity \(batchCapacity)")
            var state = BatchState(n: batch.count)
            try sweep(features: features, labels: labels, batch: batch, state: &state)
            if normalizesAfterBatch { model.normalizeCenter(0) }
            report.decompositionFlops += state.decompositionFlops
            report.decompositionSeconds += state.decompositionSeconds
            if state.finite {
                lossSum += state.lossSum / Double(optimizers.count)
                finiteBatches += 1
                correct += state.correct
                seen += batch.count
            } else {
                report.nonFiniteBatches += 1
            }
        }
        report.meanLoss = finiteBatches > 0 ? lossSum / Double(finiteBatches) : nil
        report.trainError = seen > 0 ? 1 - Double(correct) / Double(seen) : nil
        report.flops = flops - flopsBefore
        report.seconds = MonotonicClock.seconds() - start
        return report
    }

    // MARK: - Canonical form

    /// Right-orthogonalizes sites L−1 … 2 (LQ), pushing each factor into its left neighbour.
    /// Mixed canonical form around the first pair (the right-moving half-sweep starts there).
    private func canonicalize() throws {
        flops += model.canonicalizationFlops(center: 1)
        try model.canonicalize(center: 1)
    }

    // MARK: - One batch

    struct BatchState {
        var n: Int
        var lossSum = 0.0
        var correct = 0
        var finite = true
        var decompositionFlops = 0.0
        var decompositionSeconds = 0.0
    }

    /// The batch's features, one [n, d] matrix per site.
    private func gather(_ features: Tensor<Scalar>, batch: [Int]) -> [Tensor<Scalar>] {
        let count = features.shape[1], d = model.physicalDimension, n = batch.count
        return features.withUnsafeBufferPointer { all in
            (0..<model.siteCount).map { j in
                Tensor<Scalar>(shape: [n, d]) { out in
                    for (b, sample) in batch.enumerated() {
                        precondition(sample >= 0 && sample < count, "sample \(sample) outside 0..<\(count)")
                        let source = all.baseAddress! + (j * count + sample) * d
                        for s in 0..<d { out[b * d + s] = source[s] }
                    }
                }
            }
        }
    }

    private func sweep(features: Tensor<Scalar>, labels: [Int], batch: [Int], state: inout BatchState) throws {
        let l = model.siteCount, n = batch.count
        let phi = gather(features, batch: batch)
        let y = batch.map { labels[$0] }
        var left = [Tensor<Scalar>?](repeating: nil, count: l + 1)
        var right = [Tensor<Scalar>?](repeating: nil, count: l + 1)
        left[0] = Tensor(shape: [n, 1], repeating: 1)
        right[l] = Tensor(shape: [n, 1], repeating: 1)
        for j in stride(from: l - 1, through: 2, by: -1) {
            right[j] = extendRight(right[j + 1]!, site: j, phi: phi[j])
        }
        for i in 0..<(l - 1) {
            let e = try step(pair: i, index: i, movingRight: true, left: left[i]!, right: right[i + 2]!,
                             phi: phi, labels: y, state: &state)
            if i == 0 { state.correct = e.correct }
            if i < l - 2 { left[i + 1] = extendLeft(left[i]!, site: i, phi: phi[i]) }
        }
        for q in 0..<(l - 1) {
            let i = l - 2 - q
            _ = try step(pair: i, index: l - 1 + q, movingRight: false, left: left[i]!, right: right[i + 2]!,
                         phi: phi, labels: y, state: &state)
            if i > 0 { right[i + 1] = extendRight(right[i + 2]!, site: i + 1, phi: phi[i + 1]) }
        }
    }

    /// One pair step on sites (i, i+1): merge, loss and gradient, Adam, split.
    private func step(
        pair i: Int, index p: Int, movingRight: Bool, left: Tensor<Scalar>, right: Tensor<Scalar>,
        phi: [Tensor<Scalar>], labels: [Int], state: inout BatchState
    ) throws -> (loss: Double, correct: Int) {
        var merged = merge(pair: i)
        let e = lossAndGradient(merged: merged, pair: i, left: left, right: right, phi: phi, labels: labels)
        if e.finite {
            var parameters = [merged]
            merged = Tensor(zeros: [0])
            optimizers[p].update(&parameters, gradients: [e.gradient])
            merged = parameters[0]
            state.lossSum += e.loss
        } else {
            state.finite = false
        }
        let start = MonotonicClock.seconds()
        try split(merged, pair: i, movingRight: movingRight, state: &state)
        state.decompositionSeconds += MonotonicClock.seconds() - start
        return (e.loss, e.correct)
    }

    /// B = A_i·A_{i+1} as a [D_l·d·(C), d·(C)·D_r] matrix.
    func merge(pair i: Int) -> Tensor<Scalar> {
        let a = model.cores[i], b = model.cores[i + 1]
        let bond = a.shape.last!
        let rows = a.count / bond, columns = b.count / bond
        flops += 2 * Double(rows) * Double(bond) * Double(columns)
        return a.reshaped([rows, bond]).matmul(b.reshaped([bond, columns]))
    }

    /// Splits the merged matrix of pair (i, i+1) by an SVD keeping the bond's size; the singular
    /// values go right when moving right, left when moving left.
    func split(_ merged: Tensor<Scalar>, pair i: Int, movingRight: Bool, state: inout BatchState) throws {
        let shapeLeft = model.cores[i].shape, shapeRight = model.cores[i + 1].shape
        let bond = shapeLeft.last!
        let (m, n) = (merged.shape[0], merged.shape[1])
        let full = try merged.svd()
        let svdFlops = Self.svdFlops(rows: m, columns: n)
        flops += svdFlops
        state.decompositionFlops += svdFlops
        let kept = full.truncated(Truncation(maxBondDimension: bond))
        precondition(kept.rank == bond, "split of pair (\(i), \(i + 1)) kept \(kept.rank) of bond \(bond)")
        var u = kept.u, vt = kept.vt
        let s = kept.s
        if movingRight {
            vt.withUnsafeMutableBufferPointer { p in
                for k in 0..<bond { for c in 0..<n { p[k * n + c] *= s[k] } }
            }
        } else {
            u.withUnsafeMutableBufferPointer { p in
                for r in 0..<m { for k in 0..<bond { p[r * bond + k] *= s[k] } }
            }
        }
        model.cores[i] = u.reshaped(shapeLeft)
        model.cores[i + 1] = vt.reshaped(shapeRight)
    }

    /// The operation count of a thin SVD with vectors by ?gesdd, for p = max(m, n) ≥ q = min(m, n):
    /// bidiagonalization 4pq² − 4q³/3, divide and conquer on the bidiagonal with both vector sets
    /// ≈ 8q³/3 (no deflation), back-transformations 4pq² − 2q³ and 2q³: 8pq² + 4q³/3 in all
    /// (9.3·n³ for a square matrix). An estimate: deflation makes the middle term smaller.
    public static func svdFlops(rows m: Int, columns n: Int) -> Double {
        let p = Double(Swift.max(m, n)), q = Double(Swift.min(m, n))
        return 8 * p * q * q + 4 * q * q * q / 3
    }

    // MARK: - Environments

    /// Rows per sample of the left environment of site j (sites 0..<j) and of the right one (j..<L).
    private func leftLabelled(_ j: Int) -> Bool { model.labelSite < j }
    private func rightLabelled(_ j: Int) -> Bool { model.labelSite >= j }

    /// V'[(b, ℓ), r] = Σ_{l,s} V[(b, ℓ), l]·φ_s(x_b)·A[l, s, (ℓ), r]: the left environment of
    /// sites 0..<j extended by site j. One GEMM [n·c, D_l]·[D_l, d·c·D_r].
    func extendLeft(_ v: Tensor<Scalar>, site j: Int, phi: Tensor<Scalar>) -> Tensor<Scalar> {
        let core = model.cores[j]
        let n = phi.shape[0], d = phi.shape[1], dl = core.shape[0], dr = core.shape.last!
        let cCore = j == model.labelSite ? model.labelCount : 1
        let cIn = v.shape[0] / n
        precondition(v.shape == [n * cIn, dl], "left environment \(v.shape) does not fit core \(j) \(core.shape)")
        let width = d * cCore * dr
        var t = Tensor<Scalar>(zeros: [n * cIn, width])
        t.withUnsafeMutableBufferPointer { pt in
            v.withUnsafeBufferPointer { pv in
                core.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: false, m: n * cIn, n: width, k: dl, alpha: 1,
                         a: pv.baseAddress!, lda: dl, b: pa.baseAddress!, ldb: width, beta: 0, c: pt.baseAddress!, ldc: width)
                }
            }
        }
        flops += 2 * Double(n * cIn) * Double(width) * Double(dl) + 2 * Double(n * cIn * width)
        let cOut = cIn * cCore
        return Tensor(shape: [n * cOut, dr]) { out in
            out.initialize(repeating: 0)
            t.withUnsafeBufferPointer { pt in
                phi.withUnsafeBufferPointer { f in
                    for b in 0..<n {
                        for li in 0..<cIn {
                            let row = pt.baseAddress! + (b * cIn + li) * width
                            for s in 0..<d {
                                let w = f[b * d + s]
                                for lc in 0..<cCore {
                                    let source = row + (s * cCore + lc) * dr
                                    let target = out.baseAddress! + ((b * cIn + li) * cCore + lc) * dr
                                    for r in 0..<dr { target[r] += w * source[r] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// W'[(b, ℓ), l] = Σ_{s,r} A[l, s, (ℓ), r]·φ_s(x_b)·W[(b, ℓ), r]: the right environment of
    /// sites j+1..<L extended by site j. One GEMM [n·c, d·D_r]·[d·D_r, c·D_l].
    func extendRight(_ w: Tensor<Scalar>, site j: Int, phi: Tensor<Scalar>) -> Tensor<Scalar> {
        var core = model.cores[j]
        let n = phi.shape[0], d = phi.shape[1], dl = core.shape[0], dr = core.shape.last!
        let cIn = w.shape[0] / n
        precondition(w.shape == [n * cIn, dr], "right environment \(w.shape) does not fit core \(j) \(core.shape)")
        let isLabel = j == model.labelSite
        // The label core as [(ℓ, l), (s, r)], so the product's rows come out as (b, ℓ).
        if isLabel { core = core.permuted([2, 0, 1, 3]) }
        let cCore = isLabel ? model.labelCount : 1
        let z = Tensor<Scalar>(shape: [n * cIn, d * dr]) { out in
            w.withUnsafeBufferPointer { pw in
                phi.withUnsafeBufferPointer { f in
                    for b in 0..<n {
                        for li in 0..<cIn {
                            let row = (b * cIn + li)
                            for s in 0..<d {
                                let fs = f[b * d + s]
                                for r in 0..<dr { out[(row * d + s) * dr + r] = fs * pw[row * dr + r] }
                            }
                        }
                    }
                }
            }
        }
        var result = Tensor<Scalar>(zeros: [n * cIn * cCore, dl])
        result.withUnsafeMutableBufferPointer { out in
            z.withUnsafeBufferPointer { pz in
                core.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: true, m: n * cIn, n: cCore * dl, k: d * dr, alpha: 1,
                         a: pz.baseAddress!, lda: d * dr, b: pa.baseAddress!, ldb: d * dr,
                         beta: 0, c: out.baseAddress!, ldc: cCore * dl)
                }
            }
        }
        flops += 2 * Double(n * cIn) * Double(cCore * dl) * Double(d * dr) + Double(n * cIn * d * dr)
        return result
    }

    // MARK: - Loss and gradient of a merged tensor

    struct MergedEvaluation {
        var loss: Double
        var correct: Int
        var gradient: Tensor<Scalar>
        var finite: Bool
    }

    /// The batch's mean cross-entropy and its gradient with respect to the merged tensor of pair
    /// (i, i+1), given the left environment of site i and the right one of site i+2.
    func lossAndGradient(
        merged: Tensor<Scalar>, pair i: Int, left: Tensor<Scalar>, right: Tensor<Scalar>,
        phi: [Tensor<Scalar>], labels: [Int]
    ) -> MergedEvaluation {
        let k = model.labelSite, c = model.labelCount
        let n = labels.count, d = model.physicalDimension
        let dl = model.cores[i].shape[0], dr = model.cores[i + 1].shape.last!
        let (m, columns) = (merged.shape[0], merged.shape[1])
        let cL = leftLabelled(i) ? c : 1, cR = rightLabelled(i + 2) ? c : 1
        precondition(left.shape == [n * cL, dl] && right.shape == [n * cR, dr],
                     "environments \(left.shape), \(right.shape) do not fit pair (\(i), \(i + 1))")
        let phiL = phi[i], phiR = phi[i + 1]
        var logits = [Double](repeating: 0, count: n * c)

        // Y0[b, (t, r)] = φ_{i+1}[b, t]·R[b, r] when R carries no label; X0[b, (l, s)] = L[b, l]·φ_i[b, s] likewise.
        func outer(_ env: Tensor<Scalar>, _ f: Tensor<Scalar>, envFirst: Bool) -> Tensor<Scalar> {
            let width = env.shape[1]
            return Tensor(shape: [n, width * d]) { out in
                env.withUnsafeBufferPointer { e in
                    f.withUnsafeBufferPointer { p in
                        for b in 0..<n {
                            for x in 0..<width {
                                for s in 0..<d {
                                    let index = envFirst ? x * d + s : s * width + x
                                    out[b * width * d + index] = e[b * width + x] * p[b * d + s]
                                }
                            }
                        }
                    }
                }
            }
        }
        func product(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool, transposeB: Bool) -> Tensor<Scalar> {
            let result = a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB)
            let inner = transposeA ? a.shape[0] : a.shape[1]
            flops += 2 * Double(result.count) * Double(inner)
            return result
        }

        var gradient: Tensor<Scalar>
        var g = [Double](repeating: 0, count: n * c)
        var loss = 0.0, correct = 0, finite = true
        // Cross-entropy of the logits; g = ∂(mean loss)/∂f.
        func crossEntropy() {
            logits.withUnsafeBufferPointer { f in
                g.withUnsafeMutableBufferPointer { gp in
                    for b in 0..<n {
                        let row = f.baseAddress! + b * c
                        if !(0..<c).allSatisfy({ row[$0].isFinite }) { finite = false; continue }
                        loss += Softmax.crossEntropy(row, count: c, label: labels[b], gradient: gp.baseAddress! + b * c)
                        var best = 0
                        for l in 1..<c where row[l] > row[best] { best = l }
                        if best == labels[b] { correct += 1 }
                    }
                    for x in 0..<(n * c) { gp[x] /= Double(n) }
                }
            }
            loss /= Double(n)
        }

        if cL > 1 {
            // Label left of the pair: contract B from the right, T'[b, (l, s)] = Y0·Bᵀ.
            let y0 = outer(right, phiR, envFirst: false)              // [n, d·D_r] as (t, r)
            let t = product(y0, merged, transposeA: false, transposeB: true) // [n, D_l·d]
            t.withUnsafeBufferPointer { pt in
                left.withUnsafeBufferPointer { pl in
                    phiL.withUnsafeBufferPointer { f in
                        for b in 0..<n {
                            for ell in 0..<c {
                                var total = 0.0
                                for l in 0..<dl {
                                    var inner = 0.0
                                    for s in 0..<d { inner += Double(f[b * d + s]) * Double(pt[(b * dl + l) * d + s]) }
                                    total += Double(pl[(b * c + ell) * dl + l]) * inner
                                }
                                logits[b * c + ell] = total
                            }
                        }
                    }
                }
            }
            crossEntropy()
            // L̃[b, l] = Σ_ℓ g[b, ℓ]·L[(b, ℓ), l]; G = (L̃ ⊗ φ_i)ᵀ·Y0.
            let reduced = Tensor<Scalar>(shape: [n, dl]) { out in
                left.withUnsafeBufferPointer { pl in
                    for b in 0..<n {
                        for l in 0..<dl {
                            var total = 0.0
                            for ell in 0..<c { total += g[b * c + ell] * Double(pl[(b * c + ell) * dl + l]) }
                            out[b * dl + l] = Scalar(total)
                        }
                    }
                }
            }
            gradient = product(outer(reduced, phiL, envFirst: true), y0, transposeA: true, transposeB: false)
        } else {
            // Contract B from the left: T = X0·B with B viewed as [D_l·d, rest].
            let x0 = outer(left, phiL, envFirst: true)                // [n, D_l·d]
            let view = merged.reshaped([dl * d, merged.count / (dl * d)])
            let t = product(x0, view, transposeA: false, transposeB: false)
            let width = t.shape[1]
            t.withUnsafeBufferPointer { pt in
                right.withUnsafeBufferPointer { pr in
                    phiR.withUnsafeBufferPointer { f in
                        for b in 0..<n {
                            let row = pt.baseAddress! + b * width
                            let fb = f.baseAddress! + b * d
                            for ell in 0..<c {
                                var total = 0.0
                                for tt in 0..<d {
                                    // The [D_r] block of T that meets R[b] for (t, ℓ).
                                    let block: UnsafePointer<Scalar>
                                    let env: UnsafePointer<Scalar>
                                    if k == i { block = row + (ell * d + tt) * dr; env = pr.baseAddress! + b * dr }
                                    else if k == i + 1 { block = row + (tt * c + ell) * dr; env = pr.baseAddress! + b * dr }
                                    else { block = row + tt * dr; env = pr.baseAddress! + (b * c + ell) * dr }
                                    var inner = 0.0
                                    for r in 0..<dr { inner += Double(block[r]) * Double(env[r]) }
                                    total += Double(fb[tt]) * inner
                                }
                                logits[b * c + ell] = total
                            }
                        }
                    }
                }
            }
            crossEntropy()
            if k == i {
                // G[(l, s, ℓ), (t, r)] = Σ_b X0[b, (l, s)]·g[b, ℓ]·Y0[b, (t, r)].
                let x = Tensor<Scalar>(shape: [n, dl * d * c]) { out in
                    x0.withUnsafeBufferPointer { px in
                        for b in 0..<n {
                            for a in 0..<(dl * d) {
                                for ell in 0..<c { out[(b * dl * d + a) * c + ell] = px[b * dl * d + a] * Scalar(g[b * c + ell]) }
                            }
                        }
                    }
                }
                gradient = product(x, outer(right, phiR, envFirst: false), transposeA: true, transposeB: false)
            } else {
                // Y[b, (t, (ℓ), r)]: g folded into the right factor (with the label core or the environment).
                let y = Tensor<Scalar>(shape: [n, columns]) { out in
                    right.withUnsafeBufferPointer { pr in
                        phiR.withUnsafeBufferPointer { f in
                            for b in 0..<n {
                                for tt in 0..<d {
                                    let fs = Double(f[b * d + tt])
                                    if k == i + 1 {
                                        for ell in 0..<c {
                                            let w = fs * g[b * c + ell]
                                            for r in 0..<dr { out[b * columns + (tt * c + ell) * dr + r] = Scalar(w * Double(pr[b * dr + r])) }
                                        }
                                    } else {
                                        for r in 0..<dr {
                                            var total = 0.0
                                            for ell in 0..<cR { total += (cR > 1 ? g[b * c + ell] : 1) * Double(pr[(b * cR + ell) * dr + r]) }
                                            out[b * columns + tt * dr + r] = Scalar(fs * total)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                // With neither site nor the right environment labelled, the label is left of the pair.
                precondition(k == i + 1 || cR > 1, "label site \(k) unexpectedly left of pair (\(i), \(i + 1))")
                gradient = product(x0, y, transposeA: true, transposeB: false)
            }
        }
        precondition(gradient.shape == [m, columns], "gradient \(gradient.shape) for merged \(merged.shape)")
        if finite && !gradient.isFinite { finite = false }
        return MergedEvaluation(loss: loss, correct: correct, gradient: gradient, finite: finite)
    }

    // MARK: - Diagnostics (tests)

    /// The merged tensor of pair (i, i+1), the batch loss and its gradient with respect to it,
    /// with environments contracted afresh from the current cores (no canonical form needed).
    func mergedLossAndGradient(pair i: Int, features: Tensor<Scalar>, labels: [Int], batch: [Int])
        -> (merged: Tensor<Scalar>, loss: Double, gradient: Tensor<Scalar>)
    {
        let n = batch.count
        let phi = gather(features, batch: batch)
        var left = Tensor<Scalar>(shape: [n, 1], repeating: 1)
        for j in 0..<i { left = extendLeft(left, site: j, phi: phi[j]) }
        var right = Tensor<Scalar>(shape: [n, 1], repeating: 1)
        for j in stride(from: model.siteCount - 1, through: i + 2, by: -1) { right = extendRight(right, site: j, phi: phi[j]) }
        let merged = merge(pair: i)
        let e = lossAndGradient(merged: merged, pair: i, left: left, right: right, phi: phi, labels: batch.map { labels[$0] })
        return (merged, e.loss, e.gradient)
    }

    /// Merges pair (i, i+1) and splits it again without an update (tests: the function must not change).
    func resplit(pair i: Int, movingRight: Bool) throws {
        var state = BatchState(n: 0)
        try split(merge(pair: i), pair: i, movingRight: movingRight, state: &state)
    }
}
