import TensorCore

/// Settings of two-site DMRG-like sweeps for an ``MPSClassifier`` (Stoudenmire & Schwab 2016).
public struct SweepOptions: Sendable, Hashable {
    /// How each bond is split after its update: at most m singular values, and the ones whose
    /// weight is below a relative cutoff dropped (the authors' code uses 1e-10).
    public var truncation: Truncation
    /// Iterations of the local solver on each bond's least-squares problem (each applies F*F
    /// once; the first is a steepest-descent step with exact line search). The authors'
    /// reference code does 4 passes; 0 leaves the bond tensor as it is.
    public var conjugateGradientSteps: Int
    /// Which local solver the iterations are of.
    public var solver: LocalSolver
    /// Inputs per chunk: bounds the workspace to a few [chunk, C·d·D] buffers at any m.
    public var chunkSize: Int
    /// Threads that share the inputs of each pass. With more than one, the sweeper runs BLAS
    /// single-threaded for the duration of a half-sweep (each thread's GEMMs are its own) and
    /// restores the previous BLAS thread count afterwards. Results are deterministic for a
    /// given value (partial sums are added in a fixed order).
    public var workers: Int
    /// λ of an L2 penalty ½λ‖B‖² added to the per-input cost at each bond (0: none). Without it
    /// the local least-squares problems are singular (pixels that are white in every image leave
    /// whole directions of B undetermined), and CG can grow B along nearly-undetermined
    /// directions that truncation then turns into large output errors.
    public var regularization: Double
    /// How the cached environment vectors are scaled (see ``EnvironmentNormalization``).
    public var normalization: EnvironmentNormalization
    /// Whether the label leg moves with the sweep or stays on its core (``LabelPlacement``).
    public var label: LabelPlacement
    /// With a fixed label, keep only every k-th of the environments that carry the label (each
    /// [N, C·D]) and recompute the others from the nearest kept one when a sweep reaches them:
    /// about L/(2k) + k of them in memory instead of L/2, for about one more environment update
    /// per site and sweep. The numbers do not change. nil keeps them all.
    public var labelEnvironmentStride: Int?

    public init(
        truncation: Truncation, conjugateGradientSteps: Int = 3, chunkSize: Int = 1024, workers: Int = 1,
        regularization: Double = 0, normalization: EnvironmentNormalization = .shared, solver: LocalSolver = .conjugateGradient,
        label: LabelPlacement = .moving, labelEnvironmentStride: Int? = nil
    ) {
        precondition(labelEnvironmentStride.map { $0 >= 1 } ?? true, "the label environments' stride must be at least 1")
        self.labelEnvironmentStride = labelEnvironmentStride
        precondition(conjugateGradientSteps >= 0 && chunkSize >= 1 && workers >= 1 && regularization >= 0, "invalid sweep options")
        precondition(label == .moving || normalization == .perInput, "a fixed label needs per-input environment normalization")
        self.label = label
        self.regularization = regularization
        self.normalization = normalization
        self.solver = solver
        self.truncation = truncation
        self.conjugateGradientSteps = conjugateGradientSteps
        self.chunkSize = chunkSize
        self.workers = workers
    }
}

/// How a sweep scales the cached environment vectors Lⱼ(xₙ), Rⱼ(xₙ).
///
/// With isometric cores and unit-norm product features, ‖Lⱼ(x)‖ ≤ 1 shrinks along the chain at an
/// image-dependent rate: over 196 sites the norms of different images spread over many decades.
public enum EnvironmentNormalization: String, Sendable, Hashable {
    /// One positive factor per site, shared by all inputs (the environments' root-mean-square
    /// norm), moved into the label core: a gauge, so the sweep minimizes the paper's cost of the
    /// stored MPS exactly. The local least-squares problem then weights each image by
    /// ‖Lₙ‖²‖Rₙ‖², which lets a few images with large environments dominate it.
    case shared
    /// Every input's environment vector scaled to unit norm (S.-S. Lee's stabilization of the
    /// Stoudenmire–Schwab algorithm): at bond (j, j+1) the sweep fits
    /// f̂^ℓ(x) = f^ℓ(x) / (‖Lⱼ(x)‖·‖Rⱼ₊₂(x)‖), so every image counts equally in the local problem.
    /// The stored cores stay exact isometries; a positive per-image factor leaves every
    /// prediction arg max_ℓ f^ℓ(x) unchanged, so the stored MPS classifies exactly as trained.
    /// The reported cost is that of f̂ at the bond just updated.
    case perInput = "per-input"
}

/// Where the label leg goes during sweeps.
public enum LabelPlacement: String, Sendable, Hashable {
    /// With the singular values, in the sweep's direction: the label core is the orthogonality
    /// centre, every bond tensor has the label leg (the paper's text, sec. 4).
    case moving
    /// On the core that holds it when the sweeps begin (the authors' TNML code, `fixedL.cc`:
    /// its `svd` keeps the index on the core that had it). Only the two bonds of the label's
    /// core have the label leg; the environments between a bond and the label carry it
    /// ([N, C·D] each), so the other bond tensors are C times smaller.
    case fixed
}

/// Which way a half-sweep moves the orthogonality centre (and a moving label).
public enum SweepDirection: String, Sendable {
    case right, left
}

/// What happened at one bond update (``TwoSiteSweeper`` sums these into its sweeps' reports).
struct BondUpdate: Sendable {
    /// The left site of the bond (the bond joins `site` and `site + 1`).
    var site: Int
    var direction: SweepDirection
    /// ½ Σₙ Σ_ℓ (f^ℓ(xₙ) − yₙ^ℓ)² / N on the training set before and after the local solve
    /// (the latter before truncation).
    var costBefore: Double
    var costAfter: Double
    /// The squared singular values the truncation dropped, relative to the bond tensor's norm².
    var truncationError: Double
    /// The new bond dimension.
    var bondDimension: Int
    /// Floating-point operations spent on this update (GEMMs, elementwise work, SVD estimate).
    var flops: Double
}
