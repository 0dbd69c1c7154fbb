import Foundation
import Harness
import Testing
import RankRegularization

@Suite struct RankRegularizationSuiteTests {
    @Test func plansUseTheIssueNames() {
        let rr = RankRegularizationSuite().plan(for: .ci)
        #expect(rr.seeds == 3)
        #expect(rr.configurations.contains(["model": "rank_regularized", "D_max": 10]))
        #expect(rr.configurations.contains(["model": "mps", "D_max": 10]))
        #expect(rr.configurations.contains(["model": "mps", "D_max": 6]))
    }

    @Test(.enabled(if: mnistAvailable, mnistSkipReason), arguments: RankRegularizationSuite().plan(for: .smoke).configurations)
    func smokeIsDeterministic(configuration: Configuration) throws {
        let (first, second) = try expectRepeatable(timed: [.epochSeconds, .gflops], curves: ["val_error"]) {
            try runPinned(RankRegularizationSuite(), configuration: configuration)
        }
        if configuration.string("model") == "rank_regularized" {
            let bonds = try #require(first.arrays["bond_dimensions"])
            #expect(bonds.shape == [195])
            #expect(bonds.doubles.allSatisfy { $0 >= 1 && $0 <= 4 })
            #expect(first.arrays["bond_dimensions"] == second.arrays["bond_dimensions"])
            #expect(first.arrays["soft_bond_dimensions"]?.shape == [195])
            #expect(first.scalars["penalty_weight"].map { $0 > 0 } == true)
        } else {
            #expect(first.arrays["bond_dimensions"] == nil && first.scalars["penalty_weight"] == nil)
        }
    }

    /// The suite's quality metrics are the problem's evaluation of an implementation's
    /// predictions: a stub's known scores (``KnownClassPredictions``) give exactly the errors they
    /// imply.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func qualityMetricsComeFromPredictions() throws {
        let (recorded, _) = try expectErrorsOfKnownScores(
            RankRegularizationSuite(), configuration: ["model": "rank_regularized", "D_max": 4], wrongEvery: (3, 7)
        ) { ($0.mnist.data.validation.labels, $0.mnist.data.test.labels) }
        #expect(recorded.scalars["param_count"] == nil && recorded.arrays["bond_dimensions"] == nil)
    }

    /// Bad input is one line naming the suite, the key, the value and the valid choices.
    @Test func badInputIsOneLineNamingTheKey() throws {
        let rr = RankRegularizationSuite()
        try expectInputFailure(rr, configuration: ["model": "mpo", "D_max": 4], mentioning: ["'model'", "mps, rank_regularized"])
        try expectInputFailure(rr, configuration: ["model": "mps", "D_max": 0], mentioning: ["'D_max' = 0 is out of range"])
        try expectInputFailure(rr, configuration: ["model": "mps", "D_max": 4], overriding: ["batch_size": "many"],
                               mentioning: ["'batch_size' = 'many' is not an integer"])
    }

    /// The "matches D = 10" finding judges the difference's interval, not σ: rank-regularized
    /// seeds that diverge spread wide, and that leaves it undecided instead of making it hold.
    @Test func matchingFindingIsNotWonBySpread() {
        func results(_ rr: [Double]) -> [MetricSummary] {
            let rank: Configuration = ["D_max": 10, "model": "rank_regularized"], mps: Configuration = ["D_max": 10, "model": "mps"]
            return [
                MetricSummary(configuration: rank, metric: Metric.testError.name, values: rr),
                MetricSummary(configuration: mps, metric: Metric.testError.name, values: [0.052, 0.056, 0.060, 0.055, 0.057]),
                MetricSummary(configuration: rank, metric: Metric.parameterCount.name, values: [17000, 18000]),
                MetricSummary(configuration: mps, metric: Metric.parameterCount.name, values: [39020, 39020]),
            ]
        }
        let spread = RankRegularizationSuite().findings(results([0.06, 0.07, 0.90, 0.88, 0.05]))
        #expect(spread.first?.verdict == .undecided)
        #expect(spread.first?.detail.contains("90% interval") == true)
        #expect(RankRegularizationSuite().findings(results([0.053, 0.057, 0.059, 0.054, 0.058])).first?.verdict == .holds)
        #expect(RankRegularizationSuite().findings(results([0.30, 0.31, 0.29, 0.30, 0.32])).first?.verdict == .fails)
        #expect(spread.last?.holds == true)
    }
}
