import Foundation
import Testing
import _TestSupport
@testable import Harness

/// The whole chain on the synthetic suite: run → records → merge → statistics → verdicts →
/// regression detection → figures → report.
@Suite struct EndToEndTests {
    @Test func runJudgeDrawAndReport() throws {
        let root = temporaryDirectory()
        let baselines = root + "/Baselines"
        try writePaperBaselines(baselines)

        // 1. A clean run of 2 configurations × 5 seeds.
        let summary = try runSynthetic(into: root + "/clean")
        #expect(summary == { var s = RunSummary(); s.total = 10; s.completed = 10; s.wallSeconds = summary.wallSeconds; return s }())
        let results = try ResultDirectory(root + "/clean").loadResults()
        #expect(results.records.count == 10)
        #expect(results.tier == .smoke)
        #expect(FileManager.default.fileExists(atPath: root + "/clean/results.h5"))

        // 2. Statistics equal the values computed by hand from the documented random key.
        var comparison = try Comparison(results: results, suites: [SyntheticSuite()], baselines: baselines)
        for m in [10, 20] {
            let expected = (0..<5).map { SyntheticSuite.expected(m: m, seed: $0).error }
            let mean = expected.reduce(0, +) / 5
            let sd = (expected.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
            let row = try #require(comparison.rows.first { $0.configuration == ["m": .int(m)] && $0.metric.name == "test_error" })
            #expect(row.values == expected)  // bit-identical: same Philox stream, same arithmetic
            expectClose(row.mean, mean, relativeTolerance: 1e-15)
            expectClose(row.standardDeviation, sd, relativeTolerance: 1e-12)
            #expect(row.n == 5)
        }

        // 3. Paper verdicts: m = 10 sits on 0.05 ± 0.005; m = 20 (≈ 0.02) is far from 0.03 ± 0.002.
        let paper10 = try #require(comparison.rows.first { $0.configuration == ["m": 10] && $0.metric.name == "test_error" })
        let paper20 = try #require(comparison.rows.first { $0.configuration == ["m": 20] && $0.metric.name == "test_error" })
        #expect(paper10.paperVerdict == .reproduced)
        #expect(paper20.paperVerdict == .differs)
        #expect(paper20.paperPoint?.confidence == .figureApprox)
        // A point of the paper tier only: shown beside ours, no verdict drawn at the smoke tier.
        let count10 = try #require(comparison.rows.first { $0.configuration == ["m": 10] && $0.metric.name == "param_count" })
        #expect(count10.paperPoint?.value == 100 && count10.paperVerdict == .notComparable)
        #expect(comparison.text().contains("paper 100 [table]: not comparable at this tier"))
        // No reference yet: exit status 4 and null reference verdicts.
        #expect(comparison.exitStatus == .missingBaseline)
        #expect(comparison.rows.allSatisfy { $0.referenceVerdict == nil })

        // 4. The clean run becomes the reference.
        try ReferenceBaselines.make(from: results, suite: "Synthetic").write(to: baselines)
        let reference = try #require(try ReferenceBaselines.load(suite: "Synthetic", tier: .smoke, from: baselines))
        #expect(reference.values(for: "test_error", ["m": 10]) == (0..<5).map { SyntheticSuite.expected(m: 10, seed: $0).error })

        // 5. An injected drop (error +0.02, 50% slower) is flagged regressed, with exit status 1.
        try runSynthetic(SyntheticSuite(shift: 0.02, slowdown: 1.5), into: root + "/dropped")
        let dropped = try ResultDirectory(root + "/dropped").loadResults()
        comparison = try Comparison(results: dropped, suites: [SyntheticSuite()], baselines: baselines)
        for m in [10, 20] {
            for metric in ["test_error", "epoch_seconds"] {
                let row = try #require(comparison.rows.first { $0.configuration == ["m": .int(m)] && $0.metric.name == metric })
                #expect(row.referenceVerdict == .regressed, "\(metric) m=\(m): \(row.referenceReason)")
            }
            let parameters = try #require(comparison.rows.first { $0.configuration == ["m": .int(m)] && $0.metric.name == "param_count" })
            #expect(parameters.referenceVerdict == nil)  // informational
        }
        #expect(comparison.exitStatus == .regression)
        #expect(comparison.text().contains("REGRESSED"))
        let json = comparison.json()
        #expect(json.contains(#""reference_verdict": "regressed""#))

        // The compare --json contract: one array, one object per (suite, configuration, metric), fixed keys.
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(objects.count == 6)
        #expect(Set(objects[0].keys) == [
            "suite", "configuration", "metric", "n", "mean", "std", "ci_low", "ci_high", "paper_value",
            "paper_confidence", "paper_verdict", "reference_verdict", "speed_ratio", "speed_ratio_ci_low", "speed_ratio_ci_high",
            "native_mean", "vs_native", "vs_native_ci_low", "vs_native_ci_high",
        ])

        // 6. A clean rerun is ok everywhere, exit status 0.
        try runSynthetic(into: root + "/rerun")
        let rerun = try ResultDirectory(root + "/rerun").loadResults()
        comparison = try Comparison(results: rerun, suites: [SyntheticSuite()], baselines: baselines)
        #expect(comparison.rows.filter { $0.metric.kind != .informational }.allSatisfy { $0.referenceVerdict == .ok })
        #expect(comparison.exitStatus == .ok)

        // 7. Figures: .dat/.gp (and the PNG when gnuplot is installed) with the right numbers.
        let report = root + "/reports/dropped"
        let renderer = FigureRenderer(outputDirectory: report + "/figures", baselines: baselines)
        let (figures, warning) = try renderer.render(results: dropped, suites: [SyntheticSuite()])
        #expect(figures.count == 2)
        let dat = try String(contentsOfFile: report + "/figures/Synthetic/test_error_vs_m.dat", encoding: .utf8)
        let droppedMean10 = Statistics.mean((0..<5).map { SyntheticSuite.expected(m: 10, seed: $0, shift: 0.02).error })
        let referenceMean10 = Statistics.mean((0..<5).map { SyntheticSuite.expected(m: 10, seed: $0).error })
        #expect(dat.contains("10.0 \(droppedMean10) "))
        #expect(dat.contains(" 5 \(referenceMean10) "))  // n, then the reference mean beside it
        #expect(dat.contains("10.0 0.05 0.0"))  // the paper point (table)
        let gp = try String(contentsOfFile: report + "/figures/Synthetic/test_error_vs_m.gp", encoding: .utf8)
        #expect(gp.contains("set xlabel \"bond dimension m\""))
        #expect(gp.contains("commit "))
        #expect(gp.contains("(n=5)"))
        if FigureRenderer.gnuplot != nil {
            #expect(warning == nil)
            #expect(figures.allSatisfy { $0.rendered })
            for ext in ["png", "svg", "pdf"] {
                #expect(FileManager.default.fileExists(atPath: report + "/figures/Synthetic/test_error_vs_m.\(ext)"))
            }
        } else {
            #expect(warning?.contains("gnuplot not found") == true)
        }

        // 8. The report has the table with the right numbers, the verdicts and the figures.
        comparison = try Comparison(results: dropped, suites: [SyntheticSuite()], baselines: baselines)
        let path = try Report.write(comparison, figures: figures, to: report)
        let markdown = try String(contentsOfFile: path, encoding: .utf8)
        let sd10 = Statistics.standardDeviation((0..<5).map { SyntheticSuite.expected(m: 10, seed: $0, shift: 0.02).error })
        #expect(markdown.contains("| m=10 | test_error | \(formatNumber(droppedMean10)) ± \(formatNumber(sd10)) | 5 |"))
        #expect(markdown.contains("0.05 (table)"))
        #expect(markdown.contains("**regressed**"))
        #expect(markdown.contains("figures/Synthetic/test_error_vs_m"))
        // The suites' `gflops` and the counted work per timed second are two named columns.
        #expect(markdown.contains("| GFLOP counted | `gflops` (mean) | GFLOP / timed second |"))
        #expect(markdown.contains("## Provenance"))
    }

    @Test func failedAndDivergedJobsAreRecordedNotDropped() throws {
        let root = temporaryDirectory()
        let summary = try runSynthetic(SyntheticSuite(trouble: .mixed), into: root + "/run")
        #expect(summary.completed == 7 && summary.failed == 1 && summary.diverged == 2)
        #expect(summary.exitStatus == .jobFailed)
        let results = try ResultDirectory(root + "/run").loadResults()
        #expect(results.records.count == 10)
        let byseed = Dictionary(uniqueKeysWithValues: results.records.filter { $0.job.configuration == ["m": 20] }.map { ($0.job.seed, $0) })
        #expect(byseed[1]?.status == .diverged && byseed[1]?.message == "loss became NaN at epoch 2")
        #expect(byseed[2]?.status == .failed && byseed[2]?.message.contains("sgesdd") == true)
        #expect(byseed[3]?.status == .diverged && byseed[3]?.message.contains("test_error = nan") == true)
        let comparison = try Comparison(results: results, suites: [SyntheticSuite()], baselines: root + "/none")
        #expect(comparison.unsuccessful.count == 3)
        #expect(comparison.exitStatus == .jobFailed)
        #expect(comparison.rows.first { $0.configuration == ["m": 20] && $0.metric.name == "test_error" }?.n == 2)
    }
}
