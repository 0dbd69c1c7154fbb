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
    public internal(set) var flops: Double = 0

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
        var report = EpochReport(loss: nil, flops: 0, factorizationFlops: 0, steps: batches.count, factorizationSeconds: 0)
        var lossSum = 0.0, finiteBatches = 0, correct = 0, seen = 0
        let flopsBefore = flops
        for batch in batches {
            precondition(!batch.isEmpty && batch.count <= batchCapacity, "batch of \(batch.count) for capacity \(batchCapacity)")
            var state = BatchState(n: batch.count)
            try sweep(features: features, labels: labels, batch: batch, state: &state)
            if normalizesAfterBatch { model.normalizeCenter(0) }
            report.factorizationFlops! += state.factorizationFlops
            report.factorizationSeconds! += state.factorizationSeconds
            if state.finite {
                lossSum += state.lossSum / Double(optimizers.count)
                finiteBatches += 1
                correct += state.correct
                seen += batch.count
            } else {
                report.nonFiniteSteps += 1
            }
        }
        report.loss = finiteBatches > 0 ? lossSum / Double(finiteBatches) : nil
        report.trainingError = seen > 0 ? 1 - Double(correct) / Double(seen) : nil
        report.flops = flops - flopsBefore
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
        var factorizationFlops = 0.0
        var factorizationSeconds = 0.0
    }

    /// The batch's features, one [n, d] matrix per site.
    func gather(_ features: Tensor<Scalar>, batch: [Int]) -> [Tensor<Scalar>] {
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
        state.factorizationSeconds += MonotonicClock.seconds() - start
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
        state.factorizationFlops += svdFlops
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
}
