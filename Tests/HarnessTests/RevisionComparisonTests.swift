import Foundation
import Testing
import _TestSupport
@testable import Harness

/// Same-machine A/B of two builds: the interleaved order and the judgement of quality metrics.
@Suite struct RevisionComparisonTests {
    @Test func interleavingAlternatesWhichSideGoesFirst() {
        let jobs = (0..<3).map { Job(suite: "Cost", configuration: ["size": 1], seed: $0) }
        let order = InterleavedRun.schedule(jobs).map { "\($0.side.rawValue)\($0.job.seed)" }
        #expect(order == ["base0", "head0", "head1", "base1", "base2", "head2"])
    }

    @Test func sameSeedQualityChangesNameTheirConfigurations() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/base")
        try runSynthetic(SyntheticSuite(shift: 0.02, slowdown: 1.5), into: root + "/head")
        let comparison = RevisionComparison(
            base: try ResultDirectory(root + "/base").loadResults(), head: try ResultDirectory(root + "/head").loadResults(),
            suites: [SyntheticSuite()])
        for m in [10, 20] {
            let error = try #require(comparison.rows.first { $0.configuration == ["m": .int(m)] && $0.metric.name == "test_error" })
            // Every seed moved by exactly +0.02: a certain change beyond the 0.01 margin.
            #expect(error.changedSeeds == [0, 1, 2, 3, 4])
            #expect(error.verdict == .regressed, "\(error.reason)")
            // One epoch_seconds value per seed (no samples declared): 5 vs 5 decides a 1.5× slowdown.
            let seconds = try #require(comparison.rows.first { $0.configuration == ["m": .int(m)] && $0.metric.name == "epoch_seconds" })
            #expect(seconds.verdict == .regressed, "\(seconds.reason)")
            expectClose(try #require(seconds.speed).ratio, 1.5, relativeTolerance: 0.05)
        }
        #expect(comparison.text().contains("seeds 0, 1, 2, 3, 4 of 5 changed"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(comparison.json().utf8)) as? [[String: Any]])
        #expect(json.count == 4)
        #expect(json.contains { ($0["verdict"] as? String) == "regressed" && ($0["changed_seeds"] as? [Int]) == [0, 1, 2, 3, 4] })

        // A rerun of the same build: identical numerics, no verdict beyond ok.
        try runSynthetic(into: root + "/again")
        let same = RevisionComparison(
            base: try ResultDirectory(root + "/base").loadResults(), head: try ResultDirectory(root + "/again").loadResults(),
            suites: [SyntheticSuite()])
        #expect(same.rows.filter { $0.metric.kind == .quality }.allSatisfy { $0.verdict == .ok && $0.changedSeeds.isEmpty })
        #expect(same.exitStatus == .ok)
    }
}

/// Same-machine A/B of two builds, with the builds stood in for by two settings of a suite whose
/// cost is a setting: a 30% slower head must be flagged, and a head equal to its base never.
///
/// They time real work, so they run alone: `ci/ab-test.sh` (called by `.ci/run`) sets
/// TNBENCH_TIMING_TESTS=1 and runs only this suite, after the rest of the tests.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TNBENCH_TIMING_TESTS"] == "1", "timing tests run alone: bash ci/ab-test.sh"))
struct SameMachineTimingTests {
    @Test func aThirtyPercentSlowerHeadIsFlaggedRegressed() throws {
        let comparison = try costAB(root: temporaryDirectory(), headSlowdown: 1.3)
        let speed = try #require(comparison.rows.first { $0.metric.name == "epoch_seconds" })
        #expect(speed.verdict == .regressed, "\(speed.reason)")
        #expect(speed.reason.contains("48 vs 48 per-step samples"))
        // The work does not change the seed-determined quality metric: bit-identical.
        let score = try #require(comparison.rows.first { $0.metric.name == "score" })
        #expect(score.verdict == .ok && score.changedSeeds.isEmpty)
        #expect(comparison.exitStatus == .regression)
        #expect(comparison.text().contains("1 metric regressed"))
    }

    /// Ten A/A trials on this machine, whatever else it is doing: never flagged.
    @Test func aHeadEqualToItsBaseIsOkInTenOfTenTrials() throws {
        var ratios: [Double] = []
        for trial in 0..<10 {
            let comparison = try costAB(root: temporaryDirectory("aa\(trial)"), headSlowdown: 1.0)
            let speed = try #require(comparison.rows.first { $0.metric.name == "epoch_seconds" })
            #expect(speed.verdict == .ok, "trial \(trial): \(speed.reason)")
            #expect(comparison.exitStatus == .ok)
            ratios.append(speed.speed?.ratio ?? .nan)
        }
        print("A/A ratios of 10 trials: \(ratios.map { String(format: "%.3f", $0) }.joined(separator: " "))")
    }
}
