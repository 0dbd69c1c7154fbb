import Foundation
import TensorCore
import Testing
import _TestSupport
@testable import Harness

/// Bad user input gives typed errors with one line naming the culprit and the valid choices.
@Suite struct BadInputTests {
    let registry: [any Suite] = [SyntheticSuite()]

    func kind(_ body: () throws -> Void) -> (HarnessError.Kind, String)? {
        do {
            try body()
            return nil
        } catch let error as HarnessError {
            return (error.kind, error.message)
        } catch {
            return nil
        }
    }

    @Test func unknownSuiteTierAndKey() throws {
        let suite = kind { _ = try JobPlanner.select(["Nope"], from: registry) }
        #expect(suite?.0 == .unknownSuite)
        #expect(suite?.1 == "unknown suite 'Nope'; valid suites: Synthetic, all")
        #expect(kind { _ = try JobPlanner.tier("smok") }?.1 == "unknown tier 'smok'; valid tiers: smoke, ci, paper")
        let key = kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, filter: ConfigurationFilter(["bond": [3]])) }
        #expect(key?.0 == .unknownConfigurationKey)
        #expect(key?.1.contains("valid keys: m") == true)
        #expect(kind { _ = try ConfigurationFilter(parsing: ["m"]) }?.0 == .invalidArgument)
        #expect(kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, seeds: 0) }?.0 == .invalidArgument)
        #expect(try JobPlanner.select(["all"], from: registry).count == 1)
        #expect(try JobPlanner.select(["synthetic"], from: registry).first?.name == "Synthetic")
    }

    /// `--config implementation=numpy` names the flag that chooses implementations.
    @Test func implementationIsNotAConfigurationKey() throws {
        let filter = try ConfigurationFilter(parsing: ["implementation=numpy", "implementation=pytorch"])
        let error = kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, filter: filter) }
        #expect(error?.0 == .unknownConfigurationKey)
        #expect(error?.1 == "unknown configuration key 'implementation': choose implementations with "
            + "--implementation numpy --implementation pytorch (or --implementation all), not --config")
        // Other unknown keys keep naming the valid ones.
        let other = kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, filter: ConfigurationFilter(["bond": [3]])) }
        #expect(other?.1.contains("valid keys: m") == true && other?.1.contains("--implementation") == false)
    }

    /// `--set key=value` changes a tier setting of every job; an unknown key or a value of
    /// another type is one line naming it.
    @Test func settingOverrides() throws {
        let changed = try JobPlanner.plan(suites: registry, tier: .ci, overrides: try SettingOverrides(parsing: ["epochs=7"]))
        #expect(changed.count == 10 && changed.allSatisfy { $0.settings["epochs"] == 7 })
        #expect(try JobPlanner.plan(suites: registry, tier: .ci).allSatisfy { $0.settings["epochs"] == 3 })
        #expect(try SettingOverrides(parsing: ["epochs=7", "b=x"]).arguments == ["--set", "b=x", "--set", "epochs=7"])
        let unknown = kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, overrides: try SettingOverrides(parsing: ["epoch=7"])) }
        #expect(unknown?.0 == .unknownConfigurationKey)
        #expect(unknown?.1 == "unknown tier setting 'epoch' for Synthetic at tier ci; valid settings: epochs")
        let mistyped = kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, overrides: try SettingOverrides(parsing: ["epochs=many"])) }
        #expect(mistyped?.0 == .invalidConfiguration)
        #expect(mistyped?.1.contains("--set epochs=many") == true)
        #expect(kind { _ = try SettingOverrides(parsing: ["epochs"]) }?.0 == .invalidArgument)
        // A number where the tier has a number: an integer is taken as that number.
        let rate = try SettingOverrides(parsing: ["rate=1"]).applied(to: ["rate": 0.5], of: "S")
        #expect(rate["rate"] == .double(1))
    }

    @Test func configurationSelectionAndSubstitution() throws {
        let kept = try JobPlanner.plan(suites: registry, tier: .ci, filter: try ConfigurationFilter(parsing: ["m=10"]))
        #expect(Set(kept.map(\.job.configuration)) == [["m": 10]])
        #expect(kept.count == 5)
        // m = 40 is not in the grid: substituted, so the tier runs m = 40.
        let substituted = try JobPlanner.plan(suites: registry, tier: .ci, seeds: 2, filter: try ConfigurationFilter(parsing: ["m=40"]))
        #expect(substituted.map(\.job.configuration) == [["m": 40], ["m": 40]])
        #expect(substituted.map(\.job.seed) == [0, 1])
    }

    /// `--config m=abc` where the grid's m are integers: one line at planning time, not a trap.
    @Test func substitutedValueOfTheWrongTypeIsRejectedWhenPlanning() throws {
        for argument in ["m=abc", "m=2.5"] {
            let error = kind { _ = try JobPlanner.plan(suites: registry, tier: .ci, filter: try ConfigurationFilter(parsing: [argument])) }
            #expect(error?.0 == .invalidConfiguration)
            #expect(error?.1 == "Synthetic: --config \(argument): 'm' takes an integer (the ci grid has 10, 20)")
        }
        #expect(try JobPlanner.plan(suites: registry, tier: .ci, filter: try ConfigurationFilter(parsing: ["m=40.0"])).count == 5)
    }

    /// A job whose input is bad is recorded as failed with the accessor's one line; the other
    /// jobs go on.
    @Test func badInputInsideAJobIsAFailureNotADivergence() throws {
        let planned = PlannedJob(suite: SyntheticSuite(), job: Job(suite: "Synthetic", configuration: ["m": 5], seed: 0), settings: [:])
        guard case .finished(let record) = JobExecution.run(planned, tier: .smoke, dataDirectory: "/nonexistent") else {
            Issue.record("the job was cancelled")
            return
        }
        #expect(record.status == .failed)
        #expect(record.message == "Synthetic: configuration value 'm' = 5 is out of range; valid: ≥ 10")
    }

    /// NaN reaching a decomposition is numerical divergence, not bad input.
    @Test func nonFiniteDecompositionInputIsADivergence() throws {
        struct NaNSuite: Suite {
            var name: String { "NaN" }
            var summary: String { "throws what a sweep throws when its bond tensor is NaN" }
            var paper: PaperReference { PaperReference(title: "-", authors: "-", year: 2026, baselineID: "-") }
            var metrics: [Metric] { [] }
            var figures: [FigureSpec] { [] }
            func plan(for tier: Tier) -> TierPlan { TierPlan(configurations: [[:]], seeds: 1, summary: "-") }
            func run(_ context: RunContext) throws { throw LinearAlgebraError.nonFiniteInput(routine: "bond update at sites 3, 4") }
        }
        let planned = PlannedJob(suite: NaNSuite(), job: Job(suite: "NaN", configuration: [:], seed: 0), settings: [:])
        guard case .finished(let record) = JobExecution.run(planned, tier: .smoke, dataDirectory: "/nonexistent") else {
            Issue.record("the job was cancelled")
            return
        }
        #expect(record.status == .diverged)
        #expect(record.message == "bond update at sites 3, 4 was given a matrix containing NaN or infinity")
    }

    @Test func namedValuesAccessors() throws {
        let values = NamedValues(suite: "S", role: .setting, values: [
            "epochs": 3, "rate": 0.5, "whole": 4.0, "name": "glorot", "flag": "yes", "bad": "x",
        ])
        #expect(try values.int("epochs") == 3)
        #expect(try values.int("whole") == 4)
        #expect(try values.double("epochs") == 3)
        #expect(try values.double("rate", in: 0...1) == 0.5)
        #expect(try values.bool("flag"))
        #expect(try values.optionalInt("absent") == nil)
        enum Initializer: String, CaseIterable { case glorot, he }
        #expect(try values.choice("name", as: Initializer.self) == .glorot)
        func message(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch { return (error as? SuiteInputError)?.description }
        }
        #expect(message { _ = try values.int("epoch") } == "S: tier setting 'epoch' is missing (present: bad, epochs, flag, name, rate, whole)")
        #expect(message { _ = try values.int("rate") } == "S: tier setting 'rate' = '0.5' is not an integer")
        #expect(message { _ = try values.int("epochs", in: 5...) } == "S: tier setting 'epochs' = 3 is out of range; valid: ≥ 5")
        #expect(message { _ = try values.double("bad") } == "S: tier setting 'bad' = 'x' is not a finite number")
        #expect(message { _ = try values.choice("bad", as: Initializer.self) } == "S: tier setting 'bad' = 'x' is not one of: glorot, he")
        #expect(message { _ = try values.optionalInt("bad") } == "S: tier setting 'bad' = 'x' is not an integer")
        #expect(message { _ = try values.bool("bad") } == "S: tier setting 'bad' = 'x' is not a Boolean; use true or false")
    }

    @Test(arguments: [
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_error", "configuration": {}, "value": 0.1, "confidence": "guess", "margin": 0.1, "source": "s"}]}"#,
         "points[0].confidence: 'guess' is not one of table, figure-approx, claim"),
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_error", "configuration": {}, "value": 0.1, "confidence": "claim", "source": "s"}]}"#,
         "points[0].margin: required for a 'claim' point"),
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "accuracy", "configuration": {}, "value": 0.1, "confidence": "table", "source": "s"}]}"#,
         "points[0].metric: 'accuracy' is not a metric of Synthetic; valid metrics: test_error, epoch_seconds, param_count"),
        (#"{"suite": "Other", "paper_id": "x", "points": []}"#, "suite: is 'Other' but the file belongs to suite 'Synthetic'"),
        (#"{"suite": "Synthetic", "points": []}"#, "paper_id: missing or not a string"),
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_error", "configuration": {}, "value": "0.1", "confidence": "table", "source": "s"}]}"#,
         "points[0].value: missing or not a finite number"),
        (#"{"suite": "Synthetic", "#, "(file): not valid JSON"),
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_error", "configuration": {}, "value": 0.1, "confidence": "table", "source": "s", "tiers": ["ci", "full"]}]}"#,
         "points[0].tiers: 'full' is not one of smoke, ci, paper"),
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_error", "configuration": {}, "value": 0.1, "confidence": "table", "source": "s", "tiers": []}]}"#,
         "points[0].tiers: must be a non-empty array of tier names (smoke, ci, paper)"),
    ])
    func malformedPaperBaselines(json: String, expected: String) {
        let root = temporaryDirectory()
        try? json.write(toFile: root + "/Synthetic.json", atomically: true, encoding: .utf8)
        let error = kind { _ = try PaperBaselines.load(suite: "Synthetic", from: root, metrics: SyntheticSuite().metrics.map(\.name)) }
        #expect(error?.0 == .malformedBaseline)
        #expect(error?.1 == "\(root)/Synthetic.json: \(expected)")
    }

    @Test func malformedReferenceBaseline() throws {
        let root = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: root + "/reference/smoke", withIntermediateDirectories: true)
        try #"{"suite": "Synthetic", "tier": "smoke"}"#.write(toFile: root + "/reference/smoke/Synthetic.json", atomically: true, encoding: .utf8)
        let error = kind { _ = try ReferenceBaselines.load(suite: "Synthetic", tier: .smoke, from: root) }
        #expect(error?.0 == .malformedBaseline)
        #expect(error?.1.hasPrefix("\(root)/reference/smoke/Synthetic.json: ") == true)
        #expect(try ReferenceBaselines.load(suite: "Synthetic", tier: .ci, from: root) == nil)
    }

    @Test func unusableDirectories() throws {
        let unwritable = kind { try runSynthetic(into: "/proc/tnbench-cannot-exist/run") }
        #expect(unwritable?.0 == .unwritableOutput)
        #expect(unwritable?.1.contains("/proc/tnbench-cannot-exist/run") == true)

        let root = temporaryDirectory()
        try runSynthetic(into: root + "/run", seeds: 1)
        let other = kind {
            _ = try BLASThreadsLock.withLock { try Runner(directory: ResultDirectory(root + "/run"), tier: .ci, dataDirectory: "").run([]) }
        }
        #expect(other?.0 == .invalidArgument)
        #expect(other?.1.contains("holds a smoke-tier run") == true)

        #expect(kind { _ = try ResultDirectory(root + "/missing").loadResults() }?.0 == .invalidResults)
        #expect(ExitStatus.usage.rawValue == 2 && HarnessError(.missingBaseline, "").exitStatus == .missingBaseline)
    }
}
