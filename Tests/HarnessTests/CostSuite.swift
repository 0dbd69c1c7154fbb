import Foundation
import Harness
import _TestSupport

/// A suite whose running time is a setting: every epoch does `work × slowdown` dependent
/// floating-point updates and is timed as one sample of `epoch_seconds`. `--set slowdown=1.3` makes
/// a build exactly 30% slower in work (not in seconds: the machine decides those), which is what
/// a speed verdict must catch; its quality metric depends only on the seed.
///
/// Eight jobs of six epochs per side: the verdict's interval is widened by the spread between
/// jobs over the number of jobs (``SpeedRatio``), and on a shared CI machine that spread has been
/// 14% between jobs of a second each. With three jobs per side that left a measured 1.25× inside
/// [0.91, 1.70]; with eight the same spread leaves about ±18%, so a 30% slowdown is decided.
struct CostSuite: Suite {
    var name: String { "Cost" }
    var summary: String { "Timed busy work whose amount is a setting, for testing speed verdicts" }
    var paper: PaperReference { PaperReference(title: "Cost", authors: "Nobody", year: 2026, baselineID: "cost") }
    /// Iterations of busy work, not a data size: beyond the planner's default range.
    var limits: [String: ClosedRange<Int>] { ["work": 1...1_000_000_000] }
    var metrics: [Metric] {
        [
            Metric("epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "epoch_seconds",
                       description: "median seconds of an epoch of busy work"),
            Metric("score", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.01, description: "a number fixed by the seed"),
        ]
    }
    var figures: [FigureSpec] { [] }

    func plan(for tier: Tier) -> TierPlan {
        TierPlan(
            configurations: [["size": 1]], seeds: 8, summary: "8 seeds of timed busy work",
            settings: ["epochs": 6, "work": 20_000_000, "slowdown": 1.0])
    }

    func run(_ context: RunContext) throws {
        let epochs = try context.settings.int("epochs", in: 1...)
        let iterations = Int((Double(try context.settings.int("work", in: 1...)) * (try context.settings.double("slowdown"))).rounded())
        var x = 1.0 + Double(context.seed) * 1e-3
        var seconds: [Double] = []
        for _ in 0..<epochs {
            seconds.append(context.measure("epoch", sample: "epoch_seconds") {
                for _ in 0..<iterations { x = x * 0.999_999_9 + 1e-7 }
            }.seconds)
        }
        context.record("epoch_seconds", seconds.sorted()[seconds.count / 2])
        context.record("score", 0.1 + 0.01 * Double(context.seed) + (x.isFinite ? 0 : 1))
    }
}

/// Runs the cost suite's smoke tier twice, interleaved, into `root/base` and `root/head`, the head
/// with `headSlowdown`, and judges head against base. `work` overrides the iterations per epoch
/// (tests that need the records, not the timing, make it small).
func costAB(root: String, headSlowdown: Double, work: Int? = nil) throws -> RevisionComparison {
    let suite = CostSuite()
    let sides = InterleavedRun(base: ResultDirectory(root + "/base"), head: ResultDirectory(root + "/head"))
    var planned: [RevisionSide: [PlannedJob]] = [:]
    for side in RevisionSide.allCases {
        let slowdown: ConfigurationValue = .double(side == .head ? headSlowdown : 1.0)
        var overrides: [String: ConfigurationValue] = ["slowdown": slowdown]
        if let work { overrides["work"] = .int(work) }
        planned[side] = try JobPlanner.plan(suites: [suite], tier: .smoke, overrides: SettingOverrides(overrides))
        try sides.directory(side).prepare(tier: .smoke)
    }
    // `WorkerJob.run` sets the process's BLAS thread count: hold the lock, or a suite test
    // running beside this one changes its thread count mid-job and loses its bit-identity.
    try BLASThreadsLock.withLock {
        try sides.run(planned[.base]!.map(\.job)) { side, job in
            let job = planned[side]!.first { $0.job == job }!
            _ = try WorkerJob.run(job, tier: .smoke, directory: sides.directory(side), dataDirectory: "/nonexistent", blasThreads: 1, progressFile: nil)
        }
    }
    return RevisionComparison(base: try sides.base.loadResults(), head: try sides.head.loadResults(), suites: [suite])
}

/// Each job's median epoch in milliseconds, base and head, in the order the A/B ran them: what a
/// failed timing test shows, so that a verdict can be traced to the jobs behind it.
func jobMedians(_ comparison: RevisionComparison) -> String {
    let metric = CostSuite().metrics[0]
    let jobs = Array(Set(comparison.base.records.map(\.job))).sorted { $0.seed < $1.seed }
    return "job medians in run order (ms): " + InterleavedRun.schedule(jobs).map { side, job in
        let record = (side == .base ? comparison.base : comparison.head).records.first { $0.job == job }
        let median = record?.samples(of: metric).map { Statistics.median($0) * 1000 } ?? .nan
        return "\(side.rawValue)\(job.seed) \(String(format: "%.1f", median))"
    }.joined(separator: ", ")
}
