import Foundation
import Testing
import _TestSupport
@testable import Harness

/// Same-machine A/B of two builds: the interleaved order and the judgement of quality metrics.
@Suite struct RevisionComparisonTests {
    /// Each job on both sides back to back; in every block of two jobs each side goes first once;
    /// the blocks' orders are drawn (both kinds occur, not in a period of one block); the same
    /// jobs give the same order.
    @Test func interleavingDrawsEachBlocksOrder() throws {
        let jobs = (0..<41).map { Job(suite: "Cost", configuration: ["size": 1], seed: $0) }
        let steps = InterleavedRun.schedule(jobs)
        #expect(steps.count == 82)
        #expect(steps.map(\.job.seed) == jobs.flatMap { [$0.seed, $0.seed] })
        var blockFirsts: [RevisionSide] = []
        for block in stride(from: 0, to: 80, by: 4) {
            let sides = steps[block..<block + 4].map(\.side)
            #expect(sides[0] != sides[1] && sides[2] == sides[1] && sides[3] == sides[0], "block at step \(block): \(sides)")
            blockFirsts.append(sides[0])
        }
        #expect(Set(steps[80...].map(\.side)) == [.base, .head])
        #expect(blockFirsts.contains(.base) && blockFirsts.contains(.head))
        #expect(zip(blockFirsts, blockFirsts.dropFirst()).contains { $0 == $1 }, "blocks merely alternate: \(blockFirsts)")
        #expect(InterleavedRun.schedule(jobs).map { "\($0.side)\($0.job)" } == steps.map { "\($0.side)\($0.job)" })
        // A prefix of the jobs keeps the prefix's order (a resumed A/B of the same plan agrees).
        #expect(InterleavedRun.schedule(Array(jobs.prefix(6))).map { "\($0.side)\($0.job)" } == steps.prefix(12).map { "\($0.side)\($0.job)" })
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
        #expect(speed.verdict == .regressed, "\(speed.reason); \(jobMedians(comparison))")
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
            #expect(speed.verdict == .ok, "trial \(trial): \(speed.reason); \(jobMedians(comparison))")
            #expect(comparison.exitStatus == .ok)
            ratios.append(speed.speed?.ratio ?? .nan)
        }
        print("A/A ratios of 10 trials: \(ratios.map { String(format: "%.3f", $0) }.joined(separator: " "))")
    }
}
