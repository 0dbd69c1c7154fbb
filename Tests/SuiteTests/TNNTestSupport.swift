import Foundation
import Harness
import Testing
import TNNProtocol

/// The context of one job of a suite on synthetic data (no data directory read) at `tier`, with
/// the tier's settings or `settings`.
func syntheticContext(
    _ suite: any Suite, _ configuration: Configuration, tier: Tier = .smoke, seed: Int = 0,
    settings: [String: ConfigurationValue]? = nil
) -> RunContext {
    RunContext(suite: suite.name, tier: tier, configuration: configuration, seed: seed,
               settings: settings ?? suite.plan(for: tier).settings, dataDirectory: NSTemporaryDirectory())
}

/// Runs one smoke job of a suite on synthetic data directly through a `RunContext`; what it recorded.
func runSynthetic(_ suite: any Suite, _ configuration: Configuration, seed: Int = 0) throws -> RunRecord {
    let context = syntheticContext(suite, configuration, seed: seed)
    try suite.run(context)
    return context.recorded
}

/// One smoke job of a suite on synthetic data run as the harness runs it, with exactly
/// `settings`; nil if it did not finish.
func runPlannedSynthetic(_ suite: any Suite, _ configuration: Configuration, settings: [String: ConfigurationValue]) -> JobRecord? {
    let planned = PlannedJob(suite: suite, job: Job(suite: suite.name, configuration: configuration, seed: 0), settings: settings)
    guard case .finished(let record) = JobExecution.run(planned, tier: .smoke, dataDirectory: NSTemporaryDirectory()) else { return nil }
    return record
}

/// A TNN suite's `strategy` axis: every tier's configurations name a strategy, run LbL for at
/// least one, and have a PaL partner for each LbL configuration.
func expectStrategyAxisPaired(_ suite: any Suite, sourceLocation: SourceLocation = #_sourceLocation) {
    for tier in Tier.allCases {
        let configurations = suite.plan(for: tier).configurations
        #expect(configurations.allSatisfy { $0[Strategy.self] != nil }, sourceLocation: sourceLocation)
        #expect(configurations.contains { $0[Strategy.self] == .lbl }, "\(tier) runs no LbL", sourceLocation: sourceLocation)
        for lbl in configurations where lbl[Strategy.self] == .lbl {
            #expect(configurations.contains(lbl.with(Strategy.pal)), "\(lbl.name) has no PaL partner", sourceLocation: sourceLocation)
        }
    }
}
