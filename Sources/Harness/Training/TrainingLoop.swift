import TensorCore

/// Whether training goes on after an observer's measurement.
public enum TrainingDecision: Sendable, Equatable {
    case proceed
    case stop
}

/// Where in training an observer is asked to measure.
public enum TrainingPoint: Sendable, Equatable {
    /// Within round `round` (1-based), after step `step` (1-based, counted over the whole run):
    /// an evaluation every so many steps, asked for by the trainer through ``TrainingRound/checkpoint(step:)``.
    case withinRound(round: Int, step: Int)
    /// After round `round` (1-based), with what the trainer reported and the round's timed seconds.
    case endOfRound(round: Int, report: EpochReport, seconds: Double)

    /// The round it belongs to.
    public var round: Int {
        switch self {
        case .withinRound(let round, _), .endOfRound(let round, _, _): round
        }
    }
}

/// Measures the model while it trains — evaluations on the problem's sets, curve points, best
/// values, early stopping — and says whether to go on. The one callback shape of every training
/// loop; the loop times it apart from the training steps.
public protocol TrainingObserver {
    mutating func measure(at point: TrainingPoint) throws -> TrainingDecision

    /// Writes what the observer remembers between rounds outside the job's record (a running
    /// maximum, the seconds of a sweep in progress) into a checkpoint; by default nothing.
    /// Names under `observer/` keep clear of the implementation's.
    func save(into state: inout TrainingState)

    /// Reads back what ``save(into:)`` wrote, when the job resumes from a checkpoint.
    mutating func restore(from state: TrainingState) throws
}

extension TrainingObserver {
    public func save(into state: inout TrainingState) {}
    public mutating func restore(from state: TrainingState) throws {}
}

/// An observer made of a closure.
public struct Observe: TrainingObserver {
    let body: (TrainingPoint) throws -> TrainingDecision
    public init(_ body: @escaping (TrainingPoint) throws -> TrainingDecision) { self.body = body }
    public func measure(at point: TrainingPoint) throws -> TrainingDecision { try body(point) }
}

/// What a round of training may ask of the loop while it runs: checkpoints (evaluations within
/// the round, timed apart) and progress, which also checks for cancellation.
public struct TrainingRound {
    /// The round, 1-based.
    public let index: Int
    let onCheckpoint: (Int) throws -> Void
    let onProgress: (Double, String) throws -> Void

    /// Asks the observer to measure now, after `step` (1-based over the run). The seconds it
    /// takes are not counted as training.
    public func checkpoint(step: Int) throws { try onCheckpoint(step) }

    /// Reports progress through the round (`fraction` in [0, 1], a short detail such as "bond 17 →")
    /// and throws `CancellationError` when the user interrupted the run.
    public func progress(_ fraction: Double, _ detail: String) throws { try onProgress(fraction, detail) }
}

/// The training loop every suite and implementation runs: `rounds` rounds (epochs, sweeps or
/// parts of sweeps) of a trainer's steps, each followed by an observer's measurement.
///
/// The loop owns the bookkeeping once: it checks for cancellation before each round, times each
/// round (checkpoint evaluations excluded) into the timer ``timer`` and the per-round speed
/// samples ``samples`` (x = 1, 2, …), appends the reported loss to ``lossCurve``, adds the
/// reported flops to the job's, times the observer into the timer `evaluate`, reports progress
/// ("epoch 3/10"), applies the ``nonFinite`` policy, and stops when the observer says so.
public struct TrainingLoop: Sendable {
    /// What a round with non-finite steps means.
    public enum NonFinitePolicy: Sendable, Equatable {
        /// The job diverged: ``Divergence`` names the round and the loss.
        case diverge
        /// The trainer skipped those steps; they are counted (``TrainingOutcome/nonFiniteSteps``)
        /// and training goes on — until a round in which every step was non-finite, after which
        /// the parameters cannot move and the loop stops (``TrainingOutcome/frozenAfter``).
        case skip
    }

    public var rounds: Int
    /// The name of a round in progress messages: "epoch", "sweep".
    public var unit: String
    /// The timer the training steps' seconds are added to.
    public var timer: String
    /// The curve of per-round training seconds (the speed verdict's samples), or nil.
    public var samples: String?
    /// The curve of per-round mean training loss, or nil.
    public var lossCurve: String?
    public var nonFinite: NonFinitePolicy

    public init(
        rounds: Int, unit: String = "epoch", timer: String = "train", samples: String? = "epoch_seconds",
        lossCurve: String? = "train_loss", nonFinite: NonFinitePolicy = .diverge
    ) {
        precondition(rounds >= 0, "TrainingLoop: \(rounds) rounds")
        self.rounds = rounds
        self.unit = unit
        self.timer = timer
        self.samples = samples
        self.lossCurve = lossCurve
        self.nonFinite = nonFinite
    }

    /// Runs the rounds. `round` trains one round and returns its report; `observer` measures
    /// after it (and at the checkpoints the round asks for).
    ///
    /// - Throws: ``Divergence`` under ``NonFinitePolicy/diverge`` when a round reports a
    ///   non-finite loss or step; `CancellationError` when the user interrupts; what `round` or
    ///   the observer throws.
    ///
    /// With a `resumption` and a job that keeps checkpoints (``RunContext/checkpoints``), the
    /// loop saves the job after a round every so often (``CheckpointStore/interval``) and, when
    /// the job starts with a checkpoint of the same code and settings, restores it and goes on
    /// with the round after it: the record is the one an uninterrupted run makes, but for timings.
    @discardableResult
    public func run<Observer: TrainingObserver>(
        _ context: RunContext, observer: inout Observer, resumption: Resumption? = nil, round: (TrainingRound) throws -> EpochReport
    ) throws -> TrainingOutcome {
        var outcome = TrainingOutcome()
        var first = 1
        let store = resumption == nil ? nil : context.checkpoints
        if let resumption, let store, let saved = store.load(), saved.round < rounds {
            try resumption.restore(saved.state)
            try observer.restore(from: saved.state)
            context.resume(from: saved)
            outcome = saved.outcome
            first = saved.round + 1
            context.progress(Double(saved.round) / Double(rounds), "\(unit) \(saved.round)/\(rounds) (resumed from its checkpoint)")
        }
        for index in first...Swift.max(rounds, first) where rounds > 0 && first <= rounds {
            try context.checkCancellation()
            var checkpointSeconds = 0.0
            var observerCopy = observer
            var stopAtCheckpoint = false
            let control = TrainingRound(
                index: index,
                onCheckpoint: { step in
                    let (decision, seconds) = try context.measure("evaluate") {
                        try observerCopy.measure(at: .withinRound(round: index, step: step))
                    }
                    checkpointSeconds += seconds
                    if decision == .stop { stopAtCheckpoint = true }
                },
                onProgress: { fraction, detail in
                    context.progress((Double(index - 1) + Swift.min(Swift.max(fraction, 0), 1)) / Double(rounds),
                                     "\(unit) \(index)/\(rounds) \(detail)")
                    try context.checkCancellation()
                })
            let start = context.monotonicSeconds()
            let report = try round(control)
            let seconds = context.monotonicSeconds() - start - checkpointSeconds
            observer = observerCopy
            outcome.add(report, seconds: seconds)
            context.addTimer(timer, seconds)
            if let samples { context.append(samples, x: Double(index), y: seconds) }
            if let lossCurve, let loss = report.loss { context.append(lossCurve, x: Double(index), y: loss) }
            context.addFlops(report.flops)
            if nonFinite == .diverge, report.nonFiniteSteps > 0 || !(report.loss?.isFinite ?? true) {
                throw Divergence("the training loss became \(report.loss.map { "\($0)" } ?? "non-finite") in \(unit) \(index)")
            }
            let decision = try context.measure("evaluate") {
                try observer.measure(at: .endOfRound(round: index, report: report, seconds: seconds))
            }.value
            context.progress(Double(index) / Double(rounds), "\(unit) \(index)/\(rounds)")
            if report.isFrozen && nonFinite == .skip {
                outcome.frozenAfter = index
                break
            }
            if decision == .stop || stopAtCheckpoint {
                outcome.stoppedEarly = index < rounds
                break
            }
            if let resumption, let store, index < rounds {
                let (snapshot, watcher) = (outcome, observer)
                try store.saveIfDue(now: context.monotonicSeconds()) {
                    var state = try resumption.save()
                    watcher.save(into: &state)
                    return JobCheckpoint(round: index, record: context.recorded, outcome: snapshot, state: state,
                                         elapsedSeconds: context.elapsedSeconds, startTime: context.startTime)
                }
            }
        }
        return outcome
    }

    /// ``run(_:observer:round:)`` with an observer made of a closure.
    @discardableResult
    public func run(
        _ context: RunContext, observe: @escaping (TrainingPoint) throws -> TrainingDecision = { _ in .proceed },
        resumption: Resumption? = nil, round: (TrainingRound) throws -> EpochReport
    ) throws -> TrainingOutcome {
        var observer = Observe(observe)
        return try run(context, observer: &observer, resumption: resumption, round: round)
    }
}

/// What a ``TrainingLoop`` run did, for the finals a suite records.
public struct TrainingOutcome: Sendable, Equatable, Codable {
    /// Each round's timed seconds (checkpoints excluded), in order.
    public var roundSeconds: [Double] = []
    /// Each round's report, in order.
    public var reports: [EpochReport] = []
    /// The flops of all rounds.
    public var flops = 0.0
    /// Non-finite steps over all rounds.
    public var nonFiniteSteps = 0
    /// The first round with a non-finite step, if any.
    public var firstNonFiniteRound: Int?
    /// The round after which every step was non-finite and the loop stopped (policy ``TrainingLoop/NonFinitePolicy/skip``).
    public var frozenAfter: Int?
    /// Whether the observer stopped training before the last round.
    public var stoppedEarly = false

    public init() {}

    mutating func add(_ report: EpochReport, seconds: Double) {
        reports.append(report)
        roundSeconds.append(seconds)
        flops += report.flops
        nonFiniteSteps += report.nonFiniteSteps
        if report.nonFiniteSteps > 0 && firstNonFiniteRound == nil { firstNonFiniteRound = reports.count }
    }

    /// The rounds run.
    public var roundsRun: Int { reports.count }
    /// The last finite loss reported, if any.
    public var lastLoss: Double? { reports.reversed().lazy.compactMap(\.loss).first { $0.isFinite } }
    /// All rounds' training seconds.
    public var trainingSeconds: Double { roundSeconds.reduce(0, +) }
    /// The median round's seconds (the upper median for an even count); nil before any round.
    public var medianRoundSeconds: Double? { roundSeconds.isEmpty ? nil : roundSeconds.sorted()[roundSeconds.count / 2] }
    /// Counted GFLOP per second of training; nil before any timed round.
    public var gflops: Double? { trainingSeconds > 0 ? flops / trainingSeconds / 1e9 : nil }
    /// Factorization seconds over the rounds that report any.
    public var factorizationSeconds: Double? {
        let parts = reports.compactMap(\.factorizationSeconds)
        return parts.isEmpty ? nil : parts.reduce(0, +)
    }
}

/// Early stopping on a monitored value, the rule of Keras' (and tn4ml's)
/// `EarlyStopping(monitor=…, min_delta=0, patience=P)`: the first value sets the best; every
/// later value that does not lower it strictly adds one to a counter that a new minimum resets;
/// training stops when the counter reaches P. The model trained last is the one kept.
public struct EarlyStopping: Sendable, Equatable {
    public let patience: Int
    public private(set) var best = Double.infinity
    public private(set) var wait = 0
    private var seen = false

    public init(patience: Int) {
        precondition(patience >= 1, "EarlyStopping: patience \(patience)")
        self.patience = patience
    }

    /// Takes the next value of the monitored quantity (smaller is better) and says whether to go on.
    public mutating func update(_ value: Double) -> TrainingDecision {
        guard seen else {
            seen = true
            best = value
            return .proceed
        }
        wait += 1
        if value < best {
            best = value
            wait = 0
        }
        return wait >= patience ? .stop : .proceed
    }
}
