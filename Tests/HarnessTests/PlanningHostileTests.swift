import Foundation
import TensorCore
import Testing
@testable import Harness

/// Hostile input to the planner and to `plan.json` (issue 27, items 4, 5, 11, 12, 16, 18): every
/// one is one line (`HarnessError`), never a trap, an abort or a silently different job.
@Suite struct PlanningHostileTests {
    /// A suite with an integer configuration key, an integer size setting with a declared limit
    /// and one without.
    struct SizedSuite: Suite {
        var name: String { "Sized" }
        var summary: String { "-" }
        var paper: PaperReference { PaperReference(title: "-", authors: "-", year: 2025, baselineID: "sized") }
        var metrics: [Metric] { [] }
        var figures: [FigureSpec] { [] }
        var limits: [String: ClosedRange<Int>] { ["train_count": 1...60_000] }
        func plan(for tier: Tier) -> TierPlan {
            TierPlan(configurations: Configuration.grid([("D", [2, 4])]), seeds: 2, summary: "-",
                     settings: ["train_count": 100, "epochs": 3, "rate": 0.5])
        }
        func run(_ context: RunContext) throws {}
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as HarnessError { return error.message } catch { return "not a HarnessError: \(error)" }
        return nil
    }

    func plan(seeds: Int? = nil, config: [String] = [], set: [String] = []) throws -> [PlannedJob] {
        try JobPlanner.plan(
            suites: [SizedSuite()], tier: .smoke, seeds: seeds, filter: try ConfigurationFilter(parsing: config),
            overrides: try SettingOverrides(parsing: set))
    }

    /// Item 5: sizes are checked when planning: the declared limit, else the default range; seeds
    /// are capped.
    @Test func sizesAreBoundedAtPlanning() throws {
        #expect(message { _ = try plan(set: ["train_count=9223372036854775807"]) }
            == "Sized: tier setting train_count=9223372036854775807 at tier smoke is out of range; valid: 1…60000")
        #expect(message { _ = try plan(set: ["epochs=9223372036854775807"]) }?
            .hasSuffix("valid: 0…1000000 (no limit declared: the default)") == true)
        #expect(message { _ = try plan(set: ["epochs=-1"]) }?.hasSuffix("valid: 0…1000000 (no limit declared: the default)") == true)
        #expect(message { _ = try plan(config: ["D=9223372036854775807"]) }?.contains("configuration value D=9223372036854775807") == true)
        #expect(message { _ = try plan(seeds: 9_223_372_036_854_775_807) }?.contains("the most seeds one configuration may have") == true)
        #expect(try plan(set: ["train_count=60000"]).allSatisfy { $0.settings["train_count"] == 60_000 })
    }

    /// Item 16: NaN and infinity on the command line are one line, before anything is written.
    @Test func nonFiniteValuesAreRejected() {
        #expect(message { _ = try SettingOverrides(parsing: ["rate=nan"]) } == "--set rate=nan: not a finite number")
        #expect(message { _ = try ConfigurationFilter(parsing: ["D=inf"]) } == "--config D=inf: not a finite number")
        #expect(message { _ = try SettingOverrides(parsing: ["rate=-infinity"]) } != nil)
    }

    /// Item 11: an integral number for an integer key is that integer (same configuration name,
    /// so the same random streams); a fractional one is refused.
    @Test func integralNumbersForIntegerKeysAreIntegers() throws {
        let integer = try plan(seeds: 1, config: ["D=6"]), number = try plan(seeds: 1, config: ["D=6.0"])
        #expect(integer.map(\.job.configuration.name) == ["D=6"])
        #expect(number.map(\.job.configuration.name) == integer.map(\.job.configuration.name))
        #expect(number.first?.job.configuration["D"] == .int(6))
        var a = Philox(seed: RandomKey.derive("Sized", integer[0].job.configuration.name, 0), stream: 1)
        var b = Philox(seed: RandomKey.derive("Sized", number[0].job.configuration.name, 0), stream: 1)
        #expect(a.nextNormal() == b.nextNormal())
        #expect(message { _ = try plan(config: ["D=6.5"]) } == "Sized: --config D=6.5: 'D' takes an integer (the smoke grid has 2, 4)")
        #expect(try plan(set: ["epochs=4.0"]).allSatisfy { $0.settings["epochs"] == .int(4) && $0.overrides["epochs"] == .int(4) })
        #expect(message { _ = try plan(set: ["epochs=4.5"]) } == "Sized: --set epochs=4.5: 'epochs' takes an integer (the tier has 3)")
        #expect(message { _ = try plan(set: ["epochs=1e300"]) }?.contains("takes an integer") == true)
    }

    /// Item 18: planning is linear in jobs (a dictionary by job identity). Correctness only: 20,000
    /// seeds planned, added, planned again (nothing new) and looked up.
    @Test func manySeedsPlanCorrectly() throws {
        let jobs = try plan(seeds: 20_000)
        #expect(jobs.count == 40_000)
        var runPlan = RunPlan(tier: .smoke)
        let first = try runPlan.add(jobs, request: PlanRequest(suites: ["Sized"]))
        #expect(first == Array(0..<40_000))
        let again = try runPlan.add(Array(jobs.reversed()), request: PlanRequest(suites: ["Sized"]))
        #expect(again == Array((0..<40_000).reversed()))
        #expect(runPlan.jobs.count == 40_000 && runPlan.problem() == nil)
        let indices = runPlan.indexByJob()
        #expect(runPlan.jobs.allSatisfy { indices[JobIdentity($0.job)] == $0.index })
        #expect(runPlan.entry(for: Job(suite: "Sized", configuration: ["D": 4.0], seed: 19_999))?.index == 39_999)
    }

    /// Item 16: `run-job` on an index outside the plan says so, with the plan's range; an empty plan says it is empty.
    @Test func indexOutsideThePlan() throws {
        var runPlan = RunPlan(tier: .smoke)
        #expect(message { _ = try runPlan.entry(at: 0) }?.contains("the plan has no jobs") == true)
        try runPlan.add(try plan(), request: PlanRequest(suites: ["Sized"]))
        #expect(message { _ = try runPlan.entry(at: 8) } == "no job 8: index 8 is outside the plan's 4 job(s), whose indices are 0…3")
        #expect(message { _ = try runPlan.entry(at: -1) }?.hasPrefix("no job -1: index -1 is outside") == true)
    }

    /// Items 4 and 12: corruptions of a real plan.json are one line naming the file and the problem.
    @Test func corruptPlansAreOneLine() throws {
        let root = temporaryDirectory()
        let directory = ResultDirectory(root + "/run")
        try directory.extendPlan(with: try plan(), tier: .smoke, request: PlanRequest(suites: ["Sized"]))
        let original = try #require(FileManager.default.contents(atPath: directory.planPath))
        #expect(try directory.readPlan().jobs.count == 4)

        func object() throws -> [String: Any] { try JSONSerialization.jsonObject(with: original) as! [String: Any] }
        func jobs(_ plan: [String: Any]) -> [[String: Any]] { plan["jobs"] as! [[String: Any]] }
        var corruptions: [(String, [String: Any], String)] = []
        func corrupt(_ name: String, _ expected: String, _ change: (inout [String: Any]) -> Void) throws {
            var plan = try object()
            change(&plan)
            corruptions.append((name, plan, expected))
        }
        try corrupt("huge seed", "seed 9223372036854775807, outside the planner's range") { p in
            var j = jobs(p); j[1]["seed"] = Int.max; p["jobs"] = j
        }
        try corrupt("negative seed", "seed -1, outside") { p in var j = jobs(p); j[0]["seed"] = -1; p["jobs"] = j }
        try corrupt("schema 99", "format_version 99 is not 1") { p in p["format_version"] = 99 }
        try corrupt("duplicate index", "the job at position 1 has index 0") { p in
            var j = jobs(p); j[1]["index"] = 0; p["jobs"] = j
        }
        try corrupt("duplicate entry", "are the same job") { p in
            var j = jobs(p); j[1] = j[0]; j[1]["index"] = 1; p["jobs"] = j
        }
        try corrupt("duplicate entry 4.0", "are the same job") { p in
            var j = jobs(p); j[1] = j[0]; j[1]["index"] = 1; j[1]["configuration"] = ["D": 2.5 - 0.5]
            j[1]["double_keys"] = ["configuration": ["D"], "settings": [String](), "overrides": [String]()]; p["jobs"] = j
        }
        try corrupt("gap", "indices must be 0…2 in order") { p in var j = jobs(p); j.remove(at: 1); p["jobs"] = j }
        try corrupt("empty suite", "job 2 has an empty suite name") { p in var j = jobs(p); j[2]["suite"] = ""; p["jobs"] = j }
        try corrupt("zero cpus", "each must be at least 1") { p in
            var j = jobs(p); j[3]["resources"] = ["cpus": 0, "memory_megabytes": 1, "time_minutes": 1]; p["jobs"] = j
        }
        try corrupt("stray override", "overrides 'epochs'") { p in var j = jobs(p); j[0]["overrides"] = ["epochs": 9]; p["jobs"] = j }
        try corrupt("wrong tier", "the plan is of tier ci but") { p in p["tier"] = "ci" }
        try corrupt("unknown tier", "malformed plan (tier:") { p in p["tier"] = "gold" }
        try corrupt("seed as text", "malformed plan (jobs[0].seed:") { p in var j = jobs(p); j[0]["seed"] = "zero"; p["jobs"] = j }
        try corrupt("no jobs key", "malformed plan (the top level: no 'jobs')") { p in p["jobs"] = nil }

        for (name, plan, expected) in corruptions {
            try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: directory.planPath))
            let line = message { _ = try directory.readPlan() }
            #expect(line?.hasPrefix(directory.planPath + ": ") == true, "\(name): \(line ?? "accepted")")
            #expect(line?.contains(expected) == true, "\(name): \(line ?? "accepted")")
            #expect(line?.contains("\n") == false, "\(name)")
        }
        // Random single-byte damage: never a trap; either the same plan, or one line.
        var generator = Philox(seed: 27, stream: 4)
        for _ in 0..<200 {
            var bytes = [UInt8](original)
            bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            try Data(bytes).write(to: URL(fileURLWithPath: directory.planPath))
            if let line = message({ _ = try directory.readPlan() }) { #expect(line.hasPrefix(directory.planPath + ": ") && !line.contains("\n")) }
        }
    }

    /// Item 4: a record's seed near 2⁶³ reads back exactly (never through a Double).
    @Test func hugeSeedInARecordReadsBack() throws {
        let directory = ResultDirectory(temporaryDirectory() + "/run")
        try directory.prepare(tier: .smoke)
        let job = Job(suite: "Sized", configuration: ["D": 2], seed: Int.max)
        try directory.write(JobRecord(
            job: job, tier: .smoke, status: .completed, message: "", record: RunRecord(), settings: [:],
            provenance: Provenance.current(), startTime: "", endTime: "", wallSeconds: 0))
        #expect(try directory.readRecord(job).job.seed == Int.max)
    }
}
