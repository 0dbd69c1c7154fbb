import Foundation
import Testing
@testable import Harness

/// `FigureSpec.referenceLines` on a `.metricVersus` figure: an MPO sweep over D with a dense
/// model (no D key) drawn as horizontal lines, the run's mean ± σ and the paper's value ± σ.
@Suite struct ReferenceLineFigureTests {
    static let fc2: Configuration = ["network": "fc2"]
    static let fc2Accuracies = [0.981, 0.9832, 0.9851]

    static func spec(filter: Configuration = [:], referenceLines: [Configuration] = [fc2]) -> FigureSpec {
        FigureSpec(
            id: "accuracy_vs_d", title: "Test accuracy of MPO-FC2 vs D", kind: .metricVersus(metric: .testAccuracy, x: "D", series: nil),
            xLabel: "bond dimension D", yLabel: "test accuracy", logX: true, filter: filter, referenceLines: referenceLines)
    }

    /// The MPO sweep, D ∈ {2, 4, 8} × 3 seeds, and fc2 × 3 seeds.
    static var records: [JobRecord] {
        [2, 4, 8].flatMap { d in
            accuracyRecords(["network": "mpo_fc2", "D": .int(d)], [0.95, 0.96, 0.97].map { $0 + 0.001 * Double(d) })
        } + accuracyRecords(fc2, fc2Accuracies)
    }

    @Test func referenceLineHoldsTheConfigurationsMeanAndSpread() throws {
        let (dat, gp, data) = figureText(Self.spec(), records: Self.records)
        let mean = Statistics.mean(Self.fc2Accuracies), sd = Statistics.standardDeviation(Self.fc2Accuracies)
        // One series (the MPO sweep, 3 x values), then the reference line's block.
        #expect(data.series.count == 1)
        #expect(data.series[0].points.map(\.x) == [2, 4, 8])
        #expect(datRows(dat, block: 0).count == 3)
        let row = try #require(datRows(dat, block: 1).first)
        #expect(row == ["\(mean)", "\(sd)", "3", "\(mean - sd)", "\(mean + sd)", "NaN", "NaN", "NaN", "NaN"])
        #expect(dat.contains("# block 1: fc2: reference line"))
        // The script reads those values and draws a line, its band, across the whole x axis.
        #expect(gp.contains("stats \"accuracy_vs_d.dat\" index 1 using (level0_mean = $1, level0_std = $2, level0_lower = $4, level0_upper = $5, 0) nooutput"))
        #expect(gp.contains("level0_upper with filledcurves y=level0_lower"))
        #expect(gp.contains("level0_mean with lines lw 2 lc rgb \"#333333\" title \"fc2 (this run) mean ±σ (n=3)\""))
        // The range the data give, padded by 4% of its decades (log x) so that D = 2 and D = 8
        // clear the border: a fixed range drops the offsets the points would otherwise get.
        #expect(gp.contains("x_pad = (GPVAL_X_MAX / GPVAL_X_MIN) ** 0.04\nset xrange [GPVAL_X_MIN / x_pad:GPVAL_X_MAX * x_pad]"))
        #expect(!gp.contains("(paper)"))  // no paper point for fc2
    }

    @Test func paperLineAppearsWhenThePaperHasAPoint() throws {
        let points = [accuracyPoint(Self.fc2, 0.9817, sigma: 0.0005), accuracyPoint(["network": "mpo_fc2", "D": 4], 0.975, sigma: nil)]
        let (dat, gp, data) = figureText(Self.spec(), records: Self.records, paper: points)
        #expect(data.paper[.table]?.map(\.x) == [4])  // the sweep's point stays a marker
        // Blocks: series, paper (table), then the reference line.
        let row = try #require(datRows(dat, block: 2).first)
        #expect(Array(row[5...]) == ["0.9817", "0.0005", "\(0.9817 - 0.0005)", "\(0.9817 + 0.0005)"])
        #expect(gp.contains("level0_paper_value with lines lw 2 dt 4 lc rgb \"#333333\" title \"fc2 (paper) ±σ\""))
        #expect(gp.contains("level0_paper_lower with lines lw 1 dt 2"))
        #expect(gp.contains("level0_paper_upper with lines lw 1 dt 2"))
        // Without σ the paper's line comes alone.
        let bare = figureText(Self.spec(), records: Self.records, paper: [accuracyPoint(Self.fc2, 0.9817, sigma: nil)])
        #expect(bare.gp.contains("title \"fc2 (paper)\""))
        #expect(!bare.gp.contains("level0_paper_lower"))
    }

    /// A listed configuration is never part of a series, even when it matches the filter and has
    /// the x key; configurations without the x key are skipped silently.
    @Test func listedConfigurationsLeaveTheSeries() {
        let dense: Configuration = ["network": "mpo_fc2", "D": 8]
        let (_, _, data) = figureText(Self.spec(filter: ["network": "mpo_fc2"], referenceLines: [dense]), records: Self.records)
        #expect(data.series.count == 1)
        #expect(data.series[0].points.map(\.x) == [2, 4])
        #expect(data.levels.count == 1 && data.levels[0].run?.n == 3)
        let (_, _, noLines) = figureText(Self.spec(referenceLines: []), records: Self.records)
        #expect(noLines.series[0].points.map(\.x) == [2, 4, 8])  // fc2 has no D: left out, no crash
        #expect(noLines.levels.isEmpty)
    }

    @Test func missingDataDrawsWhatThereIs() throws {
        // A single seed: σ is NaN, no band.
        let one = Self.records.filter { $0.job.configuration != Self.fc2 } + [accuracyRecord(Self.fc2, seed: 0, 0.98)]
        var text = figureText(Self.spec(), records: one)
        #expect(try #require(datRows(text.dat, block: 1).first) == ["0.98", "NaN", "1", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"])
        #expect(text.gp.contains("using (level0_mean = $1, 0) nooutput"))
        #expect(!text.gp.contains("level0_upper"))
        #expect(text.gp.contains("title \"fc2 (this run) (n=1)\""))
        // Not run but in the paper: the paper's line only. Failed jobs do not count as run.
        let failed = Self.records.filter { $0.job.configuration != Self.fc2 } + [accuracyRecord(Self.fc2, seed: 0, 0.5, status: .failed)]
        text = figureText(Self.spec(), records: failed, paper: [accuracyPoint(Self.fc2, 0.9817, sigma: 0.0005)])
        #expect(text.data.levels[0].run == nil)
        #expect(!text.gp.contains("level0_mean"))
        #expect(text.gp.contains("level0_paper_value with lines"))
        // Neither run nor in the paper: nothing drawn, the sweep as usual.
        text = figureText(Self.spec(referenceLines: [["network": "fc3"]]), records: Self.records)
        #expect(!text.gp.contains("level0"))
        #expect(!text.gp.contains("GPVAL_X_MIN"))
        #expect(text.data.series[0].points.count == 3)
        // Only the reference line (the filter matches no sweep): a fixed x range, still drawn.
        text = figureText(Self.spec(filter: ["network": "none"]), records: Self.records)
        #expect(text.data.hasData)
        #expect(text.gp.contains("set xrange [1:10]"))
        // Nothing at all.
        text = figureText(Self.spec(), records: [])
        #expect(!text.data.hasData)
        #expect(text.gp.contains("no data"))
    }
}
