import Foundation
import Harness
import Testing
import TensorCore
@testable import TNNRegression
import TNNProtocol

/// An implementation that predicts the noiseless line exactly on the grids and the noisy
/// targets on the training points. It records nothing of its own.
private struct PerfectLine: Implementation {
    var name: String { "perfect" }
    func train(_ inputs: TNNRegressionProblem.Inputs, for problem: TNNRegressionProblem, in context: RunContext) throws -> Predictions {
        var predictions = Predictions(["train": .double(inputs.targets), "grid": .double(inputs.grid.map { 0.55 * $0 + 0.20 })])
        if let line = inputs.lineGrid { predictions.sets["line"] = .float(Tensor(shape: line.shape, scalars: line.scalars.map { Float(0.55 * $0 + 0.20) })) }
        return predictions
    }
}

@Suite struct TNNRegressionSuiteTests {
    static let jobs = TNNRegressionSuite().plan(for: .smoke).configurations

    @Test(arguments: jobs)
    func smokeIsDeterministicAndRecordsMetrics(configuration: Configuration) throws {
        let (first, _) = try expectRepeatable(timed: [.sweepSeconds, .gflops], curves: [Metric.loss.name]) {
            try runSynthetic(TNNRegressionSuite(), configuration)
        }
        var expected: [Metric] = [.mse, .trainMSE, .entropyMax, .sweepSeconds, .gflops, .noiseVariance, .parameterCount]
        expected += [.stabilityRatioInit, .stabilityRatioFinal]
        if configuration[Dataset.self] == .line { expected += [.slope, .intercept, .slopeError, .interceptError] }
        if configuration[Output.self] == .relu { expected.append(.nonnegativeFloor) }
        for metric in expected { #expect(first.scalars[metric.name]?.isFinite == true, "missing \(metric.name)") }
        #expect(first.scalars[Metric.trainMSE.name] == first.curves[Metric.loss.name]?.y.last)
        #expect(first.arrays["fit"]?.shape == [201, 2] && first.arrays["points"]?.shape == [40, 2])
        let layers = configuration[Dataset.self] == .sine ? 3 : 1
        #expect(first.arrays["entropy"]?.shape == [3, 5 * layers])
    }

    /// mse, train_mse and the line's slope and intercept are the problem's, computed from the
    /// implementation's outputs — here a stub's that fits the noiseless line exactly (its line
    /// outputs in Float, widened by the problem).
    @Test func qualityMetricsComeFromPredictions() throws {
        let suite = TNNRegressionSuite()
        let context = syntheticContext(TNNRegressionSuite(), Configuration(Dataset.line, Strategy.pal).with("D", 2))
        try suite.run(context, implementation: PerfectLine())
        let record = context.recorded
        #expect(record.scalars[Metric.mse.name] == 0)
        #expect(record.scalars[Metric.trainMSE.name] == 0)
        #expect(try #require(record.scalars[Metric.slopeError.name]) < 1e-6)
        #expect(try #require(record.scalars[Metric.interceptError.name]) < 1e-6)
        #expect(record.scalars[Metric.noiseVariance.name] == 0.1 * 0.1 / 3)
        #expect(record.arrays["fit"]?.doubles == record.arrays["truth"]?.doubles)
        #expect(record.scalars[Metric.entropyMax.name] == nil && record.scalars[Metric.stabilityRatioInit.name] == nil)
    }

    /// Outputs of the wrong shape fail the job with one line, not a trap.
    @Test func misshapenOutputsAreInputErrors() throws {
        let problem = TNNRegressionProblem()
        let context = syntheticContext(TNNRegressionSuite(), Configuration(Dataset.line, Strategy.pal).with("D", 2))
        let inputs = try problem.inputs(for: context)
        let wide = Predictions(["train": .double(Tensor(zeros: [40, 2])), "grid": .double(Tensor(zeros: [201, 2]))])
        #expect(throws: SuiteInputError.self) { try problem.evaluate(wide, at: .final, of: inputs, in: context) }
        #expect(throws: SuiteInputError.self) { try problem.evaluate(Predictions([:]), at: .final, of: inputs, in: context) }
    }

    @Test func outputStabilityRatioOfHalfSaturatedSigmoids() throws {
        // 64 sigmoid features all at 0.5 (a sigmoid layer at the start): [h 1] has rank one and
        // σ_max² = N(64·0.25 + 1), so α·λ_max = α·2·17 = 3.4 at α = 0.1 — past the limit 2.
        let features = Tensor<Double>(shape: [400, 64], scalars: [Double](repeating: 0.5, count: 400 * 64))
        let ratio = try NativeTNNRegression.outputStabilityRatio(features: features, learningRate: 0.1)
        #expect(abs(ratio - 3.4) < 1e-10)
        // Features that are all zero leave only the bias: λ_max = 2.
        let dead = try NativeTNNRegression.outputStabilityRatio(features: Tensor(zeros: [10, 3]), learningRate: 0.1)
        #expect(abs(dead - 0.2) < 1e-12)
    }

    @Test func suiteDescribesItself() {
        let suite = TNNRegressionSuite()
        for tier in Tier.allCases { #expect(!suite.plan(for: tier).configurations.isEmpty) }
        let names = Set(suite.metrics.map(\.name))
        #expect(names.isSuperset(of: [Metric.entropyMax.name, Metric.sweepSeconds.name, Metric.gflops.name]))
        #expect(!suite.figures.isEmpty)
        #expect(suite.plan(for: .ci).configurations.contains(["dataset": "sine", "D": 4, "output": "relu", "strategy": "pal"]))
        #expect(suite.implementations.map(\.name) == ["native"])
    }

    /// The strategy axis: every tier runs LbL with a PaL partner, and PaL and LbL of a
    /// configuration start from the same data and network under a seed.
    @Test func strategyAxisIsPairedAndLeavesPaLDrawsUnchanged() throws {
        expectStrategyAxisPaired(TNNRegressionSuite())
        // Paired: the LbL run records the same data points as its PaL partner, and the PaL run
        // the same as the configuration without `strategy` would draw (its pre-axis stream).
        let pal = try runSynthetic(TNNRegressionSuite(), ["dataset": "line", "D": 2, "strategy": "pal"])
        let lbl = try runSynthetic(TNNRegressionSuite(), ["dataset": "line", "D": 2, "strategy": "lbl"])
        #expect(pal.arrays["points"] == lbl.arrays["points"])
        #expect(pal.scalars[Metric.stabilityRatioInit.name] == lbl.scalars[Metric.stabilityRatioInit.name])
        #expect(pal.curves[Metric.loss.name] != lbl.curves[Metric.loss.name])
        let context = syntheticContext(TNNRegressionSuite(), ["dataset": "line", "D": 2, "strategy": "pal"], settings: [:])
        var shared = context.rng("data", sharedAcross: [Strategy.key])
        var preAxis = Philox(seed: RandomKey.derive("TNNRegression", "D=2,dataset=line", 0), stream: RandomKey.derive("data"))
        #expect(shared.nextNormal() == preAxis.nextNormal())
    }

    @Test func strategyFindingJudgesThePairedRuns() {
        let base: Configuration = ["dataset": "line", "D": 4]
        let regression = TNNRegressionSuite().findings([
            MetricSummary(configuration: base.with(Strategy.pal), metric: Metric.trainMSE.name, values: [0.0032]),
            MetricSummary(configuration: base.with(Strategy.lbl), metric: Metric.trainMSE.name, values: [0.0033]),
        ])
        #expect(regression.count == 1 && regression[0].holds == false)
        let holds = TNNRegressionSuite().findings([
            MetricSummary(configuration: base.with(Strategy.pal), metric: Metric.trainMSE.name, values: [0.001]),
            MetricSummary(configuration: base.with(Strategy.lbl), metric: Metric.trainMSE.name, values: [0.0033]),
        ])
        #expect(holds.first?.holds == true)
        #expect(TNNRegressionSuite().findings([]).first?.holds == nil)
    }
}

/// Bad input to TNNRegression fails the job with one line naming the suite, key and value.
@Suite struct TNNRegressionBadInputTests {
    static func run(_ configuration: Configuration, settings: [String: ConfigurationValue]) -> JobRecord? {
        runPlannedSynthetic(TNNRegressionSuite(), configuration, settings: settings)
    }

    @Test func rejectsABadConfigurationValue() throws {
        let settings = TNNRegressionSuite().plan(for: .smoke).settings
        let record = try #require(Self.run(["dataset": "sine", "D": 2, "output": "tanh", "strategy": "pal"], settings: settings))
        #expect(record.status == .failed)
        #expect(record.message == "TNNRegression: configuration value 'output' = 'tanh' is not one of: relu, linear")
        let unknown = try #require(Self.run(["dataset": "parabola", "D": 2, "strategy": "pal"], settings: settings))
        #expect(unknown.message == "TNNRegression: configuration value 'dataset' = 'parabola' is not one of: line, sine")
    }

    @Test func rejectsABadSetting() throws {
        var settings = TNNRegressionSuite().plan(for: .smoke).settings
        settings["line_sweeps"] = 0
        let record = try #require(Self.run(["dataset": "line", "D": 2, "strategy": "pal"], settings: settings))
        #expect(record.status == .failed)
        #expect(record.message == "TNNRegression: tier setting 'line_sweeps' = 0 is out of range; valid: ≥ 1")
        settings["line_sweeps"] = 3
        settings["learning_rate"] = "fast"
        let rate = try #require(Self.run(["dataset": "line", "D": 2, "strategy": "pal"], settings: settings))
        #expect(rate.status == .failed)
        #expect(rate.message == "TNNRegression: tier setting 'learning_rate' = 'fast' is not a finite number")
    }

    /// Non-finite training is divergence, not failure, and the message names the sweep.
    @Test func nonFiniteTrainingIsDiverged() throws {
        var settings = TNNRegressionSuite().plan(for: .smoke).settings
        settings["learning_rate"] = 1e6
        settings["line_sweeps"] = 50
        let record = try #require(Self.run(["dataset": "line", "D": 2, "strategy": "pal"], settings: settings))
        #expect(record.status == .diverged, "\(record.status): \(record.message)")
        #expect(record.message.contains("at sweep "))
    }
}
