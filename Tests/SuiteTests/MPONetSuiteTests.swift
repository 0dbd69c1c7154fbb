import Foundation
import Harness
import TensorCore
import MPONet
import Testing
import _TestSupport

/// One smoke job in this process, BLAS pinned to one thread (``runPinned(_:tier:configuration:seed:overriding:)``).
private func runMPONet(configuration: Configuration, seed: Int = 0,
                overriding changes: [String: ConfigurationValue] = [:]) throws -> RunRecord {
    try runPinned(MPONetSuite(), configuration: configuration, seed: seed, overriding: changes)
}

private let timing: Set<String> = ["epoch_seconds", "gflops"]

@Suite struct MPONetSuiteTests {
    @Test func plansFollowTheIssue() {
        let suite = MPONetSuite()
        let ci = suite.plan(for: .ci)
        #expect(Set(ci.configurations.compactMap { $0.string("network") }) == ["fc2", "mpo_fc2", "lenet5", "mpo_lenet5"])
        #expect(Set(ci.configurations.compactMap { $0.int("D") }) == [2, 4, 16])
        #expect(ci.configurations.filter { $0.int("D") != nil }.allSatisfy { $0.string("network") == "mpo_fc2" })
        let paper = suite.plan(for: .paper)
        #expect(paper.seeds == 5 && paper.settings["epochs_fc2"] == 500 && paper.settings["batch_size"] == 100)
        #expect(Set(paper.configurations.compactMap { $0.int("D") }) == Set(1...16))
        #expect(paper.settings["learning_rate_fc2"] == 0.8 && paper.settings["learning_rate_lenet5"] == 0.01)
    }

    /// Every network trains a few steps on the smoke data, deterministically, and records its
    /// counts exactly: Eq. 9 for MPO-FC2 at D = 2 (1,024 weights, ρ = 1,024 / 203,264).
    @Test(.enabled(if: mnistAvailable, mnistSkipReason), arguments: MPONetSuite().plan(for: .smoke).configurations)
    func smokeIsDeterministic(configuration: Configuration) throws {
        let first = try runMPONet(configuration: configuration)
        let second = try runMPONet(configuration: configuration)
        #expect(first.scalars.filter { !timing.contains($0.key) } == second.scalars.filter { !timing.contains($0.key) })
        #expect(first.curves["test_accuracy"] == second.curves["test_accuracy"])
        #expect(first.curves["train_loss"] == second.curves["train_loss"])
        for metric in ["test_accuracy", "best_test_accuracy", "train_loss", "param_count", "compression_ratio", "epoch_seconds", "gflops"] {
            #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
        }
        let best = try #require(first.scalars["best_test_accuracy"]), last = try #require(first.scalars["test_accuracy"])
        #expect(best >= last && best <= 1 && last >= 0)
        #expect(first.scalars["steps"] == 10)
        #expect(first.flops > 0)
        switch configuration.string("network") {
        case "fc2":
            #expect(first.scalars["param_count"] == 203_264 && first.scalars["bias_count"] == 0)
            #expect(first.scalars["compression_ratio"] == 1)
        case "mpo_fc2":
            #expect(first.scalars["param_count"] == 1_024 && first.scalars["bias_count"] == 266)
            #expect(first.scalars["compression_ratio"] == 1_024.0 / 203_264)
        case "lenet5":
            #expect(first.scalars["param_count"] == Double(150 + 2_400 + 48_000 + 10_080 + 840))
        case "mpo_lenet5":
            #expect(first.scalars["param_count"] == Double(150 + 2_400 + 2_860))
            #expect(first.scalars["compression_ratio"] == 2_860.0 / 58_920)
        default:
            Issue.record("unexpected configuration \(configuration)")
        }
    }

    /// Both contraction orders of the MPO layers train to the same numbers up to float32
    /// rounding (a few steps: the trajectories have not yet separated).
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func contractionOrdersAgree() throws {
        let dense = try runMPONet(configuration: ["network": "mpo_fc2", "D": 3], overriding: ["contraction": "dense"])
        let cores = try runMPONet(configuration: ["network": "mpo_fc2", "D": 3], overriding: ["contraction": "cores"])
        let a = try #require(dense.curves["train_loss"]?.y.first), b = try #require(cores.curves["train_loss"]?.y.first)
        #expect(abs(a - b) <= 1e-4 * abs(a), "train loss \(a) (dense) vs \(b) (cores)")
        #expect(dense.scalars["param_count"] == cores.scalars["param_count"])
    }

    @Test func badInputIsOneLineNamingTheKey() throws {
        let suite = MPONetSuite()
        try expectInputFailure(suite, configuration: ["network": "vgg"], mentioning: ["'network'", "fc2, mpo_fc2, lenet5, mpo_lenet5"])
        try expectInputFailure(suite, configuration: ["network": "mpo_fc2", "D": 0], mentioning: ["'D' = 0 is out of range"])
        try expectInputFailure(suite, configuration: ["network": "fc2"], overriding: ["momentum": 1.5],
                               mentioning: ["'momentum' = 1.5 is out of range"])
        try expectInputFailure(suite, configuration: ["network": "fc2"], overriding: ["contraction": "fast"],
                               mentioning: ["'contraction'", "auto, dense, cores"])
    }
}

/// An implementation whose predictions are known: one-hot scores that name the label for the
/// first `correct` test images and the next class for the rest.
private struct KnownScores: Implementation {
    var name: String { "known" }
    let duringTraining: [Int]
    let final: Int

    func train(_ inputs: MPONetProblem.Inputs, for problem: MPONetProblem, in context: RunContext) throws -> Predictions {
        try problem.evaluate(scores(inputs, correct: duringTraining[0]), at: .step(5), of: inputs, in: context)
        try problem.evaluate(scores(inputs, correct: duringTraining[1]), at: .round(1, x: 1), of: inputs, in: context)
        return scores(inputs, correct: final)
    }

    func scores(_ inputs: MPONetProblem.Inputs, correct: Int) -> Predictions {
        let labels = inputs.test.labels
        var values = [Float](repeating: 0, count: labels.count * 10)
        for (row, label) in labels.enumerated() { values[row * 10 + (row < correct ? label : (label + 1) % 10)] = 1 }
        return Predictions(["test": .float(Tensor(shape: [labels.count, 10], scalars: values))])
    }
}

extension MPONetSuiteTests {
    /// The quality metrics come from the implementation's predictions, not from anything it
    /// records: `test_accuracy` from the final scores, `best_test_accuracy` the maximum over the
    /// authors' evaluations (every `evaluation_interval` steps, and the final one) — not the
    /// end-of-epoch curve points, even when one is higher — the curve from the epochs' scores.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func qualityMetricsComeFromThePredictions() throws {
        let suite = MPONetSuite()
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: ["network": "fc2"], seed: 0,
                                 settings: suite.plan(for: .smoke).settings, dataDirectory: dataDirectory)
        try suite.run(context, implementation: KnownScores(duringTraining: [400, 450], final: 250))
        let recorded = context.recorded
        #expect(recorded.scalars == ["test_accuracy": 0.5, "best_test_accuracy": 0.8])
        #expect(recorded.curves["test_accuracy"]?.x == [1] && recorded.curves["test_accuracy"]?.y == [0.9])
        #expect(suite.implementation(named: "native") != nil && suite.implementation(named: "known") == nil)
    }
}

extension MPONetSuiteTests {
    /// A loss that stops being finite makes the job *diverged*, its message naming the loss and
    /// the step (the trainer's `NonFiniteLoss`).
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func aNonFiniteLossIsDiverged() throws {
        let record = try #require(runJob(MPONetSuite(), configuration: ["network": "fc2"],
                                         overriding: ["learning_rate_fc2": 1e30]))
        #expect(record.status == .diverged)
        #expect(record.message.hasPrefix("the training loss became ") && record.message.contains(" at step "), "\(record.message)")
    }

    /// The two "matches" findings judge the 90% interval of the difference, not the means: two
    /// seeds a side 0.003 apart leave "MPO-LeNet-5 matches LeNet-5 within 0.002" undecided even
    /// when the means differ by 0.0018; tight seeds decide it either way.
    @Test func matchingFindingsJudgeTheInterval() {
        func results(lenet: [Double], mpo: [Double]) -> [MetricSummary] {
            let epochs = [500.0, 500.0]
            return [
                MetricSummary(configuration: Configuration(MPONetSuite.Network.lenet5), metric: "best_test_accuracy", values: lenet),
                MetricSummary(configuration: Configuration(MPONetSuite.Network.mpoLeNet5), metric: "best_test_accuracy", values: mpo),
                MetricSummary(configuration: Configuration(MPONetSuite.Network.lenet5), metric: Metric.epochs.name, values: epochs),
            ]
        }
        func verdict(_ findings: [Finding]) -> FindingVerdict? {
            findings.first { $0.statement.hasPrefix("MPO-LeNet-5") }?.verdict
        }
        let spread = MPONetSuite().findings(results(lenet: [0.9869, 0.9891], mpo: [0.9847, 0.9877]))
        #expect(verdict(spread) == .undecided)
        #expect(spread.first { $0.statement.hasPrefix("MPO-LeNet-5") }?.detail.contains("90% interval") == true)
        #expect(verdict(MPONetSuite().findings(results(lenet: [0.9880, 0.9881, 0.9879], mpo: [0.9878, 0.9879, 0.9877]))) == .holds)
        #expect(verdict(MPONetSuite().findings(results(lenet: [0.9880, 0.9881, 0.9879], mpo: [0.9800, 0.9801, 0.9799]))) == .fails)
        #expect(verdict(MPONetSuite().findings(results(lenet: [0.9880], mpo: [0.9878]))) == .notTestable)
    }
}
