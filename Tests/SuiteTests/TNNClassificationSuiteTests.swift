import Foundation
import Harness
import Testing
import TensorCore
@testable import TNNClassification
import TNNProtocol

/// An implementation whose predictions are known: every training point right, every test point
/// and field point class 0. It records nothing of its own.
private struct ConstantClassifier: Implementation {
    var name: String { "constant" }
    func train(_ inputs: TNNClassificationProblem.Inputs, for problem: TNNClassificationProblem, in context: RunContext) throws -> Predictions {
        func classZero(_ count: Int) -> Scores {
            .double(Tensor(shape: [count, inputs.classes], scalars: (0..<count).flatMap { _ in (0..<inputs.classes).map { $0 == 0 ? 1.0 : 0.0 } }))
        }
        let predictions = Predictions([
            "train": .double(Tensor<Double>.oneHot(labels: inputs.train.labels, classes: inputs.classes)),
            "test": classZero(inputs.test.count), "field": classZero(inputs.field.shape[0]),
        ])
        try problem.evaluate(predictions, at: .round(1, x: 1), of: inputs, in: context)
        return predictions
    }
}

@Suite struct TNNClassificationSuiteTests {
    static let jobs = TNNClassificationSuite().plan(for: .smoke).configurations

    @Test(arguments: jobs)
    func smokeIsDeterministicAndRecordsMetrics(configuration: Configuration) throws {
        let (first, _) = try expectRepeatable(timed: [.sweepSeconds, .gflops], curves: [Metric.loss.name]) {
            try runSynthetic(TNNClassificationSuite(), configuration)
        }
        for metric in [Metric.testAccuracy, .trainAccuracy, .entropyMax, .sweepSeconds, .gflops, .loss, .parameterCount] {
            #expect(first.scalars[metric.name]?.isFinite == true, "missing \(metric.name)")
        }
        let accuracy = try #require(first.scalars[Metric.testAccuracy.name])
        #expect(accuracy >= 0 && accuracy <= 1)
        #expect(first.curves[Metric.loss.name]?.x.count == 3 && first.curves[Metric.entropyMax.name]?.y.count == 3)
        #expect(first.curves[Metric.testAccuracy.name]?.y.last == accuracy)
        #expect(first.curves[Metric.sweepSeconds.name]?.x == [1, 2, 3])
        #expect(first.arrays["entropy"]?.shape == [3, 5])
        #expect(first.arrays["decision_field"]?.shape == [12, 12])
        #expect(first.arrays["decision_field"]?.attributes["x_min"] != nil)
        #expect(first.arrays["points"]?.shape[1] == 3)
        #expect(first.flops > 0)
        // Another seed draws other data or weights.
        let other = try runSynthetic(TNNClassificationSuite(), configuration, seed: 1)
        #expect(other.curves[Metric.loss.name] != first.curves[Metric.loss.name])
    }

    /// The accuracies and the decision field are the problem's, computed from the
    /// implementation's predictions — here a stub's, whose accuracies are known.
    @Test(arguments: [Dataset.blobs, .spirals])
    func qualityMetricsComeFromPredictions(dataset: Dataset) throws {
        let suite = TNNClassificationSuite()
        let context = syntheticContext(TNNClassificationSuite(), Configuration(dataset, Strategy.pal).with("D", 2))
        try suite.run(context, implementation: ConstantClassifier())
        let inputs = try suite.problem.inputs(for: context)
        let zeros = Double(inputs.test.labels.filter { $0 == 0 }.count) / Double(inputs.test.count)
        let record = context.recorded
        #expect(record.scalars[Metric.trainAccuracy.name] == 1)
        #expect(record.scalars[Metric.testAccuracy.name] == zeros)
        #expect(record.curves[Metric.testAccuracy.name]?.y == [zeros])
        #expect(record.arrays["decision_field"]?.doubles == [Double](repeating: 0, count: 144))
        #expect(record.scalars[Metric.loss.name] == nil && record.scalars[Metric.entropyMax.name] == nil)
    }

    /// Predictions of the wrong size fail the job with one line, not a trap.
    @Test func missingOrMisshapenPredictionsAreInputErrors() throws {
        let problem = TNNClassificationProblem()
        let context = syntheticContext(TNNClassificationSuite(), Configuration(Dataset.blobs, Strategy.pal).with("D", 2))
        let inputs = try problem.inputs(for: context)
        #expect(throws: SuiteInputError.self) { try problem.evaluate(Predictions([:]), at: .final, of: inputs, in: context) }
        let short = Predictions(["train": .double(Tensor(zeros: [1, 2])), "test": .double(Tensor(zeros: [1, 2]))])
        #expect(throws: SuiteInputError.self) { try problem.evaluate(short, at: .final, of: inputs, in: context) }
    }

    @Test func suiteDescribesItself() {
        let suite = TNNClassificationSuite()
        for tier in Tier.allCases { #expect(!suite.plan(for: tier).configurations.isEmpty) }
        let names = Set(suite.metrics.map(\.name))
        #expect(names.isSuperset(of: [Metric.entropyMax.name, Metric.sweepSeconds.name, Metric.gflops.name]))
        #expect(suite.metrics.first { $0.name == Metric.trainAccuracy.name }?.kind == .quality)
        #expect(!suite.figures.isEmpty)
        #expect(suite.implementations.map(\.name) == ["native"])
    }

    /// The strategy axis: every tier runs PaL for every data set and LbL for at least one, with a
    /// PaL partner for each LbL configuration.
    @Test func strategyAxisIsPaired() {
        expectStrategyAxisPaired(TNNClassificationSuite())
    }

    @Test func strategyFindingJudgesThePairedRuns() {
        let base: Configuration = ["dataset": "spirals", "D": 2]
        func summaries(_ strategy: Strategy, loss: Double, accuracy: Double) -> [MetricSummary] {
            [MetricSummary(configuration: base.with(strategy), metric: Metric.loss.name, values: [loss, loss]),
             MetricSummary(configuration: base.with(strategy), metric: Metric.testAccuracy.name, values: [accuracy, accuracy])]
        }
        func verdict(_ results: [MetricSummary]) -> Bool?? {
            TNNClassificationSuite().findings(results).first { $0.statement.hasPrefix("PaL") }.map(\.holds)
        }
        #expect(verdict(summaries(.pal, loss: 0.07, accuracy: 0.98) + summaries(.lbl, loss: 0.28, accuracy: 0.89)) == .some(true))
        #expect(verdict(summaries(.pal, loss: 0.07, accuracy: 0.98) + summaries(.lbl, loss: 0.10, accuracy: 0.97)) == .some(false))
        #expect(verdict(summaries(.pal, loss: 0.07, accuracy: 0.98)) == .some(nil))
    }

    @Test func entropyFindingComparesThePaLRuns() {
        func summary(_ dataset: Dataset, _ strategy: Strategy, _ value: Double) -> MetricSummary {
            MetricSummary(configuration: Configuration(dataset, strategy).with("D", 2), metric: Metric.entropyMax.name, values: [value])
        }
        let suite = TNNClassificationSuite()
        #expect(suite.entropyFinding([summary(.blobs, .pal, 0.1), summary(.spirals, .pal, 0.7), summary(.blobs, .lbl, 5)]).holds == true)
        #expect(suite.entropyFinding([summary(.blobs, .pal, 0.9), summary(.spirals, .pal, 0.7)]).holds == false)
        #expect(suite.entropyFinding([summary(.blobs, .pal, 0.1)]).holds == nil)
    }
}

/// Bad input to TNNClassification fails the job with one line naming the suite, key and value.
@Suite struct TNNClassificationBadInputTests {
    static func run(_ configuration: Configuration, settings: [String: ConfigurationValue]) -> JobRecord? {
        runPlannedSynthetic(TNNClassificationSuite(), configuration, settings: settings)
    }

    @Test func rejectsABadConfigurationValue() throws {
        let settings = TNNClassificationSuite().plan(for: .smoke).settings
        let unknown = try #require(Self.run(["dataset": "moons", "D": 2, "strategy": "pal"], settings: settings))
        #expect(unknown.status == .failed)
        #expect(unknown.message == "TNNClassification: configuration value 'dataset' = 'moons' is not one of: blobs, spirals")
        let notInt = try #require(Self.run(["dataset": "blobs", "D": "abc", "strategy": "pal"], settings: settings))
        #expect(notInt.status == .failed)
        #expect(notInt.message == "TNNClassification: configuration value 'D' = 'abc' is not an integer")
        let strategy = try #require(Self.run(["dataset": "blobs", "D": 2, "strategy": "sgd"], settings: settings))
        #expect(strategy.message == "TNNClassification: configuration value 'strategy' = 'sgd' is not one of: pal, lbl")
    }

    @Test func rejectsAMissingSetting() throws {
        var settings = TNNClassificationSuite().plan(for: .smoke).settings
        settings["blobs_train_count"] = nil
        settings["blobs_train"] = 60          // the old spelling is not read
        let record = try #require(Self.run(["dataset": "blobs", "D": 2, "strategy": "pal"], settings: settings))
        #expect(record.status == .failed)
        #expect(record.message.hasPrefix("TNNClassification: tier setting 'blobs_train_count' is missing (present: "))
        #expect(!record.message.contains("\n"))
    }
}
