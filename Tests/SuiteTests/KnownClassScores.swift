import Harness
import TensorCore
import Testing

/// Class scores whose predictions are known: row i predicts its label, except every `wrongEvery`-th
/// row (from 0), which predicts the next class, and row 1, whose label column wins but another
/// column is NaN (a non-finite row, which must count as wrong although its arg max is right).
func knownClassScores(labels: [Int], wrongEvery: Int, classes: Int = 10) -> Scores {
    var values = [Double](repeating: 0, count: labels.count * classes)
    for (row, label) in labels.enumerated() {
        values[row * classes + (row % wrongEvery == 0 ? (label + 1) % classes : label)] = 1
        if row == 1 { values[row * classes + (label + 1) % classes] = .nan }
    }
    return .double(Tensor(shape: [labels.count, classes], scalars: values))
}

/// The error rate ``knownClassScores(labels:wrongEvery:classes:)`` implies: the wrong rows
/// counted from the construction, as 1 − correct/rows.
func knownError(rows: Int, wrongEvery: Int) -> Double {
    let wrong = Set(stride(from: 0, to: rows, by: wrongEvery)).union(rows > 1 ? [1] : []).count
    return 1 - Double(rows - wrong) / Double(rows)
}

/// A second implementation of one of Barratt et al.'s problems (CopyNodeInit, RankRegularization)
/// in one small struct: it trains nothing, predicts ``knownClassScores(labels:wrongEvery:classes:)``
/// on the validation and test images (`labels` reads their labels from the inputs), and reports
/// one round.
struct KnownClassPredictions<Target: Problem>: Implementation {
    let labels: @Sendable (Target.Inputs) -> (validation: [Int], test: [Int])
    let wrongEvery: (validation: Int, test: Int)
    var name: String { "known" }

    func train(_ inputs: Target.Inputs, for problem: Target, in context: RunContext) throws -> Predictions {
        let (validationLabels, testLabels) = labels(inputs)
        let validation = knownClassScores(labels: validationLabels, wrongEvery: wrongEvery.validation)
        try problem.evaluate(Predictions(["validation": validation]), at: .round(1, x: 1), of: inputs, in: context)
        return Predictions(["validation": validation, "test": knownClassScores(labels: testLabels, wrongEvery: wrongEvery.test)])
    }
}

/// Runs a smoke job of one of Barratt et al.'s suites with ``KnownClassPredictions`` and expects
/// the quality metrics its scores imply — `val_error` (final and the one-round curve) and
/// `test_error` — which must be bad enough to tell them from a trained model's. Returns what the
/// job recorded and its inputs, for the suite's own checks.
func expectErrorsOfKnownScores<S: ProblemSuite>(
    _ suite: S, configuration: Configuration, wrongEvery: (validation: Int, test: Int),
    labels: @escaping @Sendable (S.SuiteProblem.Inputs) -> (validation: [Int], test: [Int]),
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (record: RunRecord, inputs: S.SuiteProblem.Inputs) {
    func context() -> RunContext {
        RunContext(suite: suite.name, tier: .smoke, configuration: configuration, seed: 0,
                   settings: suite.plan(for: .smoke).settings, dataDirectory: dataDirectory)
    }
    let inputs = try suite.problem.inputs(for: context())
    let job = context()
    try suite.run(job, implementation: KnownClassPredictions<S.SuiteProblem>(labels: labels, wrongEvery: wrongEvery))
    let recorded = job.recorded
    let (validationLabels, testLabels) = labels(inputs)
    let validation = knownError(rows: validationLabels.count, wrongEvery: wrongEvery.validation)
    let test = knownError(rows: testLabels.count, wrongEvery: wrongEvery.test)
    #expect(validation > 0.25 && test > 0.1, sourceLocation: sourceLocation)
    #expect(recorded.scalars[Metric.validationError.name] == validation, sourceLocation: sourceLocation)
    #expect(recorded.scalars[Metric.testError.name] == test, sourceLocation: sourceLocation)
    #expect(recorded.curves[Metric.validationError.name] == Curve(x: [1], y: [validation]), sourceLocation: sourceLocation)
    return (recorded, inputs)
}
