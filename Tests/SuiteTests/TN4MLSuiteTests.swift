import Harness
import TensorCore
import Testing
@testable import TN4ML

let breastCancerAvailable = dataSetAvailable("breast-cancer")
let breastCancerSkipReason: Comment = "the breast-cancer table is not provisioned: run `tnbench data fetch` (or `bash ci/setup.sh`) first"

/// tn4ml's own protocol: polynomial embedding, gradient descent, its split, the per-step gauge.
private let tn4mlProtocol = Configuration(Embedding.polynomial, OptimizerName.gradient, SplitName.tn4ml, Gauge.canonical)

@Suite struct TN4MLSuiteTests {
    /// Every smoke configuration through the harness: completed, the same numbers twice for one
    /// seed (timings aside), and the tn4ml split's sizes.
    @Test(.enabled(if: breastCancerAvailable, breastCancerSkipReason), arguments: TN4MLSuite().plan(for: .smoke).configurations)
    func smokeJobIsDeterministic(configuration: Configuration) throws {
        let suite = TN4MLSuite()
        let first = try #require(runJob(suite, configuration: configuration))
        let second = try #require(runJob(suite, configuration: configuration))
        #expect(first.status == .completed, "\(first.message)")
        let timing: Set = ["epoch_seconds", "samples_per_second", "gflops", "gauge_fraction"]
        #expect(first.record.scalars.filter { !timing.contains($0.key) } == second.record.scalars.filter { !timing.contains($0.key) })
        #expect(first.record.curves["val_loss"] == second.record.curves["val_loss"])
        for metric in [Metric.testAccuracy, .validationAccuracy, .trainAccuracy].map(\.name) {
            let value = try #require(first.record.scalars[metric], "missing \(metric)")
            #expect(value >= 0 && value <= 1, "\(metric) = \(value)")
        }
        let epochs = try #require(first.record.scalars["epochs_run"])
        #expect(first.record.curves["val_loss"]?.y.count == Int(epochs) && epochs >= 1 && epochs <= 3)
        #expect(first.record.curves["val_loss"]?.y.allSatisfy(\.isFinite) == true)
        if configuration.string("split") == "tn4ml" {
            #expect(first.record.attributes["train_rows"] == .int(364) && first.record.attributes["validation_rows"] == .int(91)
                    && first.record.attributes["test_rows"] == .int(114))
        }
    }

    @Test func badInputIsOneLineNamingTheKey() throws {
        let suite = TN4MLSuite()
        let good = Configuration(Embedding.polynomial, OptimizerName.gradient, SplitName.tn4ml, Gauge.canonical).with("D", 2)
        try expectInputFailure(suite, configuration: ["D": 2, "embedding": "hermite", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"],
                               mentioning: ["'embedding'", "'hermite'", "polynomial"])
        try expectInputFailure(suite, configuration: ["D": "abc", "embedding": "polynomial", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"],
                               mentioning: ["'D'", "'abc'"])
        try expectInputFailure(suite, configuration: good, overriding: ["patience": 0], mentioning: ["'patience' = 0 is out of range"])
    }

    @Test func findingIsUndecidedWithoutLargeBondDimensions() {
        let summaries = [10, 20, 50].map { d in
            MetricSummary(configuration: tn4mlProtocol.with("D", .int(d)), metric: Metric.testAccuracy.name, values: [0.95, 0.96])
        }
        #expect(TN4MLSuite().findings(summaries).first?.holds == nil)
        let withLarge = summaries + [MetricSummary(configuration: tn4mlProtocol.with("D", 400), metric: Metric.testAccuracy.name,
                                                   values: [0.94, 0.93])]
        #expect(TN4MLSuite().findings(withLarge).first?.holds == true)
    }
}

/// The suite's quality metrics come from an implementation's predictions, through the problem's
/// evaluation — and a new implementation is one small type.
@Suite(.enabled(if: breastCancerAvailable, breastCancerSkipReason))
struct TN4MLProblemTests {
    /// Class scores that predict `labels`, except rows where `wrong` holds.
    static func scores(_ labels: [Int], wrong: (Int) -> Bool) -> Scores {
        .double(Tensor<Double>(shape: [labels.count, 2]) { p in
            for (row, label) in labels.enumerated() {
                let predicted = wrong(row) ? 1 - label : label
                p[row * 2 + predicted] = 0.9
                p[row * 2 + 1 - predicted] = 0.1
            }
        })
    }

    /// Every training row right, every third test row and every validation row wrong; one
    /// validation checkpoint.
    struct KnownPredictions: Implementation {
        var name: String { "known" }
        func train(_ inputs: TN4MLProblem.Inputs, for problem: TN4MLProblem, in context: RunContext) throws -> Predictions {
            let validation = TN4MLProblemTests.scores(inputs.validation.labels) { _ in true }
            try problem.evaluate(Predictions(["validation": validation]), at: .round(1, x: 1), of: inputs, in: context)
            return Predictions([
                "train": TN4MLProblemTests.scores(inputs.train.labels) { _ in false },
                "validation": validation,
                "test": TN4MLProblemTests.scores(inputs.test.labels) { $0 % 3 == 0 },
            ])
        }
    }

    @Test func qualityMetricsComeFromThePredictions() throws {
        let suite = TN4MLSuite()
        let plan = suite.plan(for: .smoke)
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: tn4mlProtocol.with("D", 2), seed: 0,
                                 settings: plan.settings, dataDirectory: dataDirectory)
        try suite.run(context, implementation: KnownPredictions())
        let recorded = context.recorded
        #expect(recorded.scalars[Metric.testAccuracy.name] == Double(114 - 38) / 114)  // rows 0, 3, …, 111 wrong
        #expect(recorded.scalars[Metric.trainAccuracy.name] == 1)
        #expect(recorded.scalars[Metric.validationAccuracy.name] == 0)
        #expect(recorded.curves[Metric.validationAccuracy.name] == Curve(x: [1], y: [0]))
        // The problem records the split; everything else is the native implementation's.
        #expect(Set(recorded.scalars.keys) == [Metric.testAccuracy.name, Metric.trainAccuracy.name, Metric.validationAccuracy.name])
    }
}
