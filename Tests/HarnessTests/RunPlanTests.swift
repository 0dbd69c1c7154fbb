import Foundation
import Testing
import TensorCore
@testable import Harness
import _TestSupport

/// The plan of a run directory: stable indices, settings and overrides, jobs run by index.
@Suite struct RunPlanTests {
    let suite = SyntheticSuite()

    func plan(seeds: Int? = nil, sets: [String] = [], filter: ConfigurationFilter = ConfigurationFilter()) throws -> [PlannedJob] {
        try JobPlanner.plan(suites: [suite], tier: .smoke, seeds: seeds, filter: filter, overrides: try SettingOverrides(parsing: sets))
    }

    @Test func manifestListsEveryJobWithItsSettingsAndResources() throws {
        let directory = ResultDirectory(temporaryDirectory())
        let (plan, indices) = try directory.extendPlan(
            with: try plan(sets: ["epochs=4"]), tier: .smoke, request: PlanRequest(suites: ["Synthetic"], settings: ["epochs=4"]))
        #expect(indices == Array(0..<10))
        #expect(plan.jobs.map(\.index) == Array(0..<10))
        #expect(plan.suites == ["Synthetic"])
        #expect(plan.jobs.allSatisfy { $0.settings["epochs"] == 4 && $0.overrides == ["epochs": 4] })
        #expect(plan.jobs.allSatisfy { $0.resources == JobResources.default(for: .smoke) })
        #expect(plan.requests.map(\.settings) == [["epochs=4"]])
        // What was written is what is read, in snake_case keys.
        #expect(try directory.readPlan() == plan)
        let text = try String(contentsOfFile: directory.planPath, encoding: .utf8)
        #expect(text.contains("\"format_version\"") && text.contains("\"overrides\""))
        #expect(try directory.readManifest().tier == .smoke)
    }

    /// Planning again keeps every job at its index and appends the new ones.
    @Test func indicesAreStableWhenThePlanGrows() throws {
        let directory = ResultDirectory(temporaryDirectory())
        let first = try directory.extendPlan(with: try plan(seeds: 2), tier: .smoke, request: PlanRequest(suites: ["all"], seeds: 2)).plan
        let names = first.jobs.map(\.job)
        let (second, indices) = try directory.extendPlan(with: try plan(seeds: 5), tier: .smoke, request: PlanRequest(suites: ["all"]))
        #expect(Array(second.jobs.prefix(4).map(\.job)) == names)
        #expect(second.jobs.count == 10 && second.jobs.map(\.index) == Array(0..<10))
        #expect(Set(indices) == Set(0..<10))
        // Same selection again: nothing new, same indices.
        let (third, again) = try directory.extendPlan(with: try plan(seeds: 5), tier: .smoke, request: PlanRequest(suites: ["all"]))
        #expect(third.jobs == second.jobs && again == indices)
        #expect(third.requests.count == 3)
        // A subset maps to the indices it had.
        let only = try plan(filter: ConfigurationFilter(["m": [20]]))
        #expect(try third.entry(at: indices[5]).job == (try plan(seeds: 5))[5].job)
        #expect(only.count == 5)
        #expect(only.map { third.entry(for: $0.job)?.index } == only.map { job in second.jobs.firstIndex { $0.job == job.job } })
    }

    @Test func replanningWithOtherSettingsOrTierIsRefused() throws {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.extendPlan(with: try plan(), tier: .smoke, request: PlanRequest(suites: ["all"]))
        #expect(throws: HarnessError.self) {
            try directory.extendPlan(with: try plan(sets: ["epochs=9"]), tier: .smoke, request: PlanRequest(suites: ["all"]))
        }
        do {
            try directory.extendPlan(with: try plan(sets: ["epochs=9"]), tier: .smoke, request: PlanRequest(suites: ["all"]))
        } catch let error as HarnessError {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains("epochs = 3 then, 9 now"))
            #expect(!error.message.contains("\n"))
        }
        #expect(throws: HarnessError.self) {
            try directory.extendPlan(with: try plan(), tier: .ci, request: PlanRequest(suites: ["all"]))
        }
        // The refused plans left the plan as it was.
        #expect(try directory.readPlan().jobs.count == 10)
        #expect(try directory.readPlan().requests.count == 1)
    }

    /// JSON writes 1.0 as 1: the plan still gives back floating-point values as such, so a job
    /// run by index has the configuration name (and random streams) and settings it was planned with.
    @Test func floatingPointValuesSurviveThePlanFile() throws {
        let directory = ResultDirectory(temporaryDirectory())
        let job = PlannedJob(
            suite: suite, job: Job(suite: "Synthetic", configuration: ["m": 10, "lr": 2.0, "rate": 0.5, "init": "copy_node"], seed: 0),
            settings: ["learning_rate": 1.0, "epochs": 3, "alpha": 1e-7], overrides: ["learning_rate": 1.0])
        try directory.extendPlan(with: [job], tier: .smoke, request: PlanRequest(suites: ["all"]))
        let entry = try directory.readPlan().jobs[0]
        #expect(entry.configuration.values == ["m": .int(10), "lr": .double(2), "rate": .double(0.5), "init": .string("copy_node")])
        #expect(entry.configuration.name == "init=copy_node,lr=2.0,m=10,rate=0.5")
        #expect(entry.settings == ["learning_rate": .double(1), "epochs": .int(3), "alpha": .double(1e-7)])
        #expect(entry.overrides == ["learning_rate": .double(1)])
        // Planning the same job again is not a change of settings.
        #expect(try directory.extendPlan(with: [job], tier: .smoke, request: PlanRequest(suites: ["all"])).indices == [0])
    }

    @Test func entryOutOfRangeAndUnknownSuite() throws {
        let directory = ResultDirectory(temporaryDirectory())
        let plan = try directory.extendPlan(with: try plan(), tier: .smoke, request: PlanRequest(suites: ["all"])).plan
        #expect(throws: HarnessError.self) { try plan.entry(at: 10) }
        #expect(throws: HarnessError.self) { try plan.entry(at: -1) }
        #expect(throws: HarnessError.self) { try plan.plannedJob(plan.jobs[0], registry: []) }
        #expect(throws: HarnessError.self) { try ResultDirectory(temporaryDirectory()).readPlan() }
    }

    /// Running each job by its index (what `run-job` and an array task do) records the same numbers
    /// as the runner, and the records carry the overrides.
    @Test func jobsRunByIndexEqualARunnerRun() throws {
        let root = temporaryDirectory()
        let byIndex = ResultDirectory(root + "/by-index")
        let planned = try plan(seeds: 2, sets: ["epochs=5"])
        let plan = try byIndex.extendPlan(with: planned, tier: .smoke, request: PlanRequest(suites: ["all"])).plan
        try BLASThreadsLock.withLock {
            for index in (0..<plan.jobs.count).reversed() {
                let job = try plan.plannedJob(try plan.entry(at: index), registry: [suite])
                let status = try WorkerJob.run(job, tier: .smoke, directory: byIndex, dataDirectory: "/nonexistent", blasThreads: 1, progressFile: nil)
                #expect(status == .ok)
            }
        }
        let runner = ResultDirectory(root + "/runner")
        try BLASThreadsLock.withLock {
            _ = try Runner(directory: runner, tier: .smoke, dataDirectory: "/nonexistent").run(planned)
        }
        let a = try byIndex.loadResults(), b = try runner.loadResults()
        #expect(a.records.count == 4)
        #expect(RunDifference.differences(a, b, timedMetrics: ["Synthetic": ["epoch_seconds"]]).isEmpty)
        #expect(a.records.allSatisfy { $0.overrides == ["epochs": 5] && $0.settings["epochs"] == 5 })
        // And the states of the plan follow the records.
        #expect(byIndex.states(of: plan).allSatisfy { $0.status == .completed })
    }

    @Test func runDifferenceSeesNumbersButNotTimes() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/a", seeds: 1)
        try runSynthetic(SyntheticSuite(slowdown: 2), into: root + "/b", seeds: 1)
        try runSynthetic(SyntheticSuite(shift: 1e-12), into: root + "/c", seeds: 1)
        let a = try ResultDirectory(root + "/a").loadResults()
        let b = try ResultDirectory(root + "/b").loadResults()
        let c = try ResultDirectory(root + "/c").loadResults()
        let speed = ["Synthetic": Set(["epoch_seconds"])]
        #expect(RunDifference.differences(a, b, timedMetrics: speed).isEmpty)
        let lines = RunDifference.differences(a, c, timedMetrics: speed)
        #expect(lines.contains { $0.contains("scalar test_error") })
        #expect(lines.contains { $0.contains("curve loss differs") })
    }
}
