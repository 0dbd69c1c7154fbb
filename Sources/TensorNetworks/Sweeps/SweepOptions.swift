import TensorCore

/// Settings of two-site DMRG-like sweeps for an ``MPSClassifier`` (Stoudenmire & Schwab 2016).
public struct SweepOptions: Sendable, Hashable {
    /// How each bond is split after its update: at most m singular values, and the ones whose
    /// weight is below a relative cutoff dropped (the authors' code uses 1e-10).
    public var truncation: Truncation
    /// Conjugate-gradient iterations on each bond's local least-squares problem, after the first
    /// residual (the authors' reference code does 4 "passes"; 0 means one steepest-descent step
    /// with the exact line search).
    public var conjugateGradientSteps: Int
    /// Inputs per chunk: bounds the workspace to a few [chunk, C·d·D] buffers at any m.
    public var chunkSize: Int
    /// Threads that share the inputs of each pass. With more than one, the sweeper runs BLAS
    /// single-threaded for the duration of a half-sweep (each thread's GEMMs are its own) and
    /// restores the previous BLAS thread count afterwards. Results are deterministic for a
    /// given value (partial sums are added in a fixed order).
    public var workers: Int

    public init(truncation: Truncation, conjugateGradientSteps: Int = 4, chunkSize: Int = 1024, workers: Int = 1) {
        precondition(conjugateGradientSteps >= 0 && chunkSize >= 1 && workers >= 1, "invalid sweep options")
        self.truncation = truncation
        self.conjugateGradientSteps = conjugateGradientSteps
        self.chunkSize = chunkSize
        self.workers = workers
    }
}

/// Which way a half-sweep moves the label (and the orthogonality centre).
public enum SweepDirection: String, Sendable {
    case right, left
}

/// What happened at one bond update, for observers.
public struct BondUpdate: Sendable {
    /// The left site of the bond (the bond joins `site` and `site + 1`).
    public var site: Int
    public var direction: SweepDirection
    /// ½ Σₙ Σ_ℓ (f^ℓ(xₙ) − yₙ^ℓ)² / N on the training set before and after the local solve
    /// (the latter before truncation).
    public var costBefore: Double
    public var costAfter: Double
    /// The squared singular values the truncation dropped, relative to the bond tensor's norm².
    public var truncationError: Double
    /// The new bond dimension.
    public var bondDimension: Int
    /// Floating-point operations spent on this update (GEMMs, elementwise work, SVD estimate).
    public var flops: Double
}
