import Foundation
import Harness
import Synchronization
import TensorCore
import Testing

/// The training loop's bookkeeping, tested once for every suite: per-round samples, the loss
/// curve and flops, checkpoints, progress, cancellation, divergence, frozen rounds and early
/// stopping.
@Suite struct TrainingLoopTests {
    /// A context whose cancellation check answers "cancelled" from its `cancelAfter + 1`-th call on.
    static func context(cancelAfter: Int? = nil, progress: (@Sendable (Double, String) -> Void)? = nil) -> RunContext {
        let checks = Counter()
        var isCancelled: (@Sendable () -> Bool)?
        if let cancelAfter { isCancelled = { checks.next() > cancelAfter } }
        return RunContext(
            suite: "Loop", tier: .smoke, configuration: [:], seed: 0, dataDirectory: "/nonexistent", progress: progress,
            isCancelled: isCancelled)
    }

    final class Counter: Sendable {
        let count = Mutex(0)
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
    }

    static func report(loss: Double?, flops: Double = 10, steps: Int = 4, nonFinite: Int = 0) -> EpochReport {
        EpochReport(loss: loss, flops: flops, steps: steps, nonFiniteSteps: nonFinite)
    }

    @Test func recordsOneSampleLossAndFlopsPerRound() throws {
        let context = Self.context()
        let losses = [0.9, 0.5, 0.25]
        let outcome = try TrainingLoop(rounds: 3).run(context) { round in Self.report(loss: losses[round.index - 1], flops: 100) }
        let recorded = context.recorded
        #expect(outcome.roundsRun == 3)
        #expect(recorded.curves["epoch_seconds"]?.x == [1, 2, 3])
        #expect(recorded.curves["epoch_seconds"]?.y == outcome.roundSeconds)
        #expect(outcome.roundSeconds.allSatisfy { $0 >= 0 })
        #expect(recorded.curves["train_loss"] == Curve(x: [1, 2, 3], y: losses))
        #expect(recorded.flops == 300 && outcome.flops == 300)
        #expect(recorded.timers["train"] == outcome.trainingSeconds)
        #expect(recorded.timers["evaluate"] != nil)
        #expect(outcome.lastLoss == 0.25)
        #expect(outcome.medianRoundSeconds == outcome.roundSeconds.sorted()[1])
        #expect(!outcome.stoppedEarly && outcome.frozenAfter == nil)
    }

    @Test func namesItsCurvesAndTimerAsTold() throws {
        let context = Self.context()
        try TrainingLoop(rounds: 2, unit: "sweep", timer: "sweeps", samples: "quarter_sweep_seconds", lossCurve: nil)
            .run(context) { _ in Self.report(loss: 1) }
        #expect(context.recorded.curves["quarter_sweep_seconds"]?.x == [1, 2])
        #expect(context.recorded.curves["train_loss"] == nil && context.recorded.curves["epoch_seconds"] == nil)
        #expect(context.recorded.timers["sweeps"] != nil && context.recorded.timers["train"] == nil)
    }

    @Test func theObserverSeesCheckpointsThenTheEndOfEachRound() throws {
        let context = Self.context()
        var points: [TrainingPoint] = []
        var observer = Recorder(points: [])
        try TrainingLoop(rounds: 2).run(context, observer: &observer) { round in
            try round.checkpoint(step: round.index * 10 - 5)
            return Self.report(loss: 1)
        }
        points = observer.points
        #expect(points.count == 4)
        #expect(points[0] == .withinRound(round: 1, step: 5))
        if case .endOfRound(let round, let report, _) = points[1] { #expect(round == 1 && report.loss == 1) } else { Issue.record("\(points[1])") }
        #expect(points[2] == .withinRound(round: 2, step: 15))
        #expect(points[3].round == 2)
    }

    struct Recorder: TrainingObserver {
        var points: [TrainingPoint]
        mutating func measure(at point: TrainingPoint) throws -> TrainingDecision {
            points.append(point)
            return .proceed
        }
    }

    @Test func progressIsMonotoneWithinZeroAndOneAndNamesTheRound() throws {
        let seen = Mutex<[(Double, String)]>([])
        let context = Self.context(progress: { fraction, message in seen.withLock { $0.append((fraction, message)) } })
        try TrainingLoop(rounds: 2, unit: "sweep").run(context) { round in
            try round.progress(0.5, "bond 3")
            return Self.report(loss: 1)
        }
        let fractions = seen.withLock { $0.map(\.0) }
        #expect(fractions == [0.25, 0.5, 0.75, 1.0])
        #expect(seen.withLock { $0[0].1 } == "sweep 1/2 bond 3")
        #expect(seen.withLock { $0[3].1 } == "sweep 2/2")
    }

    @Test func cancellationBetweenRoundsStopsBeforeTheNextRound() throws {
        let context = Self.context(cancelAfter: 2)
        var ran = 0
        #expect(throws: CancellationError.self) {
            try TrainingLoop(rounds: 5).run(context) { _ in
                ran += 1
                return Self.report(loss: 1)
            }
        }
        #expect(ran == 2)
    }

    @Test func cancellationWithinARoundComesThroughItsProgress() throws {
        let context = Self.context(cancelAfter: 1)
        var reached = false
        #expect(throws: CancellationError.self) {
            try TrainingLoop(rounds: 3).run(context) { round in
                try round.progress(0.5, "half")
                reached = true
                return Self.report(loss: 1)
            }
        }
        #expect(!reached)
    }

    @Test func aNonFiniteRoundDivergesUnderTheDivergePolicy() throws {
        for bad in [Self.report(loss: .nan), Self.report(loss: 0.5, nonFinite: 1), Self.report(loss: .infinity)] {
            let context = Self.context()
            var rounds = 0
            do {
                try TrainingLoop(rounds: 4).run(context) { round in
                    rounds += 1
                    return round.index == 2 ? bad : Self.report(loss: 1)
                }
                Issue.record("no divergence for \(bad)")
            } catch let divergence as Divergence {
                #expect(divergence.message.contains("epoch 2"))
            }
            #expect(rounds == 2)
        }
    }

    @Test func theSkipPolicyCountsNonFiniteStepsAndStopsWhenARoundIsFrozen() throws {
        let context = Self.context()
        let reports = [Self.report(loss: 1), Self.report(loss: 0.5, nonFinite: 2), Self.report(loss: nil, nonFinite: 4), Self.report(loss: 1)]
        let outcome = try TrainingLoop(rounds: 4, nonFinite: .skip).run(context) { round in reports[round.index - 1] }
        #expect(outcome.roundsRun == 3)
        #expect(outcome.nonFiniteSteps == 6)
        #expect(outcome.firstNonFiniteRound == 2)
        #expect(outcome.frozenAfter == 3)
        #expect(outcome.lastLoss == 0.5)
        #expect(context.recorded.curves["train_loss"] == Curve(x: [1, 2], y: [1, 0.5]))
    }

    @Test func earlyStoppingFollowsKerasRule() {
        var rule = EarlyStopping(patience: 3)
        let decisions = [1.0, 0.9, 0.95, 0.96, 0.97].map { rule.update($0) }
        #expect(decisions == [.proceed, .proceed, .proceed, .proceed, .stop])
        #expect(rule.best == 0.9)
        var equal = EarlyStopping(patience: 1)
        #expect(equal.update(1) == .proceed)
        #expect(equal.update(1) == .stop, "an equal value is not an improvement (min_delta = 0)")
    }

    @Test func anObserverStopsTrainingEarly() throws {
        let context = Self.context()
        var rule = EarlyStopping(patience: 2)
        let validation = [0.5, 0.4, 0.45, 0.41, 0.3, 0.2]
        let outcome = try TrainingLoop(rounds: 6).run(context, observe: { point in
            guard case .endOfRound(let round, _, _) = point else { return .proceed }
            return rule.update(validation[round - 1])
        }) { _ in Self.report(loss: 1) }
        #expect(outcome.roundsRun == 4)
        #expect(outcome.stoppedEarly)
    }

    @Test func zeroRoundsRunNothing() throws {
        let context = Self.context()
        let outcome = try TrainingLoop(rounds: 0).run(context) { _ in
            Issue.record("a round ran")
            return Self.report(loss: 1)
        }
        #expect(outcome.roundsRun == 0 && outcome.gflops == nil && outcome.medianRoundSeconds == nil)
    }

    @Test func aTrainersNonFiniteLossIsRecordedAsDiverged() {
        struct Thrower: Suite {
            var name: String { "Thrower" }
            var summary: String { "throws NonFiniteLoss" }
            var paper: PaperReference { PaperReference(title: "t", authors: "a", year: 2026, baselineID: "t") }
            var metrics: [Metric] { [] }
            var figures: [FigureSpec] { [] }
            func plan(for tier: Tier) -> TierPlan { TierPlan(configurations: [[:]], seeds: 1, summary: "") }
            func run(_ context: RunContext) throws { throw NonFiniteLoss(step: 7, loss: .nan) }
        }
        let planned = PlannedJob(suite: Thrower(), job: Job(suite: "Thrower", configuration: [:], seed: 0), settings: [:])
        guard case .finished(let record) = JobExecution.run(planned, tier: .smoke, dataDirectory: "/nonexistent") else {
            Issue.record("cancelled")
            return
        }
        #expect(record.status == .diverged)
        #expect(record.message == "the training loss became nan at step 7")
    }
}
