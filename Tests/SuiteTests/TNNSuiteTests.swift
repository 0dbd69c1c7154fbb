import Foundation
import Harness
import Testing
import TensorCore
import TNNClassification
import TNNRegression

/// Runs one job of `suite` at `tier` directly through a `RunContext`.
private func runJob(_ suite: any Suite, tier: Tier, configuration: Configuration, seed: Int) throws -> RunRecord {
    let plan = suite.plan(for: tier)
    let context = RunContext(suite: suite.name, tier: tier, configuration: configuration, seed: seed,
                             settings: plan.settings, dataDirectory: NSTemporaryDirectory())
    try suite.run(context)
    return context.recorded
}

@Suite struct TNNSuiteTests {
    static let classificationJobs = TNNClassificationSuite().plan(for: .smoke).configurations
    static let regressionJobs = TNNRegressionSuite().plan(for: .smoke).configurations

    @Test(arguments: classificationJobs)
    func classificationSmokeIsDeterministicAndRecordsMetrics(configuration: Configuration) throws {
        let suite = TNNClassificationSuite()
        let first = try runJob(suite, tier: .smoke, configuration: configuration, seed: 0)
        let second = try runJob(suite, tier: .smoke, configuration: configuration, seed: 0)
        #expect(first.scalars.filter { $0.key != "sweep_seconds" && $0.key != "gflops" }
                == second.scalars.filter { $0.key != "sweep_seconds" && $0.key != "gflops" })
        #expect(first.curves["loss"] == second.curves["loss"])
        for metric in ["test_accuracy", "train_accuracy", "entropy_max", "sweep_seconds", "gflops", "loss"] {
            #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
        }
        let accuracy = try #require(first.scalars["test_accuracy"])
        #expect(accuracy >= 0 && accuracy <= 1)
        #expect(first.curves["loss"]?.x.count == 3 && first.curves["entropy_max"]?.y.count == 3)
        #expect(first.arrays["entropy"]?.shape == [3, 5])
        #expect(first.arrays["decision_field"]?.shape == [12, 12])
        #expect(first.arrays["decision_field"]?.attributes["x_min"] != nil)
        #expect(first.arrays["points"]?.shape[1] == 3)
        #expect(first.flops > 0)
        // Another seed draws other data or weights.
        let other = try runJob(suite, tier: .smoke, configuration: configuration, seed: 1)
        #expect(other.curves["loss"] != first.curves["loss"])
    }

    @Test(arguments: regressionJobs)
    func regressionSmokeIsDeterministicAndRecordsMetrics(configuration: Configuration) throws {
        let suite = TNNRegressionSuite()
        let first = try runJob(suite, tier: .smoke, configuration: configuration, seed: 0)
        let second = try runJob(suite, tier: .smoke, configuration: configuration, seed: 0)
        #expect(first.scalars.filter { $0.key != "sweep_seconds" && $0.key != "gflops" }
                == second.scalars.filter { $0.key != "sweep_seconds" && $0.key != "gflops" })
        var expected = ["mse", "train_mse", "entropy_max", "sweep_seconds", "gflops", "noise_variance"]
        expected += ["stability_ratio_init", "stability_ratio_final"]
        if configuration["dataset"] == "line" { expected += ["slope", "intercept"] }
        if configuration["output"] == "relu" { expected.append("nonnegative_floor") }
        for metric in expected { #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)") }
        #expect(first.arrays["fit"]?.shape == [201, 2] && first.arrays["points"]?.shape == [40, 2])
        let layers = configuration["dataset"] == "sine" ? 3 : 1
        #expect(first.arrays["entropy"]?.shape == [3, 5 * layers])
    }

    @Test func outputStabilityRatioOfHalfSaturatedSigmoids() throws {
        // 64 sigmoid features all at 0.5 (a sigmoid layer at the start): [h 1] has rank one and
        // σ_max² = N(64·0.25 + 1), so α·λ_max = α·2·17 = 3.4 at α = 0.1 — past the limit 2.
        let features = Tensor<Double>(shape: [400, 64], scalars: [Double](repeating: 0.5, count: 400 * 64))
        let ratio = try TNNRegressionSuite.outputStabilityRatio(features: features, learningRate: 0.1)
        #expect(abs(ratio - 3.4) < 1e-10)
        // Features that are all zero leave only the bias: λ_max = 2.
        let dead = try TNNRegressionSuite.outputStabilityRatio(features: Tensor(zeros: [10, 3]), learningRate: 0.1)
        #expect(abs(dead - 0.2) < 1e-12)
    }

    @Test func suitesDescribeThemselves() {
        for suite in [TNNClassificationSuite() as any Suite, TNNRegressionSuite()] {
            for tier in Tier.allCases { #expect(!suite.plan(for: tier).configurations.isEmpty) }
            let names = Set(suite.metrics.map(\.name))
            #expect(names.contains("entropy_max") && names.contains("sweep_seconds") && names.contains("gflops"))
            #expect(!suite.figures.isEmpty)
        }
        #expect(TNNRegressionSuite().plan(for: .ci).configurations.contains(["dataset": "sine", "D": 4, "output": "relu", "strategy": "pal"]))
    }

    /// The strategy axis: every tier runs PaL for every data set and LbL for at least one, and
    /// PaL and LbL of a configuration start from the same data and network under a seed.
    @Test func strategyAxisIsPairedAndLeavesPaLDrawsUnchanged() throws {
        for suite in [TNNClassificationSuite() as any Suite, TNNRegressionSuite()] {
            for tier in Tier.allCases {
                let configurations = suite.plan(for: tier).configurations
                #expect(configurations.allSatisfy { $0["strategy"] == "pal" || $0["strategy"] == "lbl" })
                #expect(configurations.contains { $0["strategy"] == "lbl" }, "\(suite.name) \(tier) runs no LbL")
                for lbl in configurations where lbl["strategy"] == "lbl" {
                    var pal = lbl
                    pal["strategy"] = "pal"
                    #expect(configurations.contains(pal), "\(lbl.name) has no PaL partner")
                }
            }
        }
        // Paired: the LbL run records the same data points as its PaL partner, and the PaL run
        // the same as the configuration without `strategy` would draw (its pre-axis stream).
        let suite = TNNRegressionSuite()
        let pal = try runJob(suite, tier: .smoke, configuration: ["dataset": "line", "D": 2, "strategy": "pal"], seed: 0)
        let lbl = try runJob(suite, tier: .smoke, configuration: ["dataset": "line", "D": 2, "strategy": "lbl"], seed: 0)
        #expect(pal.arrays["points"] == lbl.arrays["points"])
        #expect(pal.scalars["stability_ratio_init"] == lbl.scalars["stability_ratio_init"])
        #expect(pal.curves["loss"] != lbl.curves["loss"])
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: ["dataset": "line", "D": 2, "strategy": "pal"],
                                 seed: 0, settings: [:], dataDirectory: NSTemporaryDirectory())
        var shared = context.rng("data", sharedAcross: ["strategy"])
        var preAxis = Philox(seed: RandomKey.derive(suite.name, "D=2,dataset=line", 0), stream: RandomKey.derive("data"))
        #expect(shared.nextNormal() == preAxis.nextNormal())
    }

    @Test func strategyFindingsJudgeThePairedRuns() {
        let base: Configuration = ["dataset": "spirals", "D": 2]
        func summaries(_ strategy: String, loss: Double, accuracy: Double) -> [MetricSummary] {
            var configuration = base
            configuration["strategy"] = .string(strategy)
            return [MetricSummary(configuration: configuration, metric: "loss", values: [loss, loss]),
                    MetricSummary(configuration: configuration, metric: "test_accuracy", values: [accuracy, accuracy])]
        }
        func verdict(_ results: [MetricSummary]) -> Bool?? {
            TNNClassificationSuite().findings(results).first { $0.statement.hasPrefix("PaL") }.map(\.holds)
        }
        #expect(verdict(summaries("pal", loss: 0.07, accuracy: 0.98) + summaries("lbl", loss: 0.28, accuracy: 0.89)) == .some(true))
        #expect(verdict(summaries("pal", loss: 0.07, accuracy: 0.98) + summaries("lbl", loss: 0.10, accuracy: 0.97)) == .some(false))
        #expect(verdict(summaries("pal", loss: 0.07, accuracy: 0.98)) == .some(nil))
        let regression = TNNRegressionSuite().findings([
            MetricSummary(configuration: ["dataset": "line", "D": 4, "strategy": "pal"], metric: "train_mse", values: [0.0032]),
            MetricSummary(configuration: ["dataset": "line", "D": 4, "strategy": "lbl"], metric: "train_mse", values: [0.0033]),
        ])
        #expect(regression.count == 1 && regression[0].holds == false)
        #expect(TNNRegressionSuite().findings([]).first?.holds == nil)
    }
}

/// Bad input to the TNN suites fails the job with one line naming the suite, key and value.
@Suite struct TNNBadInputTests {
    static func run(_ suite: any Suite, _ configuration: Configuration, settings: [String: ConfigurationValue]) -> JobRecord? {
        let planned = PlannedJob(suite: suite, job: Job(suite: suite.name, configuration: configuration, seed: 0), settings: settings)
        guard case .finished(let record) = JobExecution.run(planned, tier: .smoke, dataDirectory: NSTemporaryDirectory()) else { return nil }
        return record
    }

    @Test func classificationRejectsABadConfigurationValue() throws {
        let suite = TNNClassificationSuite()
        let settings = suite.plan(for: .smoke).settings
        let unknown = try #require(Self.run(suite, ["dataset": "moons", "D": 2, "strategy": "pal"], settings: settings))
        #expect(unknown.status == .failed)
        #expect(unknown.message == "TNNClassification: configuration value 'dataset' = 'moons' is not one of: blobs, spirals")
        let notInt = try #require(Self.run(suite, ["dataset": "blobs", "D": "abc", "strategy": "pal"], settings: settings))
        #expect(notInt.status == .failed)
        #expect(notInt.message == "TNNClassification: configuration value 'D' = 'abc' is not an integer")
        let strategy = try #require(Self.run(suite, ["dataset": "blobs", "D": 2, "strategy": "sgd"], settings: settings))
        #expect(strategy.message == "TNNClassification: configuration value 'strategy' = 'sgd' is not one of: pal, lbl")
    }

    @Test func classificationRejectsAMissingSetting() throws {
        let suite = TNNClassificationSuite()
        var settings = suite.plan(for: .smoke).settings
        settings["blobs_train_count"] = nil
        settings["blobs_train"] = 60          // the old spelling is not read
        let record = try #require(Self.run(suite, ["dataset": "blobs", "D": 2, "strategy": "pal"], settings: settings))
        #expect(record.status == .failed)
        #expect(record.message.hasPrefix("TNNClassification: tier setting 'blobs_train_count' is missing (present: "))
        #expect(!record.message.contains("\n"))
    }

    @Test func regressionRejectsABadConfigurationValue() throws {
        let suite = TNNRegressionSuite()
        let settings = suite.plan(for: .smoke).settings
        let record = try #require(Self.run(suite, ["dataset": "sine", "D": 2, "output": "tanh", "strategy": "pal"], settings: settings))
        #expect(record.status == .failed)
        #expect(record.message == "TNNRegression: configuration value 'output' = 'tanh' is not one of: relu, linear")
        let unknown = try #require(Self.run(suite, ["dataset": "parabola", "D": 2, "strategy": "pal"], settings: settings))
        #expect(unknown.message == "TNNRegression: configuration value 'dataset' = 'parabola' is not one of: line, sine")
    }

    @Test func regressionRejectsABadSetting() throws {
        let suite = TNNRegressionSuite()
        var settings = suite.plan(for: .smoke).settings
        settings["line_sweeps"] = 0
        let record = try #require(Self.run(suite, ["dataset": "line", "D": 2, "strategy": "pal"], settings: settings))
        #expect(record.status == .failed)
        #expect(record.message == "TNNRegression: tier setting 'line_sweeps' = 0 is out of range; valid: ≥ 1")
        settings["line_sweeps"] = 3
        settings["learning_rate"] = "fast"
        let rate = try #require(Self.run(suite, ["dataset": "line", "D": 2, "strategy": "pal"], settings: settings))
        #expect(rate.status == .failed)
        #expect(rate.message == "TNNRegression: tier setting 'learning_rate' = 'fast' is not a finite number")
    }

    /// Non-finite training is divergence, not failure.
    @Test func nonFiniteTrainingIsDiverged() throws {
        let suite = TNNRegressionSuite()
        var settings = suite.plan(for: .smoke).settings
        settings["learning_rate"] = 1e6
        settings["line_sweeps"] = 50
        let record = try #require(Self.run(suite, ["dataset": "line", "D": 2, "strategy": "pal"], settings: settings))
        #expect(record.status == .diverged, "\(record.status): \(record.message)")
        #expect(record.message.contains("at sweep "))
    }
}
