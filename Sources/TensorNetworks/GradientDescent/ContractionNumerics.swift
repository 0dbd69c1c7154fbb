/// The contraction modes of the gradient-descent MPS engine and what a batch measured.

/// How the products along a chain of cores are represented in floating point.
///
/// Both modes compute the same function and the same gradient in exact arithmetic; they differ in
/// what happens when the product of 196 cores leaves the exponent range of the scalar type.
public enum ContractionNumerics: String, Codable, Sendable, CaseIterable {
    /// Ordinary contraction in the scalar type (what a quimb + Keras model does in float32):
    /// environments may underflow to zero or overflow to infinity.
    case plain
    /// Per-sample log-scale tracking: after every absorbed site each sample's environment row is
    /// divided by the power of two of its largest entry (exact: only exponents change) and the
    /// exponent is accumulated in an integer, so products over any number of sites neither
    /// underflow nor overflow. Logits are formed in `Double` as f̂·2^ρ; each core's gradient is
    /// formed as Ĝ·2^M with a per-core common exponent M and rounded once into the scalar type.
    case logscaled
}

/// What one batch (or an evaluation pass) measured.
public struct BatchEvaluation: Sendable, Equatable {
    /// Mean loss over the batch (nats): softmax cross-entropy against labels, or the KL divergence
    /// from target distributions (``TrainingTargets``); meaningful only when ``isFinite``.
    public var loss: Double
    /// Samples whose arg-max logit is the label, or the target distribution's arg max (a
    /// non-finite logit never counts as correct).
    public var correct: Int
    public var count: Int
    /// False when a logit (hence the loss) or a gradient was not finite; no gradient is valid then.
    public var isFinite: Bool
    public init(loss: Double, correct: Int, count: Int, isFinite: Bool) {
        self.loss = loss
        self.correct = correct
        self.count = count
        self.isFinite = isFinite
    }
}
