import Foundation
import TensorCore
import Testing
import _TestSupport
@testable import Harness

/// Checkpoints between rounds: a job stopped after any round and started again in the same run
/// directory goes on from its last checkpoint and records what an uninterrupted run records.
@Suite struct CheckpointTests {
    struct Killed: Error {}

    /// A toy trainer under the loop: a parameter walked by the job's random stream, a loss
    /// curve, a "best" kept by the observer in the record, and a scalar at the end. It can be
    /// "killed" (an error that is not the job's) before a given round.
    static func train(_ context: RunContext, rounds: Int = 8, killBefore: Int? = nil) throws {
        var rng = context.rng("walk")
        var w = [Double](repeating: 0, count: 3)
        let resumption = Resumption(
            save: {
                var state = TrainingState()
                state.set("w", doubles: w)
                state.set("walk", generator: rng)
                return state
            },
            restore: { state in
                w = try state.doubles("w")
                rng = try state.generator("walk")
            })
        try TrainingLoop(rounds: rounds).run(context, observe: { point in
            if case .endOfRound(let round, let report, _) = point {
                context.append("w0", x: Double(round), y: w[0])
                context.record("best", Swift.min(context.recorded.scalars["best"] ?? .infinity, report.loss!))
            }
            return .proceed
        }, resumption: resumption) { round in
            if round.index == killBefore { throw Killed() }
            for k in w.indices { w[k] += rng.nextNormal() * 0.1 }
            return EpochReport(loss: w.map { $0 * $0 }.reduce(0, +), flops: 10, steps: 1)
        }
        context.record("final", w.reduce(0, +))
        context.setAttribute("trainer", "toy")
    }

    static func context(work: String, settings: [String: ConfigurationValue] = ["rounds": 8], interval: Double = 0) -> RunContext {
        let job = Job(suite: "Toy", configuration: ["m": 2], seed: 3)
        let context = RunContext(suite: job.suite, tier: .smoke, configuration: job.configuration, seed: job.seed,
                                 settings: settings, dataDirectory: "/nonexistent")
        context.checkpoints = CheckpointStore(job: job, settings: settings, workDirectory: work, interval: interval, started: MonotonicClock.seconds())
        return context
    }

    /// The numbers of a record, timings left out (as `tnbench diff` compares them).
    static func numbers(_ r: RunRecord) -> String {
        let curves = r.curves.filter { !$0.key.hasSuffix("_seconds") }.sorted { $0.key < $1.key }
            .map { "\($0.key): \($0.value.x.map(\.bitPattern)) \($0.value.y.map(\.bitPattern))" }
        return "\(r.scalars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" }) \(curves) \(r.attributes.sorted { $0.key < $1.key }) flops \(r.flops)"
    }

    @Test(arguments: [2, 3, 5, 8])
    func aKilledJobResumesWithTheNumbersOfAnUninterruptedOne(killBefore: Int) throws {
        let uninterrupted = Self.context(work: temporaryDirectory())
        try Self.train(uninterrupted)

        let work = temporaryDirectory()
        let first = Self.context(work: work)
        #expect(throws: Killed.self) { try Self.train(first, killBefore: killBefore) }
        let path = CheckpointStore.path(for: Job(suite: "Toy", configuration: ["m": 2], seed: 3), workDirectory: work)
        #expect(FileManager.default.fileExists(atPath: path))
        let second = Self.context(work: work)
        try Self.train(second)
        #expect(second.resumedAfterRound == killBefore - 1)
        #expect(Self.numbers(second.recorded) == Self.numbers(uninterrupted.recorded))
        #expect(second.recorded.curves["epoch_seconds"]?.x == (1...8).map(Double.init))
    }

    /// Killed again after resuming: the second checkpoint is the one resumed.
    @Test func aJobKilledTwiceResumesFromItsLatestCheckpoint() throws {
        let uninterrupted = Self.context(work: temporaryDirectory())
        try Self.train(uninterrupted)
        let work = temporaryDirectory()
        #expect(throws: Killed.self) { try Self.train(Self.context(work: work), killBefore: 3) }
        #expect(throws: Killed.self) { try Self.train(Self.context(work: work), killBefore: 6) }
        let third = Self.context(work: work)
        try Self.train(third)
        #expect(third.resumedAfterRound == 5)
        #expect(Self.numbers(third.recorded) == Self.numbers(uninterrupted.recorded))
    }

    /// A checkpoint of other settings (or other code) is not resumed: set aside, the job starts afresh.
    @Test func aCheckpointOfOtherSettingsIsSetAside() throws {
        let work = temporaryDirectory()
        #expect(throws: Killed.self) { try Self.train(Self.context(work: work, settings: ["rounds": 8, "lr": 0.1]), killBefore: 4) }
        let fresh = Self.context(work: work)
        try Self.train(fresh)
        #expect(fresh.resumedAfterRound == nil)
        let path = CheckpointStore.path(for: Job(suite: "Toy", configuration: ["m": 2], seed: 3), workDirectory: work)
        #expect(FileManager.default.fileExists(atPath: path + ".unusable"))
    }

    /// A damaged checkpoint (a flipped byte) fails its checksum: set aside, the job starts afresh.
    @Test func aDamagedCheckpointIsSetAside() throws {
        let work = temporaryDirectory()
        #expect(throws: Killed.self) { try Self.train(Self.context(work: work), killBefore: 4) }
        let path = CheckpointStore.path(for: Job(suite: "Toy", configuration: ["m": 2], seed: 3), workDirectory: work)
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let fresh = Self.context(work: work)
        try Self.train(fresh)
        #expect(fresh.resumedAfterRound == nil)
        #expect(FileManager.default.fileExists(atPath: path + ".unusable"))
    }

    /// Checkpoints wait for their interval: a job shorter than it writes none.
    @Test func noCheckpointBeforeTheInterval() throws {
        let work = temporaryDirectory()
        #expect(throws: Killed.self) { try Self.train(Self.context(work: work, interval: 3600), killBefore: 6) }
        let path = CheckpointStore.path(for: Job(suite: "Toy", configuration: ["m": 2], seed: 3), workDirectory: work)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Through the runner: a job whose record is written leaves no checkpoint behind, and the
    /// record says when a job was resumed.
    @Test func theRecordSaysItWasResumedAndTheCheckpointGoes() throws {
        let root = temporaryDirectory()
        let directory = ResultDirectory(root + "/run")
        let job = Job(suite: "Toy", configuration: ["m": 2], seed: 3)
        var record = JobRecord(job: job, tier: .smoke, status: .completed, message: "", record: RunRecord(), settings: [:],
                               provenance: Provenance.current(), startTime: "", endTime: "", wallSeconds: 1)
        record.resumedAfterRound = 4
        try directory.prepare(tier: .smoke)
        try directory.write(record)
        #expect(try directory.readRecord(job).resumedAfterRound == 4)
        #expect(record.displayMessage == "resumed from its checkpoint after round 4")
        let path = CheckpointStore.path(for: job, workDirectory: directory.workPath)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: path))
        try Data([2]).write(to: URL(fileURLWithPath: (path as NSString).deletingLastPathComponent + "/.seed_3.h5.tmp-1-2"))
        CheckpointStore.remove(for: job, workDirectory: directory.workPath)
        #expect(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent).isEmpty)
    }
}
