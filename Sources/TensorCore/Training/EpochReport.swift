/// What one round of training steps did — an epoch of mini-batches, a sweep or part of one —
/// as the trainer saw it. Every trainer returns this one type; the harness's training loop
/// times the round, keeps the books (loss curve, flops, per-step speed samples, non-finite
/// steps) and decides what a non-finite round means.
public struct EpochReport: Sendable, Equatable, Codable {
    /// The mean training loss over the round's finite steps (the objective, penalties included);
    /// nil when the trainer has no loss to report or no step was finite.
    public var loss: Double?
    /// The data term of ``loss`` alone (cross-entropy or KL divergence, without a penalty) when
    /// the objective has more; nil otherwise.
    public var dataLoss: Double?
    /// The training error over the finite steps' samples as each step found the model (before
    /// its update), when the trainer measures it on the way.
    public var trainingError: Double?
    /// Counted floating-point operations of the training steps.
    public var flops: Double
    /// The factorizations' share of ``flops``, where the trainer counts it.
    public var factorizationFlops: Double?
    /// Steps taken (mini-batches, bond updates).
    public var steps: Int
    /// Steps whose loss or gradient was not finite (the trainer skipped them).
    public var nonFiniteSteps: Int
    /// The largest relative weight a truncation discarded in the round, where the trainer truncates.
    public var truncationError: Double?
    /// Seconds of factorizations within the steps (SVDs and QRs of gauge fixing and truncation),
    /// where the trainer has any.
    public var factorizationSeconds: Double?

    public init(
        loss: Double?, dataLoss: Double? = nil, trainingError: Double? = nil, flops: Double, factorizationFlops: Double? = nil,
        steps: Int, nonFiniteSteps: Int = 0, truncationError: Double? = nil, factorizationSeconds: Double? = nil
    ) {
        self.loss = loss
        self.dataLoss = dataLoss
        self.trainingError = trainingError
        self.flops = flops
        self.factorizationFlops = factorizationFlops
        self.steps = steps
        self.nonFiniteSteps = nonFiniteSteps
        self.truncationError = truncationError
        self.factorizationSeconds = factorizationSeconds
    }

    /// The deterministic part: everything but the timing.
    public var withoutTimings: EpochReport {
        var copy = self
        copy.factorizationSeconds = factorizationSeconds.map { _ in 0 }
        return copy
    }

    /// Whether every step was non-finite: the parameters did not move.
    public var isFrozen: Bool { steps > 0 && nonFiniteSteps == steps }
}

/// A training loss that stopped being finite, thrown by a trainer whose protocol does not skip
/// such steps. The harness records the job as *diverged* with this description.
public struct NonFiniteLoss: Error, CustomStringConvertible, Sendable, Equatable {
    /// The step (1-based, counted over the whole run) whose loss was not finite.
    public var step: Int
    public var loss: Double

    public init(step: Int, loss: Double) {
        self.step = step
        self.loss = loss
    }

    public var description: String { "the training loss became \(loss) at step \(step)" }
}
