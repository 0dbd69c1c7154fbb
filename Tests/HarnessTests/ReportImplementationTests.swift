import Foundation
import Testing
@testable import Harness

/// The report's overview and headline speak for the suite's own (native) code; another
/// implementation's paper verdicts are in the side-by-side table and the per-row table only.
@Suite struct ReportImplementationTests {
    /// Native reproduces the paper point (0.91 ± 0.05); `pytorch` (about 0.81) differs from it.
    func comparison() throws -> Comparison {
        let baselines = temporaryDirectory() + "/Baselines"
        try FileManager.default.createDirectory(atPath: baselines, withIntermediateDirectories: true)
        let paper = """
            {"suite": "Figures", "paper_id": "figures",
             "points": [{"metric": "test_accuracy", "configuration": {"D": 2}, "value": 0.91, "confidence": "table",
                         "margin": 0.05, "source": "Table I", "tiers": ["smoke"]}]}
            """
        try paper.write(toFile: baselines + "/Figures.json", atomically: true, encoding: .utf8)
        let records = accuracyRecords(["D": 2], [0.90, 0.92, 0.91])
            + accuracyRecords(["D": 2, "implementation": "pytorch"], [0.80, 0.82, 0.81])
        let results = ResultSet(name: "r", tier: .smoke, provenance: figureProvenance, created: "", records: records)
        return try Comparison(results: results, suites: [FigureSuite(figures: [])], baselines: baselines)
    }

    @Test func overviewAndHeadlineCountNativeRowsOnly() throws {
        let comparison = try comparison()
        // The premise: both implementations were judged against the paper, with different verdicts.
        let verdicts = comparison.rows.map { "\($0.configuration.name) \($0.paperVerdict?.label ?? "-")" }
        #expect(verdicts.sorted() == ["D=2 reproduced", "D=2,implementation=pytorch differs"])

        let overview = Report.overview(comparison)
        #expect(overview.contains("| [Figures](#figures) | — | 1 reproduced | — | — |"), "\(overview)")
        #expect(!overview.contains("differ"))

        let headline = Report.headline(comparison, suite: "Figures")
        let claimRows = headline.split(separator: "\n").filter { $0.hasPrefix("| D=") || $0.contains("implementation") }
        #expect(claimRows.count == 1, "\(headline)")
        #expect(claimRows.first?.hasPrefix("| D=2 | test_accuracy | 0.91 ± 0.05 (table) |") == true, "\(headline)")
        #expect(claimRows.first?.hasSuffix("| **reproduced** |") == true, "\(headline)")
        #expect(!headline.contains("pytorch") && !headline.contains("differs"))

        // pytorch's verdict stays beside native's in the side-by-side table and in the per-row table.
        let sideBySide = Report.implementations(comparison, suite: "Figures")
        let pytorchRow = try #require(sideBySide.split(separator: "\n").first { $0.hasPrefix("| pytorch | D=2 | test_accuracy |") })
        #expect(pytorchRow.contains("| differs |") && pytorchRow.contains("| reproduced |"), "\(pytorchRow)")
        let markdown = Report.markdown(comparison, figures: [], relativeTo: temporaryDirectory())
        #expect(markdown.contains("| D=2,implementation=pytorch | test_accuracy |"))
    }

    /// A figure no record falls in (a declared subset left its configurations out) says so in one
    /// line instead of offering an empty plot's files as "not rendered".
    @Test func figureWithoutDataSaysNothingToDraw() throws {
        let directory = temporaryDirectory()
        let figures = [
            RenderedFigure(suite: "Figures", id: "drawn", title: "Drawn", directory: directory, rendered: true),
            RenderedFigure(suite: "Figures", id: "failed", title: "Failed", directory: directory, rendered: false),
            RenderedFigure(suite: "Figures", id: "empty", title: "Empty", directory: directory, rendered: false, hasData: false),
        ]
        let section = Report.suiteSection(try comparison(), suite: "Figures", figures: figures, relativeTo: directory)
        #expect(section.contains("![Drawn](./drawn.png)") || section.contains("![Drawn](drawn.png)"), "\(section)")
        #expect(section.contains("_Failed_ — not rendered (gnuplot missing or failed)"), "\(section)")
        #expect(section.contains("_Empty_ — nothing to draw: no record of this run falls in it"), "\(section)")
        #expect(!section.contains("![Empty]") && !section.contains("![Failed]"))
    }
}
