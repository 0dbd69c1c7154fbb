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
        #expect(TNNRegressionSuite().plan(for: .ci).configurations.contains(["dataset": "sine", "D": 4, "output": "relu"]))
    }

    /// The ci tier, run only when asked (`TNBENCH_TNN_CI=1`): prints mean ± σ over seeds.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TNBENCH_TNN_CI"] == "1"))
    func ciTier() throws {
        for suite in [TNNClassificationSuite() as any Suite, TNNRegressionSuite()] {
            let plan = suite.plan(for: .ci)
            for configuration in plan.configurations {
                var values: [String: [Double]] = [:]
                for seed in 0..<plan.seeds {
                    let record = try runJob(suite, tier: .ci, configuration: configuration, seed: seed)
                    for (key, value) in record.scalars { values[key, default: []].append(value) }
                    values["train_seconds", default: []].append(record.timers["train"] ?? 0)
                }
                let line = values.keys.sorted().map { key -> String in
                    let v = values[key]!
                    let mean = v.reduce(0, +) / Double(v.count)
                    let sd = v.count > 1 ? (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot() : 0
                    return "\(key)=\(String(format: "%.4g", mean))±\(String(format: "%.2g", sd))"
                }.joined(separator: " ")
                print("CI \(suite.name) \(configuration.name): \(line)")
            }
        }
    }

    /// A probe for tuning, run only when asked: `TNBENCH_TNN_PROBE="TNNRegression;dataset=sine,D=4,output=linear;3;sine_sweeps=200"`
    /// runs that configuration at the ci tier with the settings overridden and prints curves.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TNBENCH_TNN_PROBE"] != nil))
    func probe() throws {
        let parts = ProcessInfo.processInfo.environment["TNBENCH_TNN_PROBE"]!.split(separator: ";").map(String.init)
        let suite: any Suite = parts[0] == "TNNRegression" ? TNNRegressionSuite() : TNNClassificationSuite()
        var values: [String: ConfigurationValue] = [:]
        for entry in parts[1].split(separator: ",") {
            let kv = entry.split(separator: "=").map(String.init)
            values[kv[0]] = ConfigurationValue(parsing: kv[1])
        }
        var settings = suite.plan(for: .ci).settings
        if parts.count > 3 {
            for entry in parts[3].split(separator: ",") {
                let kv = entry.split(separator: "=").map(String.init)
                settings[kv[0]] = ConfigurationValue(parsing: kv[1])
            }
        }
        for seed in 0..<(Int(parts[2]) ?? 1) {
            let context = RunContext(suite: suite.name, tier: .ci, configuration: Configuration(values), seed: seed,
                                     settings: settings, dataDirectory: NSTemporaryDirectory())
            do { try suite.run(context) } catch { print("PROBE seed \(seed) failed: \(error)") }
            let record = context.recorded
            for name in ["loss", "test_accuracy", "entropy_max"] {
                guard let curve = record.curves[name] else { continue }
                let stride = Swift.max(1, curve.x.count / 10)
                let samples = Swift.stride(from: stride - 1, to: curve.x.count, by: stride).map { String(format: "%.0f:%.4g", curve.x[$0], curve.y[$0]) }
                print("PROBE seed \(seed) \(name): \(samples.joined(separator: " "))")
            }
            print("PROBE seed \(seed) finals: \(record.scalars.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " "))")
        }
    }
}
