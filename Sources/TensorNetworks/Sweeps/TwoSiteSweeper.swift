import TensorCore

/// Trains an ``MPSClassifier`` by two-site sweeps with the quadratic cost
/// C = ½ Σₙ Σ_ℓ (f^ℓ(xₙ) − yₙ^ℓ)² (Stoudenmire & Schwab 2016, sec. 4).
///
/// At bond (j, j+1) the neighbours and the label leg are contracted into a bond tensor
/// B[l, s, ℓ, t, r]; with the cached environments the decision function is bilinear in B:
/// f^ℓ(xₙ) = aₙᵀ B^ℓ bₙ with aₙ = Lₙ ⊗ φ(xₙⱼ) and bₙ = φ(xₙ,ⱼ₊₁) ⊗ Rₙ. The local problem is
/// linear least squares in B; it is improved by conjugate gradients on its normal equations
/// (``SweepOptions/conjugateGradientSteps`` iterations from the current B), then B is split by an
/// SVD, truncated, and the label leg moves on with the singular values in the sweep's direction
/// (as the paper describes). One sweep is a half-sweep right (label 0 → L−1) then left.
///
/// **A fixed label** (``SweepOptions/label`` = ``LabelPlacement/fixed``, the authors' code): the
/// label stays on its core while the orthogonality centre (``position``) sweeps. Only the two
/// bonds of that core have the label leg; the others are [Dₗ, d, d, Dᵣ] and their local problem
/// (``LabelInEnvironmentBondProblem``) takes the label from the environment on the label's side,
/// which carries it: [N, C·D], every input's C·D entries scaled to unit norm together. These are
/// C times the size of the others; ``SweepOptions/labelEnvironmentStride`` keeps every k-th and
/// recomputes the rest on the way (the same numbers, bit for bit).
///
/// **Environments.** The left environments Lⱼ ([N, Dⱼ]) of every training input are cached for
/// the sites left of the bond and the right ones for the sites right of it; a bond update extends
/// one of them by one site (one GEMM) and never recontracts the chain. The forward and adjoint
/// passes of one CG step cost 4·N·(Dₗ·d)·(C·d·Dᵣ) flops in two GEMMs per chunk of inputs.
///
/// **Gauge and normalization** (``SweepOptions/normalization``). Cores left of the label are
/// left-isometries and cores right of it right-isometries. Products of 196 such contractions
/// shrink towards 2⁻⁹⁸, and squared gradients would underflow in single precision, so the
/// environments are normalized:
/// - ``EnvironmentNormalization/perInput`` (what the StoudenmireMPS suite uses): every input's
///   environment vector is scaled to unit norm, so the sweep fits
///   f̂^ℓ(x) = f^ℓ(x)/(‖Lⱼ(x)‖·‖Rⱼ₊₂(x)‖) and every image counts equally in the local problem.
///   The stored cores stay exact isometries, and the norms the canonicalization carries are
///   divided out of the environments rather than the cores; a positive factor per image leaves
///   every arg max, hence every prediction, unchanged.
/// - ``EnvironmentNormalization/shared``: each core is rescaled by one positive factor so that
///   the root-mean-square norm of its environment vectors over the training set is 1, the factor
///   moving into the label core — a gauge: f is unchanged and truncation stays optimal, but a
///   few images with large environments dominate each local problem.
public final class TwoSiteSweeper<Scalar: BLASScalar> {
    public private(set) var mps: MPSClassifier<Scalar>
    /// The orthogonality centre: the site where the next bond update starts. With a moving
    /// label it is the label's site; with a fixed one it starts at 0.
    public private(set) var position = 0
    public let options: SweepOptions
    /// [L, N, d] site-major features of the training inputs.
    let features: Tensor<Scalar>
    /// One-hot targets [N, C].
    let targets: Tensor<Scalar>
    var left: [Tensor<Scalar>?]
    var right: [Tensor<Scalar>?]
    /// Floating-point operations spent so far.
    public private(set) var flops: Double = 0

    public var sampleCount: Int { features.shape[1] }

    /// Prepares sweeps of `mps` over the training inputs from site 0: its label on site 0, or
    /// with a fixed label (``LabelPlacement/fixed``) on any site.
    ///
    /// Brings sites 1…L−1 (the label core among them, its label leg read as physical) to
    /// (rescaled) right-canonical form by LQ factorizations from the right
    /// and caches every right environment; f is unchanged (with ``EnvironmentNormalization/shared``;
    /// with `.perInput` up to one positive factor) unless `rescaleOutputs` is set, which
    /// multiplies it by one positive constant so that its outputs have the targets' scale (for a
    /// freshly initialized MPS; argmax predictions are unaffected).
    /// - Throws: ``LinearAlgebraError`` if a factorization fails.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public init(
        mps: MPSClassifier<Scalar>, features: Tensor<Scalar>, labels: [Int], options: SweepOptions,
        rescaleOutputs: Bool = false
    ) throws {
        precondition(mps.labelSite == 0 || options.label == .fixed, "sweeps start with the label on site 0, got \(mps.labelSite)")
        precondition(features.rank == 3 && features.shape[0] == mps.siteCount && features.shape[1] == labels.count,
                     "features \(features.shape) do not fit \(mps.siteCount) sites and \(labels.count) labels")
        self.mps = mps
        self.options = options
        self.features = features
        let c = mps.labelCount
        self.targets = Tensor(shape: [labels.count, c]) { t in
            t.initialize(repeating: 0)
            for (n, label) in labels.enumerated() {
                precondition(label >= 0 && label < c, "label \(label) outside 0..<\(c)")
                t[n * c + label] = 1
            }
        }
        let sites = mps.siteCount
        left = Array(repeating: nil, count: sites + 1)
        right = Array(repeating: nil, count: sites + 1)
        left[0] = Tensor(shape: [sampleCount, 1], repeating: 1)
        right[sites] = Tensor(shape: [sampleCount, 1], repeating: 1)
        for j in stride(from: sites - 1, through: 1, by: -1) {
            let core = self.mps.cores[j]
            let dl = core.shape[0]
            var (l, q) = try core.reshaped([dl, core.count / dl]).lq()
            self.mps.cores[j] = q.reshaped([q.shape[0]] + core.shape.dropFirst())
            if options.normalization == .perInput {
                // The per-input fit ignores the scale of every core right of the label, so the
                // factor L moves left with its overall size divided out (‖L‖_F² = its column
                // count, as for an isometry's L): otherwise the sizes multiply (≈ √2 per site for
                // a product state) and overflow single precision in the label core after ~190
                // sites. The cores stay exact isometries; f changes by one positive factor, which
                // `rescaleOutputs` (or the first bond's solve) sets.
                let size = (Double(l.squaredNorm()) / Double(l.shape[1])).squareRoot()
                if size > 0 && size.isFinite { l *= Scalar(1 / size) }
            }
            absorbIntoLeftNeighbour(l, site: j - 1)
            // The gauge factor moves left with the next LQ and ends in the label core.
            self.mps.cores[j - 1] *= extendRightEnvironment(site: j, dropping: true)
        }
        if rescaleOutputs { normalizeOutputs() }
    }

    /// Writes what the next sweeps depend on — the cores, the label's site, the position, the flops so far —
    /// under `prefix` (a checkpoint between two parts of a sweep; the environments are not
    /// stored: ``restore(from:prefix:)`` recomputes them).
    public func save(into state: inout TrainingState, prefix: String = "sweeper") {
        state.set("\(prefix)/sites", count: mps.siteCount)
        state.set("\(prefix)/label_site", count: mps.labelSite)
        state.set("\(prefix)/position", count: position)
        for (j, core) in mps.cores.enumerated() { state.set("\(prefix)/core_\(j)", tensor: core) }
        state.set("\(prefix)/flops", doubles: [flops])
    }

    /// Puts this sweeper (over the same training inputs, with the same options) where the saved
    /// one stood: its cores, label site, position and flops, and the environments a sweep from
    /// there uses — left of the position from site 0, right of it from site L−1 — recomputed from the cores as
    /// the sweeps computed them, so the next sweeps give the same numbers bit for bit.
    ///
    /// - Throws: ``TrainingStateError`` when the state does not fit this chain, or with
    ///   ``EnvironmentNormalization/shared`` (whose environment updates rescale the cores, so
    ///   recomputing them would not give the same cores back).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func restore(from state: TrainingState, prefix: String = "sweeper") throws {
        guard options.normalization == .perInput else {
            throw TrainingStateError("a sweeper resumes only with per-input environment normalization")
        }
        let sites = mps.siteCount
        guard try state.count("\(prefix)/sites") == sites else {
            throw TrainingStateError("\(try state.count("\(prefix)/sites")) sites saved for a chain of \(sites)")
        }
        let labelSite = try state.count("\(prefix)/label_site")
        guard labelSite < sites else { throw TrainingStateError("label site \(labelSite) outside a chain of \(sites)") }
        var restored = mps
        for j in 0..<sites {
            let core = try state.tensor("\(prefix)/core_\(j)", as: Scalar.self)
            let expectedRank = j == labelSite ? 4 : 3
            guard core.rank == expectedRank, core.shape[1] == mps.cores[j].shape[1],
                  j == 0 || core.shape[0] == restored.cores[j - 1].shape.last!
            else { throw TrainingStateError("core \(j) is \(core.shape), which does not fit the chain") }
            restored.cores[j] = core
        }
        restored.labelSite = labelSite
        // (States saved before the position was stored had it at the label.)
        let savedPosition = state.entries["\(prefix)/position"] == nil ? labelSite : try state.count("\(prefix)/position")
        guard savedPosition < sites, options.label == .fixed || savedPosition == labelSite else {
            throw TrainingStateError("position \(savedPosition) does not fit a \(options.label.rawValue) label on site \(labelSite)")
        }
        let savedFlops = try state.doubles("\(prefix)/flops")
        guard savedFlops.count == 1 else { throw TrainingStateError("flops: \(savedFlops.count) values") }
        mps = restored
        position = savedPosition
        left = Array(repeating: nil, count: sites + 1)
        right = Array(repeating: nil, count: sites + 1)
        left[0] = Tensor(shape: [sampleCount, 1], repeating: 1)
        right[sites] = Tensor(shape: [sampleCount, 1], repeating: 1)
        for j in 0..<position { extendLeftEnvironment(site: j, dropping: true) }
        for j in stride(from: sites - 1, to: position, by: -1) { extendRightEnvironment(site: j, dropping: true) }
        flops = savedFlops[0]
    }

    /// Rescales the label core so that the outputs' root-mean-square over the training set
    /// equals the one-hot targets' (1/√C). A fresh MPS's outputs can be off by many orders of
    /// magnitude (a product over 196 sites), which a few CG steps on the first bond cannot undo.
    private func normalizeOutputs() {
        let outputs = mps.labelSite == 0
            ? Environment.labelOutputs(
                left: left[0]!, core: mps.cores[0], right: right[1]!, features: features, site: 0, rows: 0..<sampleCount)
            : outputsFromLabelEnvironment()
        let rms = (Double(outputs.squaredNorm()) / Double(Swift.max(outputs.count, 1))).squareRoot()
        guard rms > 0 && rms.isFinite else { return }
        mps.cores[0] *= Scalar(1 / (Double(mps.labelCount).squareRoot() * rms))
    }

    /// The (normalized) outputs at position 0 when the right environment R₁ carries the label:
    /// f^ℓ(xₙ) = Σ_r (φ(xₙ₀)·A₀)[r]·R₁[n, ℓ, r].
    private func outputsFromLabelEnvironment() -> Tensor<Scalar> {
        let v = Environment.absorbLeft(left[0]!, core: mps.cores[0], features: features, site: 0, rows: 0..<sampleCount)
        let (c, width) = (mps.labelCount, v.shape[1])
        let r = right[1]!
        return Tensor(shape: [sampleCount, c]) { out in
            v.withUnsafeBufferPointer { pv in
                r.withUnsafeBufferPointer { pr in
                    for n in 0..<sampleCount {
                        for l in 0..<c {
                            out[n * c + l] = dotProduct(pv.baseAddress! + n * width, pr.baseAddress! + (n * c + l) * width, count: width)
                        }
                    }
                }
            }
        }
    }

    /// Multiplies the last axis of core `site` by the matrix `m` ([D, k]).
    private func absorbIntoLeftNeighbour(_ m: Tensor<Scalar>, site: Int) {
        let core = mps.cores[site]
        let leading = Array(core.shape.dropLast())
        let merged = core.reshaped([leading.reduce(1, *), core.shape.last!]).matmul(m)
        mps.cores[site] = merged.reshaped(leading + [m.shape[1]])
    }

    /// Computes Rⱼ from Rⱼ₊₁ and core j, rescaling both so that Rⱼ has RMS norm 1; returns the
    /// factor removed (the caller moves it into the label core to keep f unchanged).
    ///
    /// A fixed label's core turns the label-free Rⱼ₊₁ into Rⱼ with the label ([N, C·Dⱼ]: its
    /// C·d·Dⱼ₊₁ columns read as [C·Dⱼ, d, Dⱼ₊₁]); left of it, each input's C rows are contracted
    /// with that input's features.
    ///
    /// `dropping` (a sweep's or a setup's step, not a recomputation) lets Rⱼ₊₁ go when it carries
    /// the label and is not one the stride keeps (``SweepOptions/labelEnvironmentStride``).
    @discardableResult
    private func extendRightEnvironment(site j: Int, dropping: Bool = false) -> Scalar {
        let n = sampleCount, core = mps.cores[j], c = mps.labelCount
        var r: Tensor<Scalar>
        if j == mps.labelSite {
            let (dl, d, dr) = (core.shape[0], core.shape[1], core.shape[3])
            let labelFirst = core.permuted([2, 0, 1, 3]).reshaped([c * dl, d, dr])
            r = Environment.absorbRight(right[j + 1]!, core: labelFirst, features: features, site: j, rows: 0..<n, workers: options.workers)
            countEnvironmentFlops(rows: n, core: core)
        } else if j < mps.labelSite {
            let w = right[j + 1]!
            r = Environment.absorbRight(w.reshaped([n * c, w.shape[1] / c]), core: core, features: features, site: j,
                                        rows: 0..<n, copies: c, workers: options.workers).reshaped([n, c * core.shape[0]])
            countEnvironmentFlops(rows: n * c, core: core)
        } else {
            r = Environment.absorbRight(right[j + 1]!, core: core, features: features, site: j, rows: 0..<n, workers: options.workers)
            countEnvironmentFlops(rows: n, core: core)
        }
        let scale = normalize(&r, core: j)
        right[j] = r
        if dropping, let stride = options.labelEnvironmentStride, j + 1 <= mps.labelSite, (mps.labelSite - j - 1) % stride != 0 {
            right[j + 1] = nil
        }
        return scale
    }

    /// Computes Lⱼ₊₁ from Lⱼ and core j, rescaling both so that Lⱼ₊₁ has RMS norm 1; returns the
    /// factor removed (the caller moves it into the label core to keep f unchanged). A fixed
    /// label's core and the cores right of it as in ``extendRightEnvironment(site:)``.
    @discardableResult
    private func extendLeftEnvironment(site j: Int, dropping: Bool = false) -> Scalar {
        let n = sampleCount, core = mps.cores[j], c = mps.labelCount
        var l: Tensor<Scalar>
        if j == mps.labelSite {
            let (dl, d) = (core.shape[0], core.shape[1])
            l = Environment.absorbLeft(left[j]!, core: core.reshaped([dl, d, core.count / (dl * d)]), features: features,
                                       site: j, rows: 0..<n, workers: options.workers)
            countEnvironmentFlops(rows: n, core: core)
        } else if j > mps.labelSite {
            let v = left[j]!
            l = Environment.absorbLeft(v.reshaped([n * c, v.shape[1] / c]), core: core, features: features, site: j,
                                       rows: 0..<n, copies: c, workers: options.workers).reshaped([n, c * core.shape[2]])
            countEnvironmentFlops(rows: n * c, core: core)
        } else {
            l = Environment.absorbLeft(left[j]!, core: core, features: features, site: j, rows: 0..<n, workers: options.workers)
            countEnvironmentFlops(rows: n, core: core)
        }
        let scale = normalize(&l, core: j)
        left[j + 1] = l
        if dropping, let stride = options.labelEnvironmentStride, j > mps.labelSite, (j - mps.labelSite - 1) % stride != 0 {
            left[j] = nil
        }
        return scale
    }

    /// Lⱼ, recomputed (with every one between) from the nearest cached one left of it when the
    /// stride let it go.
    private func leftEnvironment(_ j: Int) -> Tensor<Scalar> {
        if let cached = left[j] { return cached }
        var q = j - 1
        while left[q] == nil { q -= 1 }
        withSerialBLASThreads { for i in q..<j { extendLeftEnvironment(site: i) } }
        return left[j]!
    }

    /// Rⱼ, recomputed as ``leftEnvironment(_:)`` from the nearest cached one right of it.
    private func rightEnvironment(_ j: Int) -> Tensor<Scalar> {
        if let cached = right[j] { return cached }
        var q = j + 1
        while right[q] == nil { q += 1 }
        withSerialBLASThreads { for i in stride(from: q - 1, through: j, by: -1) { extendRightEnvironment(site: i) } }
        return right[j]!
    }

    /// One GEMM over `rows` environment rows and the core, and the features' contraction.
    private func countEnvironmentFlops(rows: Int, core: Tensor<Scalar>) {
        flops += 2 * Double(rows) * Double(core.count) + 2 * Double(rows) * Double(core.count / core.shape[0])
    }

    /// Normalizes a freshly extended environment (see ``EnvironmentNormalization``). `.shared`
    /// divides it and its core by its RMS norm over inputs and returns that factor; `.perInput`
    /// scales each input's vector to unit norm, leaves the core alone and returns 1.
    private func normalize(_ environment: inout Tensor<Scalar>, core j: Int) -> Scalar {
        if options.normalization == .perInput {
            Environment.normalizeRows(&environment)
            return 1
        }
        let scale = rootMeanSquareNorm(environment)
        guard scale > 0 && scale.isFinite else { return 1 }
        environment *= 1 / scale
        mps.cores[j] *= 1 / scale
        return scale
    }

    private func rootMeanSquareNorm(_ environment: Tensor<Scalar>) -> Scalar {
        Scalar((Double(environment.squaredNorm()) / Double(Swift.max(environment.shape[0], 1))).squareRoot())
    }

    /// Moves the position (and a moving label) right to `stop` (default L−1), updating bonds
    /// (position, position+1), …, (stop−1, stop). From site 0 to L−1 it is a right half-sweep.
    ///
    /// `progress` is told the fraction of the bond updates done after each one; what it throws
    /// stops the sweep there (cancellation). Returns what the part of a sweep did:
    /// ``EpochReport/loss`` is the cost after its last bond update (the current model's, with
    /// the position where the sweep stopped), ``EpochReport/truncationError`` the largest relative
    /// weight a split discarded, ``EpochReport/steps`` the bond updates, ``EpochReport/flops``
    /// their floating-point operations.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    @discardableResult
    public func sweepRight(stoppingAt stop: Int? = nil, progress: (Double) throws -> Void = { _ in }) throws -> EpochReport {
        let stop = stop ?? mps.siteCount - 1
        precondition(stop > position && stop < mps.siteCount,
                     "a right sweep moves from site \(position) to a site right of it, not \(stop)")
        return try updateBonds(Array(position..<stop), direction: .right, progress: progress)
    }

    /// Moves the position (and a moving label) left to `stop` (default 0), updating bonds
    /// (position−1, position), …, (stop, stop+1). From site L−1 to 0 it is a left half-sweep.
    /// `progress` and the report as ``sweepRight(stoppingAt:progress:)``.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    @discardableResult
    public func sweepLeft(stoppingAt stop: Int = 0, progress: (Double) throws -> Void = { _ in }) throws -> EpochReport {
        precondition(stop >= 0 && stop < position,
                     "a left sweep moves from site \(position) to a site left of it, not \(stop)")
        return try updateBonds(Array(stride(from: position - 1, through: stop, by: -1)), direction: .left, progress: progress)
    }

    /// Updates the bonds at `sites` in order, moving the label in `direction`; after each update
    /// hands it to `each` (tests inspect every bond through it) and tells `progress` the fraction
    /// done. What either throws stops the sweep there.
    @discardableResult
    func updateBonds(
        _ sites: [Int], direction: SweepDirection, each: (BondUpdate) throws -> Void = { _ in },
        progress: (Double) throws -> Void = { _ in }
    ) throws -> EpochReport {
        let restore = pinBLASThreads()
        defer { restore() }
        var report = EpochReport(loss: nil, flops: 0, steps: 0, truncationError: 0)
        let startFlops = flops
        for j in sites {
            let update = try updateBond(site: j, direction: direction)
            report.steps += 1
            report.loss = update.costAfter
            report.truncationError = Swift.max(report.truncationError!, update.truncationError)
            try each(update)
            try progress(Double(report.steps) / Double(sites.count))
        }
        report.flops = flops - startFlops
        return report
    }

    /// With several workers, BLAS runs one thread per call; returns what restores the setting.
    /// The serial work between passes (SVD, environment update) gets the previous thread count
    /// back (see ``updateBond(site:direction:)``).
    private func pinBLASThreads() -> () -> Void {
        guard options.workers > 1 else { return {} }
        let previous = BLASRuntime.threadCount
        serialBLASThreads = previous
        BLASRuntime.setThreadCount(1)
        return { [self] in
            serialBLASThreads = nil
            BLASRuntime.setThreadCount(previous)
        }
    }

    /// The BLAS threads of the work outside the workers' passes while the passes run one thread
    /// each; nil when the threads are not pinned.
    private var serialBLASThreads: Int?

    /// Runs `body` — work on one thread of the sweeper's, between passes — with every BLAS
    /// thread the caller had; the passes' single-thread setting is restored afterwards.
    private func withSerialBLASThreads<T>(_ body: () throws -> T) rethrows -> T {
        guard let threads = serialBLASThreads, threads > 1 else { return try body() }
        BLASRuntime.setThreadCount(threads)
        defer { BLASRuntime.setThreadCount(1) }
        return try body()
    }

    /// The bond tensor of sites (j, j+1) in the layout [Dₗ, d, C, d, Dᵣ], or [Dₗ, d, d, Dᵣ] when
    /// a fixed label sits on neither site.
    func bondTensor(site j: Int) -> Tensor<Scalar> {
        let a = mps.cores[j], b = mps.cores[j + 1]
        if mps.labelSite != j && mps.labelSite != j + 1 {
            precondition(options.label == .fixed, "the label must sit on bond (\(j), \(j + 1))")
            return a.reshaped([a.count / a.shape[2], a.shape[2]]).matmul(b.reshaped([b.shape[0], -1]))
                .reshaped([a.shape[0], a.shape[1], b.shape[1], b.shape[2]])
        } else if mps.labelSite == j {
            // [Dl, d, C, Dm] · [Dm, d, Dr] → [Dl, d, C, d, Dr]
            let (dl, d, c, dm) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
            return a.reshaped([dl * d * c, dm]).matmul(b.reshaped([dm, -1])).reshaped([dl, d, c, d, b.shape[2]])
        } else {
            precondition(mps.labelSite == j + 1, "the label must sit on bond (\(j), \(j + 1))")
            // [Dl, d, Dm] · [Dm, d, C, Dr] → [Dl, d, d, C, Dr] → [Dl, d, C, d, Dr]
            let (dl, d, dm) = (a.shape[0], a.shape[1], a.shape[2])
            let (c, dr) = (b.shape[2], b.shape[3])
            return a.reshaped([dl * d, dm]).matmul(b.reshaped([dm, -1])).reshaped([dl, d, d, c, dr]).permuted([0, 1, 3, 2, 4])
        }
    }

    /// Optimizes, splits and truncates the bond (j, j+1), moving the label in `direction`.
    func updateBond(site j: Int, direction: SweepDirection) throws -> BondUpdate {
        let startFlops = flops
        let (bond, costBefore, costAfter) = try optimizeBond(site: j)
        let (bondDimension, truncationError) = try withSerialBLASThreads {
            try split(bond, site: j, direction: direction)
        }
        return BondUpdate(
            site: j, direction: direction, costBefore: costBefore, costAfter: costAfter,
            truncationError: truncationError, bondDimension: bondDimension, flops: flops - startFlops)
    }

    /// The bond tensor of (j, j+1) improved by the local solver (``SweepOptions/solver``) on the
    /// (regularized) least-squares problem, with the data cost before and after.
    ///
    /// A bond without the label leg is solved as ``LabelInEnvironmentBondProblem`` in its
    /// orientation: as it is left of the label, with its axes reversed right of it.
    func optimizeBond(site j: Int) throws -> (bond: Tensor<Scalar>, costBefore: Double, costAfter: Double) {
        var bond = bondTensor(site: j)
        let costs: (Double, Double)
        if bond.rank == 5 {
            let shape = bond.shape
            costs = solve(&bond, BondProblem(
                features: features, targets: targets, left: leftEnvironment(j), right: rightEnvironment(j + 2),
                site: j, shape: (shape[0], shape[1], shape[2], shape[4]), chunkSize: options.chunkSize,
                workers: options.workers))
        } else if j + 1 < mps.labelSite {
            costs = solve(&bond, LabelInEnvironmentBondProblem(
                features: features, targets: targets, near: leftEnvironment(j), nearSite: j, far: rightEnvironment(j + 2), farSite: j + 1,
                chunkSize: options.chunkSize, workers: options.workers))
        } else {
            var reversed = bond.permuted([3, 2, 1, 0])
            costs = solve(&reversed, LabelInEnvironmentBondProblem(
                features: features, targets: targets, near: rightEnvironment(j + 2), nearSite: j + 1, far: leftEnvironment(j), farSite: j,
                chunkSize: options.chunkSize, workers: options.workers))
            bond = reversed.permuted([3, 2, 1, 0])
        }
        guard bond.isFinite, costs.0.isFinite else {
            throw LinearAlgebraError.nonFiniteInput(routine: "bond update at sites \(j), \(j + 1)")
        }
        return (bond, costs.0, costs.1)
    }

    /// Improves `bond` by the local solver on `problem` (plus the L2 penalty); the data cost
    /// before and after.
    private func solve<Problem: LocalLeastSquares>(_ bond: inout Tensor<Scalar>, _ problem: Problem) -> (Double, Double)
    where Problem.Scalar == Scalar {
        let ridge = Scalar(options.regularization * Double(sampleCount))
        // The negative gradient r(B) = F*(Y − F·B) − λN·B with the data cost at B, and P ↦ (F*F + λN)·P.
        let residual = { (b: Tensor<Scalar>) -> (Tensor<Scalar>, Double) in
            var (r, cost) = problem.residual(of: b)
            if ridge > 0 { r.add(b, scaledBy: -ridge) }
            return (r, cost)
        }
        let normal = { (p: Tensor<Scalar>) -> Tensor<Scalar> in
            var q = problem.applyNormalOperator(p)
            if ridge > 0 { q.add(p, scaledBy: ridge) }
            return q
        }
        let costs = switch options.solver {
        case .conjugateGradient: conjugateGradients(&bond, residual: residual, normal: normal)
        case .tnml: unitNormPasses(&bond, residual: residual, normal: normal, cost: problem.cost(of:))
        }
        flops += problem.flops
        return costs
    }

    /// Conjugate gradients on the normal equations (F*F + λN)·B = F*·Y from the current B; the
    /// data cost before and after.
    ///
    /// The cost after is tracked from the CG scalars (J(B + αp) = J(B) − α·r·p + ½α²·p·Ap for the
    /// objective J = C + ½λ‖B‖², all over N, with r·p = r·r in CG) rather than recomputed, which
    /// saves a forward pass per bond; the penalty is then taken out again.
    private func conjugateGradients(
        _ bond: inout Tensor<Scalar>, residual start: (Tensor<Scalar>) -> (Tensor<Scalar>, Double),
        normal: (Tensor<Scalar>) -> Tensor<Scalar>
    ) -> (Double, Double) {
        let n = Double(sampleCount)
        var (residual, costBefore) = start(bond)
        var search = residual
        var rr = Double(residual.squaredNorm())
        // CG stops once ‖r‖ ≤ √ε·‖r₀‖: below that the residual is rounding noise, and on a
        // singular problem (a pixel white in every image leaves directions of B undetermined)
        // p·Ap is noise too, so α = r·r / p·Ap would add huge undetermined components to B,
        // which the SVD then keeps as its largest singular values.
        let floor = Double(rr) * Double(Scalar.ulpOfOne)
        var objective = costBefore + 0.5 * options.regularization * Double(bond.squaredNorm())
        for step in 0..<options.conjugateGradientSteps {
            guard rr > floor && rr.isFinite else { break }
            let q = normal(search)
            let pq = Double(search.dot(q))
            guard pq > 0 && pq.isFinite else { break }
            let alpha = rr / pq
            bond.add(search, scaledBy: Scalar(alpha))
            objective += (-alpha * rr + 0.5 * alpha * alpha * pq) / n
            if step == options.conjugateGradientSteps - 1 { break }
            residual.add(q, scaledBy: Scalar(-alpha))
            let rrNext = Double(residual.squaredNorm())
            search *= Scalar(rrNext / rr)
            search += residual
            rr = rrNext
        }
        return (costBefore, objective - 0.5 * options.regularization * Double(bond.squaredNorm()))
    }

    /// The authors' passes (``UnitNormPasses``); they track no cost, so one forward pass gives
    /// the cost after (and the one before, when no pass ran).
    private func unitNormPasses(
        _ bond: inout Tensor<Scalar>, residual: (Tensor<Scalar>) -> (Tensor<Scalar>, Double),
        normal: (Tensor<Scalar>) -> Tensor<Scalar>, cost: (Tensor<Scalar>) -> Double
    ) -> (Double, Double) {
        var costBefore = Double.nan
        UnitNormPasses.solve(&bond, passes: options.conjugateGradientSteps, residual: { b in
            let (r, c) = residual(b)
            if costBefore.isNaN { costBefore = c }
            return r
        }, operator: normal)
        let after = cost(bond)
        return (costBefore.isNaN ? after : costBefore, after)
    }

    /// Splits a bond tensor ([Dₗ, d, C, d, Dᵣ], or [Dₗ, d, d, Dᵣ] with a fixed label elsewhere) by
    /// a truncated SVD into cores j and j+1, the singular values going in `direction` (the new
    /// position), and extends the environment on the side the bond leaves behind. A moving label
    /// goes with the singular values; a fixed one stays on its core. Returns the new bond
    /// dimension and the relative discarded weight.
    func split(_ bond: Tensor<Scalar>, site j: Int, direction: SweepDirection) throws -> (Int, Double) {
        let hasLabel = bond.rank == 5
        let (dl, d, dr) = (bond.shape[0], bond.shape[1], bond.shape.last!)
        let c = hasLabel ? bond.shape[2] : 1
        // The side the label leg ends on: the sweep's with a moving label, its own core's with a fixed one.
        let labelOnLeft = hasLabel && (options.label == .moving ? direction == .left : mps.labelSite == j)
        let rows = labelOnLeft ? dl * d * c : dl * d
        let columns = bond.count / rows
        let svd = try bond.reshaped([rows, columns]).svd(truncation: options.truncation)
        let k = svd.rank
        let smaller = Double(Swift.min(rows, columns))
        flops += 4 * Double(rows) * Double(columns) * smaller + 8 * smaller * smaller * smaller  // SVD estimate
        var u = svd.u  // [rows, k]
        var vt = svd.vt  // [k, columns]
        if direction == .right {
            vt.withUnsafeMutableBufferPointer { p in
                for i in 0..<k { for q in 0..<columns { p[i * columns + q] *= svd.s[i] } }
            }
        } else {
            u.withUnsafeMutableBufferPointer { p in
                for row in 0..<rows { for i in 0..<k { p[row * k + i] *= svd.s[i] } }
            }
        }
        mps.cores[j] = u.reshaped(labelOnLeft ? [dl, d, c, k] : [dl, d, k])
        mps.cores[j + 1] = hasLabel && !labelOnLeft
            ? vt.reshaped([k, c, d, dr]).permuted([0, 2, 1, 3])  // → [k, d, C, Dr]
            : vt.reshaped([k, d, dr])
        if hasLabel && options.label == .moving { mps.labelSite = labelOnLeft ? j : j + 1 }
        if direction == .right {
            position = j + 1
            mps.cores[j + 1] *= extendLeftEnvironment(site: j, dropping: true)
            right[j + 1] = nil
        } else {
            position = j
            mps.cores[j] *= extendRightEnvironment(site: j + 1, dropping: true)
            left[j + 1] = nil
        }
        let total = Double(bond.squaredNorm())
        return (k, total > 0 ? Double(svd.discardedWeight) / total : 0)
    }
}
