import Harness
import Testing
@testable import TN4ML

let breastCancerAvailable = dataSetAvailable("breast-cancer")
let breastCancerSkipReason: Comment = "the breast-cancer table is not provisioned: run `tnbench data fetch` (or `bash ci/setup.sh`) first"

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
        for metric in ["test_accuracy", "val_accuracy", "train_accuracy"] {
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
        let good: Configuration = ["D": 2, "embedding": "polynomial", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"]
        try expectInputFailure(suite, configuration: ["D": 2, "embedding": "hermite", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"],
                               mentioning: ["'embedding'", "'hermite'", "polynomial"])
        try expectInputFailure(suite, configuration: ["D": "abc", "embedding": "polynomial", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"],
                               mentioning: ["'D'", "'abc'"])
        try expectInputFailure(suite, configuration: good, overriding: ["patience": 0], mentioning: ["'patience' = 0 is out of range"])
    }

    @Test func findingIsUndecidedWithoutLargeBondDimensions() {
        let summaries = [10, 20, 50].map { d in
            MetricSummary(configuration: ["D": .int(d), "embedding": "polynomial", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"],
                          metric: "test_accuracy", values: [0.95, 0.96])
        }
        #expect(TN4MLSuite().findings(summaries).first?.holds == nil)
        let withLarge = summaries + [MetricSummary(configuration: ["D": 400, "embedding": "polynomial", "optimizer": "gradient", "split": "tn4ml", "gauge": "canonical"],
                                                   metric: "test_accuracy", values: [0.94, 0.93])]
        #expect(TN4MLSuite().findings(withLarge).first?.holds == true)
    }
}
