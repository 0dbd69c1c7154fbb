import ArgumentParser
import Harness

/// `--tier smoke|ci|paper` as a typed option: the parser reads the name as ``JobPlanner/tier(_:)``
/// does (in any case: `SMOKE` is `smoke`), refuses anything else in one line listing the tiers,
/// and `--help` lists them. Here rather than in Harness, which does not import ArgumentParser.
extension Tier: ExpressibleByArgument {
    public init?(argument: String) {
        guard let tier = try? JobPlanner.tier(argument) else { return nil }
        self = tier
    }
}
