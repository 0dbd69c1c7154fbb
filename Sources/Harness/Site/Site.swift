import Foundation
import Ink

/// The static site of one or more runs (`tnbench publish DIR… --out SITE`): what a reader
/// browses instead of Markdown, with nothing fetched at view time (no server, no network, no
/// script from elsewhere; the stylesheet is written beside the pages).
///
/// ```
/// SITE/index.html                     every paper claim: the paper, the committed paper tier, each run's implementations
/// SITE/suites/<Suite>.html            per suite: the paper and its summary, then each run's part of the report
/// SITE/runs/<run>/figures/<Suite>/    each run's figures (SVG with mouse-over values, PNG, PDF, data, scripts)
/// SITE/style.css
/// ```
///
/// A suite page shows, for each run, the same part a run's `REPORT.md` shows
/// (``Report/suiteSection(_:suite:figures:relativeTo:)``: claims, findings, implementations side
/// by side, figures, every metric with its interval, time and work), turned into HTML by Ink,
/// then the jobs that failed or diverged with their messages and the run's provenance. Every page
/// ends with the provenance of the runs it shows.
public enum Site {
    /// One published run: its comparison (verdicts against the paper and its reference) and its
    /// figures, already rendered under `SITE/runs/<slug>/figures/`.
    public struct Run: Sendable {
        /// The run's name in the site: unique, safe in a path and an HTML id.
        public var slug: String
        public var comparison: Comparison
        public var figures: [RenderedFigure]

        public init(slug: String, comparison: Comparison, figures: [RenderedFigure]) {
            self.slug = slug
            self.comparison = comparison
            self.figures = figures
        }

        public var results: ResultSet { comparison.results }
    }

    /// Where a run's figures go in a site.
    public static func figureDirectory(site: String, slug: String) -> String { "\(site)/runs/\(slug)/figures" }

    /// Slugs for run names: letters, digits, `-`, `_` and `.` kept, anything else `-`; a name
    /// seen before gets `-2`, `-3`…
    public static func slugs(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return names.map { name in
            var slug = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
            if slug.isEmpty || slug.allSatisfy({ $0 == "." }) { slug = "run" }
            seen[slug, default: 0] += 1
            return seen[slug]! == 1 ? slug : "\(slug)-\(seen[slug]!)"
        }
    }

    /// Writes the site's pages and stylesheet into `site` (the figures are already there).
    /// Returns the pages written, front page first.
    ///
    /// - Parameters:
    ///   - suites: the registered suites, in the order the front page lists them.
    ///   - baselines: the `Baselines/` directory (the papers' points, the committed references).
    /// - Throws: ``HarnessError`` `.malformedBaseline` for a bad paper or reference file,
    ///   `.unwritableOutput` when a page cannot be written.
    ///   - history: speed over commits, per tier (``speedHistory(store:suites:site:)``).
    ///   - abs: A/B directories (``abResult(_:suites:)``).
    @discardableResult
    public static func write(
        runs: [Run], suites: [any Suite], baselines: String, history: [SpeedHistory] = [], abs: [ABResult] = [], to site: String
    ) throws -> [String] {
        var standings: [String: PaperStanding] = [:]
        var ciTier: [String: CommittedCI] = [:]
        for suite in suites {
            standings[suite.name] = try PaperStanding.load(suite: suite.name, metrics: suite.metrics, from: baselines)
            let names = suite.metrics.map(\.name)
            if let reference = try ReferenceBaselines.load(suite: suite.name, tier: .ci, from: baselines, metrics: names),
                let paper = try PaperBaselines.load(suite: suite.name, from: baselines, metrics: names)
            {
                ciTier[suite.name] = CommittedCI(reference: reference, paper: paper)
            }
        }
        let shown = suites.filter { suite in standings[suite.name] != nil || runs.contains { $0.results.suites.contains(suite.name) } }
        let speed = !history.isEmpty || !abs.isEmpty
        let layout = Layout(suites: shown, hasSpeed: speed)
        var pages: [(path: String, html: String)] = []
        pages.append(("index.html", frontPage(runs: runs, layout: layout, standings: standings, ciTier: ciTier)))
        for suite in shown {
            pages.append(("suites/\(suite.name).html", suitePage(suite, runs: runs, standing: standings[suite.name], layout: layout, site: site)))
        }
        if speed {
            pages.append(("speed/index.html", speedPage(history: history, abs: abs, suites: suites, layout: layout, runs: runs, site: site)))
        }
        do {
            try FileManager.default.createDirectory(atPath: site + "/suites", withIntermediateDirectories: true)
            if speed { try FileManager.default.createDirectory(atPath: site + "/speed", withIntermediateDirectories: true) }
            try atomicWrite(site + "/style.css", bytes: Array(stylesheet.utf8))
            try atomicWrite(site + "/favicon.svg", bytes: Array(favicon.utf8))
            for page in pages { try atomicWrite("\(site)/\(page.path)", bytes: Array(page.html.utf8)) }
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write the site '\(site)': \(error.localizedDescription)")
        }
        return pages.map { "\(site)/\($0.path)" }
    }

    // MARK: Pages

    /// What every page's navigation links to.
    struct Layout {
        var suites: [any Suite]
        var hasSpeed: Bool
    }

    /// A suite's committed ci-tier reference, with the paper points that say which of its
    /// configurations a claim judges.
    struct CommittedCI {
        var reference: ReferenceBaselines
        var paper: PaperBaselines

        /// The ci tier's numbers for a claim: its own configuration's, else those of the ci
        /// configurations the same paper point judges (as the README's table shows them).
        func cell(_ claim: PaperStanding.Claim) -> String {
            let metric = claim.point.metric
            if let values = reference.values(for: metric, claim.configuration) { return escape(PaperStanding.Claim.summary(values)) }
            let judged = Array(Set(reference.entries.map(\.configuration))).sorted(by: Configuration.inReadingOrder)
                .filter { $0[ImplementationManifest.configurationKey] == nil && paper.point(for: metric, $0) == claim.point }
                .compactMap { configuration in reference.values(for: metric, configuration).map { (configuration, $0) } }
            guard !judged.isEmpty else { return "—" }
            var lines = judged.prefix(4).map { "\(escape($0.0.shortName)): \(escape(PaperStanding.Claim.summary($0.1)))" }
            if judged.count > 4 { lines.append("and \(judged.count - 4) more configurations") }
            return lines.joined(separator: "<br>")
        }
    }

    /// The front page: the runs, then one row per paper claim — the paper's value, the committed
    /// paper-tier result and its verdict, each run's implementations — and the suites.
    static func frontPage(runs: [Run], layout: Layout, standings: [String: PaperStanding], ciTier: [String: CommittedCI]) -> String {
        let suites = layout.suites
        var body = "<h1>TNBench results</h1>\n"
        body += "<p>Every paper claim of every suite: the paper's number, ours at the paper tier (the committed reference, "
        body += "<code>Baselines/reference/paper/</code>) with its verdict, and what each published run's implementations measured on the "
        body += "claim's configuration. A run at another tier than the paper's cannot judge the claim; its number stands beside it.</p>\n"
        body += runsTable(runs)
        body += "<h2 id=\"claims\">Paper claims</h2>\n<table class=\"claims\">\n<thead><tr><th>suite</th><th>configuration</th><th>metric</th>"
        body += "<th>paper</th><th>paper tier (committed)</th><th>verdict</th><th>ci tier (committed)</th>"
        for run in runs { body += "<th>\(escape(run.results.name)) (\(run.results.tier.rawValue))</th>" }
        body += "</tr></thead>\n<tbody>\n"
        for suite in suites {
            guard let standing = standings[suite.name] else { continue }
            for claim in standing.claims {
                let point = claim.point
                let margin = point.margin.map { " ± \(formatNumber($0))" } ?? ""
                body += "<tr><td><a href=\"suites/\(suite.name).html\">\(escape(suite.name))</a></td>"
                body += "<td>\(escape(claim.configuration.name.replacingOccurrences(of: ",", with: ", ")))</td><td>\(escape(claim.metric.name))</td>"
                body += "<td>\(escape(formatNumber(point.value) + margin)) <span class=\"confidence\">(\(escape(point.confidence.rawValue)))</span></td>"
                body += "<td>\(escape(claim.summary))</td><td>\(verdictBadge(claim.verdict?.label ?? "not run"))</td>"
                body += "<td>\(ciTier[suite.name]?.cell(claim) ?? "—")</td>"
                for run in runs { body += "<td>\(runCell(run, suite: suite.name, claim: claim))</td>" }
                body += "</tr>\n"
            }
        }
        body += "</tbody>\n</table>\n"
        body += "<h2 id=\"suites\">Suites</h2>\n<table>\n<thead><tr><th>suite</th><th>paper</th><th>at the paper tier (committed)</th><th>runs</th></tr></thead>\n<tbody>\n"
        for suite in suites {
            let standing = standings[suite.name].map { s in s.counts + (s.recorded.map { " (\($0))" } ?? "") } ?? "no paper points"
            let inRuns = runs.filter { $0.results.suites.contains(suite.name) }.map { escape($0.results.name) }
            body += "<tr><td><a href=\"suites/\(suite.name).html\">\(escape(suite.name))</a></td><td>\(paperLine(suite.paper))</td>"
            body += "<td>\(escape(standing))</td><td>\(inRuns.isEmpty ? "—" : inRuns.joined(separator: ", "))</td></tr>\n"
        }
        body += "</tbody>\n</table>\n"
        return page(title: "TNBench results", body: body, root: ".", layout: layout, runs: runs)
    }

    /// A suite's page: the paper and the suite's summary, where the paper stands, then each run's
    /// part of its report, failed jobs and provenance.
    static func suitePage(_ suite: any Suite, runs: [Run], standing: PaperStanding?, layout: Layout, site: String) -> String {
        var body = "<h1>\(escape(suite.name))</h1>\n<p class=\"paper\">\(paperLine(suite.paper))</p>\n"
        body += "<p>\(escape(suite.summary))</p>\n"
        if let documentation = docComment(suite: suite.name, sourceRoot: ImplementationCatalogue.default.root) {
            body += "<details class=\"documentation\"><summary>From the paper to the code: what the suite implements, and every choice "
            body += "the paper leaves open with the value taken (the suite's doc comment)</summary>\n"
            body += html(fromMarkdown: documentation, onlyWebLinks: true) + "</details>\n"
        }
        if let standing {
            body += "<p>At the paper tier (committed): <strong>\(escape(standing.counts))</strong>"
            body += standing.recorded.map { " — \(escape($0))" } ?? ""
            body += ".</p>\n"
        }
        let mine = runs.filter { $0.results.suites.contains(suite.name) }
        if mine.isEmpty { body += "<p>None of the published runs holds this suite.</p>\n" }
        for run in mine {
            let results = run.results
            body += "<section id=\"run-\(run.slug)\">\n<h2>\(escape(results.name)) — \(results.tier.rawValue) tier</h2>\n"
            let markdown = Report.suiteSection(run.comparison, suite: suite.name, figures: run.figures, relativeTo: site + "/suites")
            body += html(fromMarkdown: markdown, pageDirectory: site + "/suites")
            let unsuccessful = run.comparison.unsuccessful.filter { $0.job.suite == suite.name }
            if !unsuccessful.isEmpty {
                body += "<h3>Failed and diverged jobs</h3>\n<ul class=\"failures\">\n"
                for record in unsuccessful {
                    body += "<li><strong>\(escape(record.status.rawValue))</strong>: \(escape(record.job.description)): \(escape(record.message))</li>\n"
                }
                body += "</ul>\n"
            }
            body += "<details><summary>Provenance of \(escape(results.name))</summary>\n"
            body += html(fromMarkdown: Report.provenance(results)) + "</details>\n</section>\n"
        }
        return page(title: "\(suite.name) — TNBench", body: body, root: "..", layout: layout, runs: mine)
    }

    /// The first doc comment of `Suites/<suite>/<suite>.swift` under `sourceRoot` as Markdown
    /// (DocC's double-backtick symbol links as code); nil when the source is not there.
    static func docComment(suite: String, sourceRoot: String) -> String? {
        guard let text = try? String(contentsOfFile: "\(sourceRoot)/Suites/\(suite)/\(suite).swift", encoding: .utf8) else { return nil }
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("///") {
                lines.append(String(trimmed.dropFirst(3).dropFirst(trimmed.dropFirst(3).hasPrefix(" ") ? 1 : 0)))
            } else if !lines.isEmpty {
                break
            }
        }
        guard !lines.isEmpty else { return nil }
        return lines.joined(separator: "\n").replacingOccurrences(of: "``", with: "`") + "\n"
    }

    /// The runs: name, tier, jobs, builds, machines, dates.
    static func runsTable(_ runs: [Run]) -> String {
        guard !runs.isEmpty else { return "<p>No run published.</p>\n" }
        var html = "<h2 id=\"runs\">Runs</h2>\n<table>\n<thead><tr><th>run</th><th>tier</th><th>jobs</th><th>builds</th><th>machines</th><th>first start – last end</th></tr></thead>\n<tbody>\n"
        for run in runs {
            let records = run.results.records
            let completed = records.filter { $0.status == .completed }.count
            let builds = Set(records.map { String($0.provenance.gitCommit.prefix(7)) + ($0.provenance.gitDirty == true ? "+dirty" : "") }).sorted()
            let machines = Set(records.map { "\($0.provenance.hostName) (\($0.provenance.cpuModel))" }).sorted()
            let starts = records.map(\.startTime).filter { !$0.isEmpty }.sorted()
            let ends = records.map(\.endTime).filter { !$0.isEmpty }.sorted()
            html += "<tr><td>\(escape(run.results.name))</td><td>\(run.results.tier.rawValue)</td>"
            html += "<td>\(records.count) (\(completed) completed)</td><td>\(escape(builds.joined(separator: ", ")))</td>"
            html += "<td>\(escape(machines.joined(separator: "; ")))</td><td>\(escape(starts.first ?? "—")) – \(escape(ends.last ?? "—"))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// A run's numbers for a claim: each implementation's mean ± σ (n) on the claim's
    /// configuration; where the run has no such configuration (another tier's grid), native's
    /// rows that the same paper point judges.
    static func runCell(_ run: Run, suite: String, claim: PaperStanding.Claim) -> String {
        let rows = run.comparison.rows.filter { $0.suite == suite && $0.metric.name == claim.point.metric && $0.n > 0 }
        let key = ImplementationManifest.configurationKey
        var lines: [String] = []
        for row in rows {
            var bare = row.configuration
            bare[key] = nil
            guard bare == claim.configuration else { continue }
            let implementation = row.configuration[key]?.description ?? ImplementationManifest.native
            lines.append("\(escape(implementation)) \(escape(PaperStanding.Claim.summary(row.values)))" + verdictSuffix(row.paperVerdict))
        }
        if lines.isEmpty {
            let judged = rows.filter { $0.configuration[key] == nil && $0.paperPoint == claim.point }
                .sorted { Configuration.inReadingOrder($0.configuration, $1.configuration) }
            for row in judged.prefix(4) {
                lines.append("\(escape(row.configuration.shortName)): \(escape(PaperStanding.Claim.summary(row.values)))" + verdictSuffix(row.paperVerdict))
            }
            if judged.count > 4 { lines.append("and \(judged.count - 4) more configurations") }
        }
        return lines.isEmpty ? "—" : lines.joined(separator: "<br>")
    }

    static func verdictSuffix(_ verdict: PaperVerdict?) -> String {
        guard let verdict, verdict != .notComparable else { return "" }
        return " " + verdictBadge(verdict.label)
    }

    static func verdictBadge(_ label: String) -> String {
        let kind = String(label.map { $0.isLetter ? $0 : "-" })
        return "<span class=\"verdict \(kind)\">\(escape(label))</span>"
    }

    static func paperLine(_ paper: PaperReference) -> String {
        var line = "\(escape(paper.authors)) (\(paper.year)), <em>\(escape(paper.title))</em>"
        if let arxiv = paper.arxiv { line += ", <a href=\"https://arxiv.org/abs/\(escape(arxiv))\">arXiv:\(escape(arxiv))</a>" }
        return line
    }

    /// A page: the navigation (front page, every suite), the body, and the provenance of `runs`
    /// in the footer. `root` is the site's root relative to the page.
    static func page(title: String, body: String, root: String, layout: Layout, runs: [Run]) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(escape(title))</title>\n<link rel=\"stylesheet\" href=\"\(root)/style.css\">\n"
        html += "<link rel=\"icon\" type=\"image/svg+xml\" href=\"\(root)/favicon.svg\">\n</head>\n<body>\n"
        html += "<nav><a href=\"\(root)/index.html\">TNBench</a>"
        for suite in layout.suites { html += " · <a href=\"\(root)/suites/\(suite.name).html\">\(escape(suite.name))</a>" }
        if layout.hasSpeed { html += " · <a href=\"\(root)/speed/index.html\">Speed</a>" }
        html += "</nav>\n<main>\n\(body)</main>\n<footer>\n"
        for run in runs {
            let records = run.results.records
            let p = records.first?.provenance ?? run.results.provenance
            let builds = Set(records.map(\.provenance.buildID)).sorted()
            let hosts = Set(records.map { "\($0.provenance.hostName), \($0.provenance.cpuModel)" }).sorted()
            html += "<p><strong>\(escape(run.results.name))</strong> (\(run.results.tier.rawValue) tier, created \(escape(run.results.created))): "
            html += "builds \(escape(builds.joined(separator: ", "))); hosts \(escape(hosts.joined(separator: "; "))); "
            html += "\(escape(p.swiftVersion)); \(escape(p.blasConfiguration)), \(p.blasThreads) BLAS thread(s) per job.</p>\n"
        }
        html += "<p>Generated by <code>tnbench publish</code>.</p>\n</footer>\n</body>\n</html>\n"
        return html
    }

    // MARK: HTML

    /// Markdown (a report's part) as HTML, by Ink; each figure's PNG becomes its SVG (mouse-over
    /// values) in an `<object>`, its title the fallback. Ink leaves the Markdown inside an HTML block as it
    /// is, so each `<details>` block's content is converted on its own.
    /// With `onlyWebLinks` (a doc comment), a link to anything but an `http(s)` address stays
    /// its text: the site does not have the source tree's files.
    /// With `pageDirectory` (where the page is written), a figure whose SVG is not there stays
    /// its PNG (`tnbench publish` keeps the PNG of a figure whose SVG is too large).
    static func html(fromMarkdown markdown: String, onlyWebLinks: Bool = false, pageDirectory: String? = nil) -> String {
        var html = ""
        var rest = Substring(markdown)
        while let open = rest.range(of: "<details>"),
            let summaryEnd = rest.range(of: "</summary>", range: open.upperBound..<rest.endIndex),
            let close = rest.range(of: "</details>", range: summaryEnd.upperBound..<rest.endIndex)
        {
            html += inkHTML(String(rest[..<open.lowerBound]), onlyWebLinks: onlyWebLinks, pageDirectory: pageDirectory)
            html += String(rest[open.lowerBound..<summaryEnd.upperBound]) + "\n"
            html += inkHTML(String(rest[summaryEnd.upperBound..<close.lowerBound]), onlyWebLinks: onlyWebLinks, pageDirectory: pageDirectory) + "</details>\n"
            rest = rest[close.upperBound...]
        }
        return html + inkHTML(String(rest), onlyWebLinks: onlyWebLinks, pageDirectory: pageDirectory)
    }

    static func inkHTML(_ markdown: String, onlyWebLinks: Bool, pageDirectory: String?) -> String {
        guard !markdown.allSatisfy(\.isWhitespace) else { return "" }
        var parser = MarkdownParser()
        if onlyWebLinks {
            parser.addModifier(Modifier(target: .links) { html, markdown in
                guard let open = markdown.range(of: "](", options: .backwards) else { return html }
                let target = markdown[open.upperBound...].lowercased()
                return target.hasPrefix("http://") || target.hasPrefix("https://") ? html : escape(String(markdown))
            })
        }
        parser.addModifier(Modifier(target: .images) { html, markdown in
            // ![title](source): the title may hold brackets and parentheses of its own.
            guard let open = markdown.range(of: "](", options: .backwards), let close = markdown.lastIndex(of: ")"),
                open.upperBound <= close
            else { return html }
            let source = String(markdown[open.upperBound..<close])
            guard source.hasSuffix(".png") else { return html }
            let svg = String(source.dropLast(4)) + ".svg"
            if let pageDirectory, !FileManager.default.fileExists(atPath: ("\(pageDirectory)/\(svg)" as NSString).standardizingPath) { return html }
            // The object's fallback is the figure's title: the site keeps the SVG only.
            let title = markdown.hasPrefix("![") ? String(markdown[markdown.index(markdown.startIndex, offsetBy: 2)..<open.lowerBound]) : ""
            return "<object type=\"image/svg+xml\" data=\"\(escape(svg))\" class=\"figure\">\(escape(title))</object>"
        })
        return parser.html(from: markdown) + "\n"
    }

    /// Text made safe inside HTML elements and double-quoted attributes.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A chain of four tensors: the site's icon (written beside the pages, so that no browser asks
    /// the server for a missing favicon.ico).
    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M4 16h24" stroke="#24292f" stroke-width="2"/>\
        <g fill="#1f77b4"><circle cx="5" cy="16" r="4"/><circle cx="12" cy="16" r="4"/><circle cx="20" cy="16" r="4"/>\
        <circle cx="27" cy="16" r="4"/></g></svg>

        """

    static let stylesheet = """
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
        nav { background: #24292f; padding: 0.6em 1.5em; font-size: 0.95em; }
        nav a { color: #f0f0f0; text-decoration: none; }
        nav a:hover { text-decoration: underline; }
        main { padding: 1em 1.5em; max-width: 110em; }
        footer { padding: 0.5em 1.5em 2em; color: #555; font-size: 0.85em; border-top: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 0.8em 0 1.2em; font-size: 0.9em; }
        th, td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; position: sticky; top: 0; }
        tbody tr:nth-child(even) { background: #fafbfc; }
        code { background: #f3f3f3; padding: 0 0.2em; border-radius: 3px; }
        .verdict { font-weight: 600; padding: 0 0.35em; border-radius: 3px; white-space: nowrap; }
        .verdict.reproduced { background: #dafbe1; color: #116329; }
        .verdict.differs { background: #ffebe9; color: #a40e26; }
        .verdict.inconclusive { background: #fff8c5; color: #7d4e00; }
        .verdict.not-run { color: #6e7781; font-weight: normal; }
        .confidence { color: #6e7781; font-size: 0.9em; }
        table.claims td:nth-child(2) { min-width: 12em; }
        table.claims td:nth-child(n+4) { white-space: nowrap; }
        object.figure { display: block; width: 100%; max-width: 1000px; margin: 0.5em 0; }
        object.figure img, img { max-width: 100%; }
        details { margin: 0.6em 0; }
        summary { cursor: pointer; font-weight: 600; }
        section { border-top: 2px solid #d0d7de; margin-top: 1.5em; }
        .failures li { color: #a40e26; }
        tr.regressed td { background: #ffebe9; }

        """
}
