import Foundation
import Testing
@testable import Harness

/// Implementations side by side (`compare`, `report`): each against native on the same
/// configuration, never mixed with it; quality as a difference of means with Welch's interval,
/// speed as the ratio of per-epoch times.
@Suite struct ImplementationComparisonTests {
    /// scipy: a = [1, 2, 3], b = [2, 3, 4] → ā − b̄ = −1, SE = √(2/3), ν = 4, t₀.₉₇₅,₄ = 2.776445.
    @Test func theDifferenceOfMeansHasWelchsInterval() throws {
        let difference = try #require(MeanDifference([1, 2, 3], [2, 3, 4], level: 0.95))
        #expect(difference.estimate == -1)
        let interval = try #require(difference.interval)
        let half = 2.776445105 * (2.0 / 3).squareRoot()
        #expect(abs(interval.low - (-1 - half)) < 1e-6 && abs(interval.high - (-1 + half)) < 1e-6)
        #expect(MeanDifference([0.5], [0.25])?.interval == nil, "one seed: no interval")
        #expect(MeanDifference([1, 1], [0, 0])?.interval == ConfidenceInterval(low: 1, high: 1, level: 0.95))
        #expect(MeanDifference([], [1]) == nil && MeanDifference([.nan, 1], [1, 2]) == nil)
    }

    @Test func eachImplementationIsJudgedAgainstNativeOnItsConfiguration() throws {
        var records = accuracyRecords(["D": 2], [0.90, 0.92, 0.91]) + accuracyRecords(["D": 4], [0.95, 0.95, 0.95])
        records += accuracyRecords(["D": 2, "implementation": "pytorch"], [0.80, 0.82, 0.81])
        records += accuracyRecords(["D": 2, "implementation": "tn4ml"], [0.93])
        // A failed job of an implementation does not count.
        records.append(accuracyRecord(["D": 4, "implementation": "pytorch"], seed: 0, 0.1, status: .failed))
        let results = ResultSet(name: "r", tier: .smoke, provenance: figureProvenance, created: "", records: records)
        let rows = ImplementationRow.rows(results, suites: [FigureSuite(figures: [])])
        #expect(rows.map { "\($0.implementation) \($0.configuration.name)" } == ["pytorch D=2", "tn4ml D=2"])
        let pytorch = rows[0]
        #expect(pytorch.values == [0.80, 0.82, 0.81] && pytorch.nativeValues == [0.90, 0.92, 0.91])
        #expect(abs(try #require(pytorch.difference).estimate - (-0.10)) < 1e-12)
        #expect(pytorch.versusNative.hasPrefix("-0.1 ["), "\(pytorch.versusNative)")
        #expect(rows[1].versusNative.contains("one seed on a side"))
    }

    @Test func speedIsTheRatioOfPerEpochTimes() throws {
        func timed(_ configuration: Configuration, seed: Int, _ seconds: [Double]) -> JobRecord {
            var record = accuracyRecord(configuration, seed: seed, 0.9)
            record.record.scalars["epoch_seconds"] = seconds.sorted()[seconds.count / 2]
            record.record.curves["epoch_seconds"] = Curve(x: seconds.indices.map { Double($0 + 1) }, y: seconds)
            return record
        }
        let native = (0..<3).map { timed(["D": 2], seed: $0, [1.0, 1.01, 0.99, 1.0, 1.02]) }
        let slower = (0..<3).map { timed(["D": 2, "implementation": "pytorch"], seed: $0, [3.0, 3.03, 2.97, 3.0, 3.06]) }
        let results = ResultSet(name: "r", tier: .smoke, provenance: figureProvenance, created: "", records: native + slower)
        var suite = FigureSuite(figures: [])
        suite.extraMetrics = [.epochSeconds]
        let row = try #require(ImplementationRow.rows(results, suites: [suite]).first { $0.metric.name == "epoch_seconds" })
        let ratio = try #require(row.speedRatio)
        #expect(abs(ratio.ratio - 3) < 0.02)
        let interval = try #require(ratio.interval)
        #expect(interval.low > 2.8 && interval.high < 3.2 && interval.level == 0.99)
        #expect(row.difference == nil)

        // compare --json: the implementation's rows carry native's mean and the ratio; native's rows nothing.
        let comparison = try Comparison(results: results, suites: [suite], baselines: temporaryDirectory())
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(comparison.json().utf8)) as? [[String: Any]])
        let pytorch = try #require(objects.first {
            ($0["configuration"] as? [String: Any])?["implementation"] as? String == "pytorch" && $0["metric"] as? String == "epoch_seconds"
        })
        #expect(abs((pytorch["vs_native"] as? Double ?? 0) - ratio.ratio) < 1e-12)
        #expect(pytorch["vs_native_ci_low"] as? Double == interval.low && pytorch["vs_native_ci_high"] as? Double == interval.high)
        #expect(pytorch["native_mean"] as? Double != nil)
        let accuracy = try #require(objects.first {
            ($0["configuration"] as? [String: Any])?["implementation"] as? String == "pytorch" && $0["metric"] as? String == "test_accuracy"
        })
        #expect(accuracy["vs_native"] as? Int == 0 || accuracy["vs_native"] as? Double == 0)  // 0.9 both sides
        let nativeRow = try #require(objects.first { ($0["configuration"] as? [String: Any])?["implementation"] == nil })
        #expect(nativeRow["vs_native"] is NSNull && nativeRow["native_mean"] is NSNull)
    }
}
