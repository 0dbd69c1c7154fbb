import Foundation
import Harness
import Testing
import CopyNodeInit
import RankRegularization

private func runJob(_ suite: any Suite, configuration: Configuration, seed: Int) throws -> RunRecord {
    let plan = suite.plan(for: .smoke)
    let context = RunContext(suite: suite.name, tier: .smoke, configuration: configuration, seed: seed,
                             settings: plan.settings, dataDirectory: dataDirectory)
    try suite.run(context)
    return context.recorded
}

private let timing: Set<String> = ["epoch_seconds", "gflops"]

@Suite struct BarrattSuiteTests {
    @Test func plansUseTheIssueNames() {
        let copy = CopyNodeInitSuite()
        let ci = copy.plan(for: .ci)
        #expect(ci.seeds == 3)
        #expect(Set(ci.configurations.compactMap { $0.string("init") }).isSuperset(of: ["glorot", "he", "lecun", "copy_node"]))
        #expect(Set(ci.configurations.compactMap { $0.int("D") }) == [2, 6, 10])
        #expect(Set(ci.configurations.compactMap { $0.string("numerics") }) == ["plain", "logscaled"])
        #expect(copy.plan(for: .paper).seeds == 10 && copy.plan(for: .paper).settings["epochs"] == 100)
        let rr = RankRegularizationSuite().plan(for: .ci)
        #expect(rr.configurations.contains(["model": "rank_regularized", "D_max": 10]))
        #expect(rr.configurations.contains(["model": "mps", "D_max": 10]))
    }

    @Test(.enabled(if: mnistAvailable, mnistSkipReason), arguments: CopyNodeInitSuite().plan(for: .smoke).configurations)
    func copyNodeSmokeIsDeterministic(configuration: Configuration) throws {
        let suite = CopyNodeInitSuite()
        let first = try runJob(suite, configuration: configuration, seed: 0)
        let second = try runJob(suite, configuration: configuration, seed: 0)
        #expect(first.scalars.filter { !timing.contains($0.key) } == second.scalars.filter { !timing.contains($0.key) })
        #expect(first.curves["val_error"] == second.curves["val_error"])
        #expect(first.curves["train_loss"] == second.curves["train_loss"])
        for metric in ["val_error", "test_error", "param_count", "epoch_seconds", "gflops", "init_log10_output"] {
            #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
        }
        #expect(first.scalars["param_count"] == Double(388 * 4 + 22 * 2))
        #expect(first.curves["val_error"]?.y.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 } == true)
        #expect(first.flops > 0)
    }

    @Test(.enabled(if: mnistAvailable, mnistSkipReason), arguments: RankRegularizationSuite().plan(for: .smoke).configurations)
    func rankRegularizationSmokeIsDeterministic(configuration: Configuration) throws {
        let suite = RankRegularizationSuite()
        let first = try runJob(suite, configuration: configuration, seed: 0)
        let second = try runJob(suite, configuration: configuration, seed: 0)
        #expect(first.scalars.filter { !timing.contains($0.key) } == second.scalars.filter { !timing.contains($0.key) })
        #expect(first.curves["val_error"] == second.curves["val_error"])
        if configuration.string("model") == "rank_regularized" {
            let bonds = try #require(first.arrays["bond_dimensions"])
            #expect(bonds.shape == [195])
            #expect(bonds.doubles.allSatisfy { $0 >= 1 && $0 <= 4 })
            #expect(first.arrays["bond_dimensions"] == second.arrays["bond_dimensions"])
        }
    }

    /// Bad input is one line naming the suite, the key, the value and the valid choices; the
    /// job is recorded as failed (not diverged), before any data is read.
    @Test func badInputIsOneLineNamingTheKey() throws {
        let copy = CopyNodeInitSuite()
        try expectInputFailure(copy, configuration: ["init": "xavier", "D": 2, "numerics": "plain"],
                               mentioning: ["'init'", "'xavier'", "glorot, he, lecun, copy_node, copy_node_v10"])
        try expectInputFailure(copy, configuration: ["init": "glorot", "D": "abc", "numerics": "plain"],
                               mentioning: ["'D'", "'abc'", "not an integer"])
        try expectInputFailure(copy, configuration: ["init": "glorot", "D": 2, "numerics": "plain"],
                               overriding: ["epochs": nil, "epoch": 3], mentioning: ["tier setting 'epochs' is missing"])
        try expectInputFailure(copy, configuration: ["init": "glorot", "D": 2, "numerics": "plain"],
                               overriding: ["validation_fraction": 1.5], mentioning: ["'validation_fraction' = 1.5 is out of range"])
        let rr = RankRegularizationSuite()
        try expectInputFailure(rr, configuration: ["model": "mpo", "D_max": 4], mentioning: ["'model'", "mps, rank_regularized"])
        try expectInputFailure(rr, configuration: ["model": "mps", "D_max": 0], mentioning: ["'D_max' = 0 is out of range"])
        try expectInputFailure(rr, configuration: ["model": "mps", "D_max": 4], overriding: ["batch_size": "many"],
                               mentioning: ["'batch_size' = 'many' is not an integer"])
    }
}
