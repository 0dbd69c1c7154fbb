import CopyNodeInit
import Foundation
import Harness
import KnowledgeDistillation
import MPONet
import RankRegularization
import StoudenmireMPS
import TN4ML
import TNNClassification
import TNNRegression
import Testing

/// The committed baseline files against the suites and the paper catalogue: every suite's
/// `paper_id` names a result of `Baselines/papers/paper-baselines.json`, and every paper and
/// reference file loads with the harness's validation (so `compare` cannot meet a bad one first).
@Suite struct PaperIdTests {
    /// The repository's `Baselines/` (this file is Tests/SuiteTests/PaperIdTests.swift).
    static let baselines = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Baselines").path

    /// Every suite (as `SuiteRegistry.swift` lists them; ``registryIsComplete()`` keeps the two in step).
    static let suites: [any Suite] = [
        StoudenmireMPSSuite(), CopyNodeInitSuite(), RankRegularizationSuite(), TNNClassificationSuite(),
        TNNRegressionSuite(), MPONetSuite(), KnowledgeDistillationSuite(), TN4MLSuite(),
    ]

    /// The targets under Suites/ that two suites of one paper share (Package.swift's
    /// `sharedProtocols`): not suites.
    static let sharedProtocols: Set = ["BarrattProtocol", "TNNProtocol"]

    /// The suites are those under Suites/ but the shared protocols — a suite added there and not
    /// here fails this test.
    @Test func registryIsComplete() throws {
        let directory = URL(fileURLWithPath: Self.baselines).deletingLastPathComponent().appendingPathComponent("Suites").path
        let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") })
        #expect(onDisk.isSuperset(of: Self.sharedProtocols))
        #expect(onDisk.subtracting(Self.sharedProtocols) == Set(Self.suites.map(\.name)))
    }

    @Test(arguments: suites.map(\.name))
    func paperIDIsInTheCatalogue(suite name: String) throws {
        let suite = try #require(Self.suites.first { $0.name == name })
        let catalogue = try PaperCatalogue.load(from: Self.baselines)
        let paper = try #require(
            try PaperBaselines.load(suite: name, from: Self.baselines, metrics: suite.metrics.map(\.name)),
            "\(name) has no Baselines/\(name).json")
        try catalogue.check(paper, file: PaperBaselines.path(suite: name, in: Self.baselines))
        // The suite's own declaration of its paper agrees with its file.
        #expect(suite.paper.baselineID == paper.paperID)
    }

    /// The checker fails on an id the catalogue lacks, naming it and the ids there are.
    @Test func aBadPaperIDIsReported() throws {
        let catalogue = try PaperCatalogue.load(from: Self.baselines)
        #expect(catalogue.ids.contains("stoudenmire-mps-mnist"))
        let bad = PaperBaselines(suite: "StoudenmireMPS", paperID: "stoudenmire-mps-mnsit", points: [])
        let error = try #require(throws: HarnessError.self) { try catalogue.check(bad, file: "Baselines/StoudenmireMPS.json") }
        #expect(error.kind == .malformedBaseline)
        #expect(error.message.hasPrefix("Baselines/StoudenmireMPS.json: paper_id: 'stoudenmire-mps-mnsit' is not a result of papers/paper-baselines.json; its ids: "))
        #expect(error.message.contains("stoudenmire-mps-mnist") && !error.message.contains("\n"))
        // A catalogue that is not one is an error too, not an empty list that every id fails.
        #expect(throws: HarnessError.self) { _ = try PaperCatalogue.parse(Data(#"{"results": [{"paper": {}}]}"#.utf8), file: "c.json") }
        #expect(throws: HarnessError.self) { _ = try PaperCatalogue.parse(Data("[]".utf8), file: "c.json") }
    }

    /// Every committed reference file loads with the suite's metrics: known version, its tier,
    /// known metrics, consistent seeds and samples.
    @Test(arguments: suites.map(\.name))
    func committedReferencesLoad(suite name: String) throws {
        let suite = try #require(Self.suites.first { $0.name == name })
        var found = 0
        for tier in Tier.allCases {
            if try ReferenceBaselines.load(suite: name, tier: tier, from: Self.baselines, metrics: suite.metrics.map(\.name)) != nil {
                found += 1
            }
        }
        #expect(found >= 1, "\(name) has no reference file")
    }
}

/// The README's results table is what `tnbench baseline table` writes from the committed
/// references: a new reference (or paper point) without the regenerated table fails here.
@Suite struct ReadmeResultsTableTests {
    @Test func readmeTableIsUpToDate() throws {
        let readmePath = URL(fileURLWithPath: PaperIdTests.baselines).deletingLastPathComponent().appendingPathComponent("README.md").path
        let readme = try String(contentsOfFile: readmePath, encoding: .utf8)
        let committed = try #require(ResultsTable.extract(from: readme), "README.md has no results-table markers")
        let expected = try ResultsTable.markdown(suites: PaperIdTests.suites, baselines: PaperIdTests.baselines)
        #expect(committed == expected, "README.md's results table is out of date: run `tnbench baseline table --write README.md`")
    }
}
