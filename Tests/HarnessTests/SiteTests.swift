import Foundation
import Testing
import _TestSupport
@testable import Harness

/// The static site (`tnbench publish`): pages, the claims table, figures as SVG, escaping, and a
/// link checker that finds what it must.
@Suite struct SiteTests {
    /// A smoke run of the synthetic suite published with the paper points and a paper-tier
    /// reference of m = 10 (the baselines of ``PaperStandingTests``).
    func publishedSite(runNames: [String] = ["smoke-run"]) throws -> (site: String, pages: [String]) {
        let root = temporaryDirectory()
        let baselines = try PaperStandingTests().baselines()
        var runs: [Site.Run] = []
        for (slug, name) in zip(Site.slugs(runNames), runNames) {
            try runSynthetic(into: "\(root)/\(name)")
            let results = try ResultDirectory("\(root)/\(name)").loadResults()
            let comparison = try Comparison(results: results, suites: [SyntheticSuite()], baselines: baselines)
            let renderer = FigureRenderer(outputDirectory: Site.figureDirectory(site: root + "/site", slug: slug), baselines: baselines)
            let figures = try renderer.render(results: results, suites: [SyntheticSuite()]).figures
            runs.append(Site.Run(slug: slug, comparison: comparison, figures: figures))
        }
        let pages = try Site.write(runs: runs, suites: [SyntheticSuite()], baselines: baselines, to: root + "/site")
        return (root + "/site", pages)
    }

    @Test func frontPageHasEveryPaperClaimWithTheCommittedResultAndTheRun() throws {
        let (site, pages) = try publishedSite()
        #expect(pages == [site + "/index.html", site + "/suites/Synthetic.html"])
        let front = try String(contentsOfFile: site + "/index.html", encoding: .utf8)
        // Both paper-tier claims (test_error and param_count of m = 10), each in one row, with the
        // committed result, its verdict and the smoke run's native number of the same configuration.
        let rows = front.components(separatedBy: "<tr>").filter { $0.contains("href=\"suites/Synthetic.html\">Synthetic</a></td><td>m=10</td>") }
        #expect(rows.count == 2)
        let error = try #require(rows.first { $0.contains("<td>test_error</td>") })
        #expect(error.contains("0.05002 ± 0.000563 (5)"))
        #expect(error.contains("<span class=\"verdict reproduced\">reproduced</span>"))
        #expect(error.contains("native "), "the run's native number of m = 10")
        #expect(front.contains("<th>smoke-run (smoke)</th>"))
        #expect(front.contains("href=\"./style.css\""))
    }

    @Test func suitePageShowsTheReportPartFiguresAsSVGAndProvenance() throws {
        let (site, _) = try publishedSite()
        let page = try String(contentsOfFile: site + "/suites/Synthetic.html", encoding: .utf8)
        #expect(page.contains("<h2>smoke-run — smoke tier</h2>"))
        #expect(page.contains("<table>"), "the report's Markdown tables become HTML tables")
        #expect(!page.contains("| --- |"), "no Markdown table left unconverted")
        if FigureRenderer.gnuplot != nil {
            #expect(page.contains("<object type=\"image/svg+xml\" data=\"../runs/smoke-run/figures/Synthetic/loss.svg\""))
            let svg = try String(contentsOfFile: site + "/runs/smoke-run/figures/Synthetic/loss.svg", encoding: .utf8)
            #expect(svg.contains("<script"), "gnuplot's mouse-over script is in the SVG itself")
            #expect(!svg.contains("src=\"http"), "nothing fetched from elsewhere")
        } else {
            Issue.record("gnuplot is not installed: the site's figures were not checked")
        }
        #expect(page.contains("Provenance of smoke-run"))
        #expect(Site.brokenLinks(in: site).isEmpty, "\(Site.brokenLinks(in: site))")
    }

    @Test func runNamesBecomeDistinctSafeSlugs() {
        #expect(Site.slugs(["ci", "ci", "paper run/1", "", ".."]) == ["ci", "ci-2", "paper-run-1", "run", "run-2"])
    }

    @Test func twoRunsGetAColumnEach() throws {
        let (site, _) = try publishedSite(runNames: ["a", "b"])
        let front = try String(contentsOfFile: site + "/index.html", encoding: .utf8)
        #expect(front.contains("<th>a (smoke)</th><th>b (smoke)</th>"))
        #expect(Site.brokenLinks(in: site).isEmpty, "\(Site.brokenLinks(in: site))")
    }

    /// The speed page: an A/B whose head is 30% slower (its regression first and marked), and
    /// the same two runs as two stored builds of the history (speed over commits, the change
    /// between them listed as a lead, the figure embedded).
    @Test func speedPageShowsTheABsRegressionAndSpeedOverCommits() throws {
        let root = temporaryDirectory()
        _ = try costAB(root: root + "/ab", headSlowdown: 1.3, work: 100_000)
        let store = RevisionHistory(root + "/history")
        let older = String(repeating: "a", count: 40), newer = String(repeating: "b", count: 40)
        try store.add(
            try RevisionHistoryTests.restamped(ResultDirectory(root + "/ab/base"), commit: older, into: root + "/older"),
            revision: Revision(commit: older, committed: "2026-12-01T10:00:00Z", subject: "base"))
        try store.add(
            try RevisionHistoryTests.restamped(ResultDirectory(root + "/ab/head"), commit: newer, into: root + "/newer"),
            revision: Revision(commit: newer, committed: "2026-12-02T10:00:00Z", subject: "slower <&>"))
        let site = root + "/site"
        let history = try Site.speedHistory(store: root + "/history", suites: [CostSuite()], site: site)
        let ab = try Site.abResult(root + "/ab", suites: [CostSuite()])
        #expect(history.map(\.tier) == [.smoke] && history[0].entries.count == 2)
        let pages = try Site.write(runs: [], suites: [CostSuite()], baselines: root + "/no-baselines", history: history, abs: [ab], to: site)
        #expect(pages.last == site + "/speed/index.html")
        let page = try String(contentsOfFile: site + "/speed/index.html", encoding: .utf8)
        let abTable = try #require(page.components(separatedBy: "<table class=\"revisions\">").dropFirst().first)
        let firstRow = try #require(abTable.components(separatedBy: "<tbody>\n").dropFirst().first?.components(separatedBy: "</tr>").first)
        #expect(firstRow.hasPrefix("<tr class=\"regressed\">") && firstRow.contains("<strong>regressed</strong>"), "\(firstRow)")
        #expect(page.contains("<td>slower &lt;&amp;&gt;</td>"), "the commit subject, escaped")
        #expect(page.contains("Changes between consecutive stored runs"))
        #expect(page.contains("<td>0 → 1</td>"))
        if FigureRenderer.gnuplot != nil { #expect(page.contains("speed/smoke/figures/Cost/epoch_seconds_history.svg")) }
        let front = try String(contentsOfFile: site + "/index.html", encoding: .utf8)
        #expect(front.contains("<a href=\"./speed/index.html\">Speed</a>"))
        #expect(Site.brokenLinks(in: site).isEmpty, "\(Site.brokenLinks(in: site))")
        #expect(throws: HarnessError.self) { try Site.abResult(root + "/history", suites: [CostSuite()]) }
    }

    @Test func textIsEscaped() {
        #expect(Site.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        #expect(Site.unescape(Site.escape("x&y<\"'>")) == "x&y<\"'>")
    }

    @Test func linkCheckerFindsMissingFilesFragmentsAndEscapes() throws {
        let site = temporaryDirectory() + "/site"
        try FileManager.default.createDirectory(atPath: site + "/sub", withIntermediateDirectories: true)
        try "<p id=\"here\">x</p><img src=\"../gone.png\" alt=\"x\"/>".write(toFile: site + "/sub/page.html", atomically: true, encoding: .utf8)
        try Data([0x89]).write(to: URL(fileURLWithPath: site + "/a.png"))
        let html = """
            <a href="sub/page.html#here">ok</a> <img src="a.png"> <a href="https://example.org/x">not followed</a>
            <a href="sub/page.html#gone">bad fragment</a> <object data='missing.svg'></object>
            <a href="../outside.html">out</a> <a href="/etc/passwd">absolute</a> <a href="sub">a directory</a>
            <p>D = 10, a=b in text</p>
            """
        try html.write(toFile: site + "/index.html", atomically: true, encoding: .utf8)
        let broken = Site.brokenLinks(in: site)
        #expect(broken.map(\.target) == ["sub/page.html#gone", "missing.svg", "../outside.html", "/etc/passwd", "sub", "../gone.png"])
        #expect(broken.map(\.reason) == [
            "no element with id 'gone'", "no such file", "leads outside the site", "not a relative link inside the site", "no such file",
            "no such file",
        ])
        #expect(broken.last?.page == "sub/page.html")
    }
}
