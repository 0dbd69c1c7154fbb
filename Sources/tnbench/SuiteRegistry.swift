import CopyNodeInit
import Harness
import KnowledgeDistillation
import MPONet
import RankRegularization
import StoudenmireMPS
import TNNClassification
import TNNRegression
import TN4ML

/// Every suite `tnbench` knows, in the order `list` shows them and `run all` runs them.
///
/// This is the one place suites are registered. To add one: make its target a dependency of
/// `tnbench` (Package.swift's `suiteNames` does that), `import` it here and append
/// `<Name>Suite()` below.
let registeredSuites: [any Suite] = [
    StoudenmireMPSSuite(),
    CopyNodeInitSuite(),
    RankRegularizationSuite(),
    TNNClassificationSuite(),
    TNNRegressionSuite(),
    MPONetSuite(),
    KnowledgeDistillationSuite(),
    TN4MLSuite(),
]

extension ResultDirectory {
    /// The run's plan (``readPlan()``), checked against the suites this tnbench has: a job of
    /// another suite (a hand-edited plan, or one from another tnbench) is one line naming it.
    func readKnownPlan() throws -> RunPlan {
        let plan = try readPlan()
        let known = Set(registeredSuites.map(\.name))
        if let entry = plan.jobs.first(where: { !known.contains($0.suite) }) {
            throw HarnessError(
                .invalidResults,
                "\(planPath): job \(entry.index) is of suite '\(entry.suite)', which this tnbench does not have; known: \(registeredSuites.map(\.name).joined(separator: ", "))")
        }
        return plan
    }
}
