import Foundation
import Testing
import _TestSupport
@testable import Harness

/// Where a paper stands: claims judged on the committed paper-tier reference, shown in every
/// report whatever its tier, and the README's table generated from the same files.
@Suite struct PaperStandingTests {
    /// `Baselines/` with the synthetic paper points (``writePaperBaselines(_:)``: m = 10's
    /// test_error judges smoke and paper, m = 20's smoke only, m = 10's param_count paper only)
    /// and, unless `withPaperReference` is false, a paper-tier reference of m = 10 alone.
    func baselines(withPaperReference: Bool = true, errors: [Double] = [0.0492, 0.0503, 0.0498, 0.0507, 0.0501]) throws -> String {
        let baselines = temporaryDirectory() + "/Baselines"
        try writePaperBaselines(baselines)
        guard withPaperReference else { return baselines }
        let reference = ReferenceBaselines(
            suite: "Synthetic", tier: .paper, created: "2026-12-02T22:27:54Z", run: "paper-ref", hostName: "vm",
            cpuModel: "Intel(R) Xeon(R) Processor", gitCommit: "311e1798e7c097c2eaff7beecc57c8a4e65375a3",
            blasConfiguration: "OpenBLAS", entries: [
                .init(configuration: ["m": 10], metric: "test_error", values: errors, seeds: Array(0..<5)),
                .init(configuration: ["m": 10], metric: "param_count", values: [100, 100, 100, 100, 100], seeds: Array(0..<5)),
            ])
        try reference.write(to: baselines)
        return baselines
    }

    @Test func claimsAreJudgedOnThePaperTierReference() throws {
        let standing = try #require(try PaperStanding.load(suite: "Synthetic", metrics: SyntheticSuite().metrics, from: baselines()))
        // The smoke-only point (m = 20) is not a paper-tier claim.
        #expect(standing.claims.map(\.point.metric) == ["test_error", "param_count"])
        let error = standing.claims[0]
        #expect(error.configuration == ["m": 10] && error.n == 5)
        // 0.05020 ± 0.00056 (5) against 0.05 ± 0.005: the TOST shows equivalence.
        #expect(error.verdict == .reproduced, "\(error.reason)")
        #expect(error.summary == "0.05002 ± 0.000563 (5)")
        #expect(standing.claims[1].verdict == .reproduced)  // all seeds 100, the point 100
        #expect(standing.counts == "2 reproduced")
        #expect(standing.recorded == "build 311e179, recorded 2026-12-02")
    }

    @Test func claimsWithoutARecordAreNotRun() throws {
        let standing = try #require(try PaperStanding.load(suite: "Synthetic", metrics: SyntheticSuite().metrics,
                                                            from: baselines(withPaperReference: false)))
        #expect(standing.claims.count == 2 && standing.claims.allSatisfy { $0.verdict == nil && $0.values.isEmpty })
        #expect(standing.claims[0].reason == "no paper-tier reference committed")
        #expect(standing.counts == "2 not run")
        #expect(standing.recorded == nil)
        #expect(try PaperStanding.load(suite: "Unknown", metrics: [], from: baselines()) == nil)
    }

    /// A smoke-tier report: the overview's first column says where the paper stands; each claim
    /// shows the committed paper-tier result beside this run's number.
    @Test func reportShowsTheCommittedPaperTierBesideThisRun() throws {
        let root = temporaryDirectory()
        let baselines = try baselines()
        try runSynthetic(into: root + "/run")
        let results = try ResultDirectory(root + "/run").loadResults()
        let comparison = try Comparison(results: results, suites: [SyntheticSuite()], baselines: baselines)
        let md = Report.markdown(comparison, figures: [], relativeTo: root)
        #expect(md.contains("| suite | at the paper tier (committed) | paper claims, this run |"))
        #expect(md.contains("| [Synthetic](#synthetic) | 2 reproduced (build 311e179, recorded 2026-12-02) |"))
        #expect(md.contains("Paper tier: the committed reference `Baselines/reference/paper/Synthetic.json`, build 311e179, recorded 2026-12-02."))
        let lines = md.split(separator: "\n").map(String.init)
        let errorRow = try #require(lines.first { $0.hasPrefix("| m=10 | test_error |") })
        #expect(errorRow.contains("| 0.05002 ± 0.000563 (5) | **reproduced** |"))
        // Both points judge the smoke tier: this run's verdict is drawn as well.
        let ours = try #require(comparison.rows.first { $0.configuration == ["m": 10] && $0.metric.name == "test_error" })
        #expect(errorRow.hasSuffix("| \(PaperStanding.Claim.summary(ours.values)) | **\(ours.paperVerdict!.label)** |"))
        // A paper-tier-only point at the smoke tier: the committed verdict, and not comparable here.
        let countRow = try #require(lines.first { $0.hasPrefix("| m=10 | param_count |") })
        #expect(countRow.contains("| 100 ± 0 (5) | **reproduced** | 100 ± 0 (5) | _not comparable at this tier_ |"))
        // A smoke-only point: no paper-tier claim, this run's verdict alone.
        let smokeRow = try #require(lines.first { $0.hasPrefix("| m=20 | test_error |") })
        #expect(smokeRow.contains("| — | — |"))
    }

    /// Every seed misses the paper, one by far: the mean's interval spans the band, the claim is
    /// inconclusive with five seeds (sign test p = 0.0625), and the report says why under its table.
    @Test func aClaimEverySeedMissedSaysWhyItIsInconclusive() throws {
        let root = temporaryDirectory()
        let baselines = try baselines(errors: [0.9, 0.12, 0.11, 0.13, 0.1])
        let standing = try #require(try PaperStanding.load(suite: "Synthetic", metrics: SyntheticSuite().metrics, from: baselines))
        #expect(standing.claims[0].verdict == .inconclusive)
        try runSynthetic(into: root + "/run")
        let comparison = try Comparison(results: try ResultDirectory(root + "/run").loadResults(), suites: [SyntheticSuite()], baselines: baselines)
        let md = Report.markdown(comparison, figures: [], relativeTo: root)
        let note = try #require(md.split(separator: "\n").first { $0.hasPrefix("- _inconclusive_, m=10 test_error:") }, "\(md)")
        #expect(note.contains("paper tier: every seed (5) above") && note.contains("sign test p=0.0625 ≥ 0.05"), "\(note)")
        // A claim judged by its interval, as before, has no such line.
        let plain = Report.markdown(try Comparison(results: try ResultDirectory(root + "/run").loadResults(), suites: [SyntheticSuite()],
                                                   baselines: try self.baselines()), figures: [], relativeTo: root)
        #expect(!plain.contains("- _inconclusive_"))
    }

    /// A report directory that keeps an index of second witnesses links it from the first lines.
    @Test func theWitnessesIndexIsLinkedWhereItExists() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/run", seeds: 1)
        let comparison = try Comparison(results: try ResultDirectory(root + "/run").loadResults(), suites: [SyntheticSuite()],
                                        baselines: try baselines())
        let link = "- second witnesses (other implementations beside native, the authors' own choices): [witnesses/README.md](witnesses/README.md)"
        #expect(!Report.markdown(comparison, figures: [], relativeTo: root).contains("second witnesses"))
        try FileManager.default.createDirectory(atPath: root + "/witnesses", withIntermediateDirectories: true)
        try "# Second witnesses\n".write(toFile: root + "/witnesses/README.md", atomically: true, encoding: .utf8)
        let lines = Report.markdown(comparison, figures: [], relativeTo: root).split(separator: "\n").map(String.init)
        #expect(lines.prefix(8).contains(link))
    }

    /// A run of part of a tier's grid says so above its claims; the whole grid says nothing.
    @Test func aSubsetOfTheTierSaysSo() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/part", seeds: 2)
        let part = try Comparison(results: try ResultDirectory(root + "/part").loadResults(), suites: [SyntheticSuite()], baselines: try baselines())
        #expect(part.coverage["Synthetic"]?.description == "4 of the tier's 10 jobs (2 of 2 configurations)")
        #expect(Report.headline(part, suite: "Synthetic").hasPrefix(
            "This run holds 4 of the tier's 10 jobs (2 of 2 configurations) at the smoke tier: a subset; the whole grid is `tnbench plan Synthetic --tier smoke`."))
        try runSynthetic(into: root + "/whole")
        let whole = try Comparison(results: try ResultDirectory(root + "/whole").loadResults(), suites: [SyntheticSuite()], baselines: try baselines())
        #expect(whole.coverage.isEmpty)
    }

    @Test func resultsTableReplacesOnlyBetweenItsMarkers() throws {
        let baselines = try baselines()
        let table = try ResultsTable.markdown(suites: [SyntheticSuite()], baselines: baselines)
        #expect(table.contains("| Synthetic | m=10 | test_error | 0.05 ± 0.005 (table) | 0.05002 ± 0.000563 (5) | reproduced | — |"))
        #expect(table.contains("Paper-tier records: Synthetic (build 311e179, recorded 2026-12-02)."))
        let readme = "# Title\n\nbefore\n\(ResultsTable.begin)\nstale | rows\n\(ResultsTable.end)\nafter\n"
        let updated = try ResultsTable.replacing(in: readme, with: table, file: "README.md")
        #expect(updated.hasPrefix("# Title\n\nbefore\n\(ResultsTable.begin)\n| suite |"))
        #expect(updated.hasSuffix("\(ResultsTable.end)\nafter\n"))
        #expect(ResultsTable.extract(from: updated) == table)
        #expect(try ResultsTable.replacing(in: updated, with: table, file: "README.md") == updated)
        #expect(throws: HarnessError.self) { try ResultsTable.replacing(in: "no markers\n", with: table, file: "README.md") }
        #expect(ResultsTable.extract(from: "\(ResultsTable.end)\n\(ResultsTable.begin)\n") == nil)
    }
}
