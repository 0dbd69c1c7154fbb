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
