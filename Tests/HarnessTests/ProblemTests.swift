import Harness
import TensorCore
import Testing

/// A suite as a problem and its implementations: the problem's evaluation of predictions, the
/// provided `run`, typed metrics and configuration axes.
@Suite struct ProblemTests {
    enum Shape: String, ConfigurationAxis {
        case ring, line
        static let key = "shape"
    }

    /// Labels 0, 1, 2, 1 on a "test" set; the evaluation records test accuracy from scores.
    struct Toy: Problem {
        struct Inputs { var labels: [Int]; var shape: Shape }
        func inputs(for context: RunContext) throws -> Inputs {
            Inputs(labels: [0, 1, 2, 1], shape: try context.parameters.choice(Shape.self))
        }
        func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
            -> [Metric: Double]
        {
            let accuracy = try predictions.scores("test", suite: context.suite).accuracy(labels: inputs.labels)
            switch checkpoint {
            case .round(_, let x): context.append(Metric.testAccuracy.name, x: x, y: accuracy)
            case .final: context.record(.testAccuracy, accuracy)
            case .step: break
            }
            return [.testAccuracy: accuracy]
        }
    }

    /// An implementation in one small struct: fixed scores, one checkpoint per round.
    struct Fixed: Implementation {
        var name: String { "fixed" }
        var rows: [[Float]]
        func train(_ inputs: Toy.Inputs, for problem: Toy, in context: RunContext) throws -> Predictions {
            let predictions = Predictions(["test": .float(Tensor(shape: [rows.count, 3], scalars: rows.flatMap { $0 }))])
            try TrainingLoop(rounds: 2).run(context) { round in
                try problem.evaluate(predictions, at: .round(round.index, x: Double(round.index)), of: inputs, in: context)
                return EpochReport(loss: 1, flops: 0, steps: 1)
            }
            return predictions
        }
    }

    struct ToySuite: ProblemSuite {
        var name: String { "Toy" }
        var summary: String { "toy" }
        var paper: PaperReference { PaperReference(title: "t", authors: "a", year: 2026, baselineID: "t") }
        var metrics: [Metric] { [.testAccuracy] }
        var figures: [FigureSpec] { [] }
        func plan(for tier: Tier) -> TierPlan {
            TierPlan(configurations: Configuration.grid([Configuration.axis(Shape.allCases)]), seeds: 1, summary: "")
        }
        var problem: Toy { Toy() }
        var implementations: [any Implementation<Toy>] {
            [Fixed(rows: [[2, 1, 0], [0, 3, 1], [1, 0, 0], [0, 1, 1]])]
        }
    }

    static func context(_ shape: Shape = .ring) -> RunContext {
        RunContext(suite: "Toy", tier: .smoke, configuration: Configuration(shape), seed: 0, dataDirectory: "/nonexistent")
    }

    @Test func qualityComesFromThePredictionsThroughTheProblem() throws {
        let context = Self.context()
        try ToySuite().run(context)
        // Rows 0, 1 right; row 2 predicts 0 (label 2); row 3 ties 1 and 2, the first (1) wins: right.
        #expect(context.recorded(.testAccuracy) == 0.75)
        #expect(context.recorded.curves["test_accuracy"] == Curve(x: [1, 2], y: [0.75, 0.75]))
    }

    @Test func anotherImplementationIsOneValue() throws {
        let context = Self.context()
        let allWrong = Fixed(rows: [[0, 1, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]])
        try ToySuite().run(context, implementation: allWrong)
        #expect(context.recorded(.testAccuracy) == 0)
        #expect(ToySuite().implementation(named: "fixed") != nil && ToySuite().implementation(named: "torch") == nil)
    }

    @Test func aMissingSetIsOneLineNamingIt() {
        #expect(throws: SuiteInputError.self) { try Predictions([:]).scores("test", suite: "Toy") }
        do {
            _ = try Predictions(["val": .double(Tensor(shape: [1, 1], scalars: [0]))]).scores("test", suite: "Toy")
        } catch {
            #expect(error.description == "Toy: the implementation returned no predictions for the test set (has: val)")
        }
    }

    @Test func scoresPredictTheFirstLargestAndCountErrors() {
        let scores = Scores.double(Tensor(shape: [3, 2], scalars: [1, 1, 0, 2, 3, -1]))
        #expect(scores.predictedClasses == [0, 1, 0])
        #expect(scores.errorRate(labels: [0, 0, 0]) == 1.0 / 3.0)
        #expect(scores.count == 3)
    }

    @Test func configurationAxesBuildGridsFiltersAndReadBack() throws {
        let grid = Configuration.grid([Configuration.axis(Shape.allCases), ("D", [4])])
        #expect(grid.map(\.name) == ["D=4,shape=ring", "D=4,shape=line"])
        #expect(grid[1].matches(Configuration(Shape.line)))
        #expect(grid[1][Shape.self] == .line)
        #expect(Configuration(Shape.ring).with("D", 4) == grid[0])
        #expect(try Self.context(.line).parameters.choice(Shape.self) == .line)
        let bad = RunContext(suite: "Toy", tier: .smoke, configuration: ["shape": "square"], seed: 0, dataDirectory: "/x")
        #expect(throws: SuiteInputError.self) { try bad.parameters.choice(Shape.self) }
    }

    @Test func refinedMetricsKeepTheirNameAndFindingsLookThemUp() {
        let strict = Metric.testAccuracy.refined(practicalMargin: 0.002, description: "strict")
        #expect(strict.name == "test_accuracy" && strict.practicalMargin == 0.002 && strict.polarity == .largerIsBetter)
        let results = [
            MetricSummary(configuration: Configuration(Shape.ring), metric: "test_accuracy", values: [0.9, 0.92]),
            MetricSummary(configuration: Configuration(Shape.line), metric: "test_accuracy", values: []),
            MetricSummary(configuration: Configuration(Shape.ring), metric: "test_error", values: [0.1]),
        ]
        let found = results.of(.testAccuracy, where: Configuration(Shape.ring))
        #expect(found.count == 1 && found[0].values == [0.9, 0.92])
        #expect(results.of(.testAccuracy).count == 1, "a configuration without values is left out")
        #expect(found[0].described(digits: 2) == "shape=ring: 0.91 ± 0.01 (n=2)")
        #expect(results.of(.testError)[0].described() == "shape=ring: 0.100 (n=1)")
    }
}
