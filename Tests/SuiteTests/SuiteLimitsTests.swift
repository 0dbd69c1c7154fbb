import Foundation
import Harness
import Testing

/// The sizes each suite declares (``Suite/limits``) against its own tiers: every tier plans within
/// them, and a size past a declared limit is refused at planning, naming the key and the range.
@Suite struct SuiteLimitsTests {
    @Test(arguments: [Tier.smoke, .ci, .paper])
    func everyTierPlansWithinItsLimits(tier: Tier) throws {
        let jobs = try JobPlanner.plan(suites: PaperIdTests.suites, tier: tier)
        #expect(Set(jobs.map(\.job.suite)) == Set(PaperIdTests.suites.map(\.name)))
    }

    /// Every declared key is one the suite uses: a tier setting or a configuration key of some tier
    /// (a misspelled key would hold nothing to its range).
    @Test func declaredKeysExist() {
        for suite in PaperIdTests.suites {
            let keys = Set([Tier.smoke, .ci, .paper].flatMap { tier in
                let plan = suite.plan(for: tier)
                return Array(plan.settings.keys) + plan.configurations.flatMap(\.keys)
            })
            for key in suite.limits.keys {
                #expect(keys.contains(key), "\(suite.name) declares a limit for '\(key)', which none of its tiers has")
            }
        }
    }

    @Test func aSizePastTheDataIsRefusedAtPlanning() throws {
        let suite = try #require(PaperIdTests.suites.first { $0.name == "MPONet" })
        do {
            _ = try JobPlanner.plan(suites: [suite], tier: .smoke, overrides: SettingOverrides(parsing: ["train_count=60001"]))
            Issue.record("train_count=60001 was planned")
        } catch let error as HarnessError {
            #expect(error.message.contains("train_count=60001") && error.message.contains("1…60000"), "\(error.message)")
        }
    }
}
