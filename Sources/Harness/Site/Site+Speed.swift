import Foundation

extension Site {
    /// Speed over commits: one tier of a results history store (``RevisionHistory``), its runs
    /// and the figures drawn from them into the site.
    public struct SpeedHistory: Sendable {
        public var tier: Tier
        public var entries: [RevisionHistory.Entry]
        public var runs: [ResultSet]
        public var figures: [RenderedFigure]
    }

    /// One `tnbench ab` directory: its two runs judged as the A/B judged them (with the load it
    /// measured on the machine).
    public struct ABResult: Sendable {
        public var name: String
        public var comparison: RevisionComparison
    }

    /// Reads every tier of a history store and draws its figures under `SITE/speed/<tier>/figures`.
    ///
    /// - Throws: ``HarnessError`` when a stored run cannot be read or a figure written.
    public static func speedHistory(store: String, suites: [any Suite], site: String) throws -> [SpeedHistory] {
        let history = RevisionHistory(store)
        return try Tier.allCases.compactMap { tier -> SpeedHistory? in
            let entries = history.entries(tier: tier)
            guard !entries.isEmpty else { return nil }
            let runs = try entries.map { try ResultSet.read($0.results) }
            let figures = try history.render(tier: tier, suites: suites, to: "\(site)/speed/\(tier.rawValue)/figures")
            return SpeedHistory(tier: tier, entries: entries, runs: runs, figures: figures)
        }
    }

    /// Reads an A/B directory (`<dir>/base`, `<dir>/head`, `<dir>/load.json`).
    ///
    /// - Throws: ``HarnessError`` `.invalidResults` when it is not one, or its runs cannot be read.
    public static func abResult(_ directory: String, suites: [any Suite]) throws -> ABResult {
        guard FileManager.default.fileExists(atPath: directory + "/base"), FileManager.default.fileExists(atPath: directory + "/head") else {
            throw HarnessError(.invalidResults, "'\(directory)' is not a `tnbench ab` directory (it has no base/ and head/)")
        }
        let base = try ResultDirectory(directory + "/base").loadResults()
        let head = try ResultDirectory(directory + "/head").loadResults()
        let loads = FileManager.default.contents(atPath: directory + "/load.json").flatMap { try? JSONDecoder().decode([JobLoad].self, from: $0) }
        let name = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        return ABResult(name: name, comparison: RevisionComparison(base: base, head: head, suites: suites, load: loads.map { LoadAssessment(jobs: $0) }))
    }

    /// The speed page: each A/B with its verdicts (regressions first and marked), then each tier's
    /// speed over the stored commits with the changes between consecutive stored runs.
    static func speedPage(history: [SpeedHistory], abs: [ABResult], suites: [any Suite], layout: Layout, runs: [Run], site: String) -> String {
        var body = "<h1>Speed</h1>\n"
        body += "<p>A same-machine A/B (<code>tnbench ab</code>) runs the same jobs with two builds, interleaved, and judges speed from the "
        body += "per-step samples: it decides. The history store keeps every benchmarked build's run; consecutive stored runs were not "
        body += "interleaved, so their changes below are leads to check with an A/B, not verdicts.</p>\n"
        if abs.isEmpty && history.isEmpty { body += "<p>No A/B and no history store was published.</p>\n" }
        for ab in abs {
            let comparison = ab.comparison
            let base = comparison.base.records.first?.provenance.buildID ?? "?"
            let head = comparison.head.records.first?.provenance.buildID ?? "?"
            body += "<h2 id=\"ab-\(slugs([ab.name])[0])\">A/B \(escape(ab.name)): \(escape(base)) → \(escape(head))</h2>\n"
            if let load = comparison.load, load.isLoaded {
                body += "<p>The machine was loaded by other work (\(escape(load.summary))): speed verdicts are undecided.</p>\n"
            }
            body += revisionRows(comparison.rows)
        }
        for tier in history {
            body += "<h2 id=\"history-\(tier.tier.rawValue)\">Over commits — \(tier.tier.rawValue) tier</h2>\n"
            body += "<table>\n<thead><tr><th>#</th><th>build</th><th>committed</th><th>subject</th></tr></thead>\n<tbody>\n"
            for (index, entry) in tier.entries.enumerated() {
                body += "<tr><td>\(index)</td><td>\(escape(entry.build))</td><td>\(escape(entry.revision.committed))</td><td>\(escape(entry.revision.subject))</td></tr>\n"
            }
            body += "</tbody>\n</table>\n"
            var changes: [(String, RevisionComparison.Row)] = []
            for index in tier.runs.indices.dropFirst() {
                let comparison = RevisionComparison(base: tier.runs[index - 1], head: tier.runs[index], suites: suites)
                for row in comparison.rows where row.verdict == .regressed || row.verdict == .improved {
                    changes.append(("\(index - 1) → \(index)", row))
                }
            }
            if changes.isEmpty {
                body += "<p>No change beyond the thresholds between consecutive stored runs.</p>\n"
            } else {
                body += "<h3>Changes between consecutive stored runs</h3>\n"
                body += revisionRows(changes.map(\.1), steps: changes.map(\.0))
            }
            for figure in tier.figures {
                let relative = "speed/\(tier.tier.rawValue)/figures/\(figure.suite)/\(figure.id)"
                if figure.rendered {
                    body += "<object type=\"image/svg+xml\" data=\"../\(escape(relative)).svg\" class=\"figure\">\(escape(figure.title))</object>\n"
                } else {
                    body += "<p>\(escape(figure.title)): not rendered (<a href=\"../\(escape(relative)).dat\">data</a>, "
                    body += "<a href=\"../\(escape(relative)).gp\">script</a>)</p>\n"
                }
            }
        }
        return page(title: "Speed — TNBench", body: body, root: "..", layout: layout, runs: runs)
    }

    /// The rows of a revision comparison: regressions first (marked), then improvements, then the rest.
    static func revisionRows(_ rows: [RevisionComparison.Row], steps: [String]? = nil) -> String {
        let order: [RevisionComparison.Verdict?] = [.regressed, .improved, .changed, .undecided, .ok, nil]
        let sorted = rows.indices.sorted { a, b in
            let (ra, rb) = (order.firstIndex(of: rows[a].verdict) ?? order.count, order.firstIndex(of: rows[b].verdict) ?? order.count)
            return ra != rb ? ra < rb : a < b
        }
        var html = "<table class=\"revisions\">\n<thead><tr>" + (steps == nil ? "" : "<th>runs</th>")
        html += "<th>suite</th><th>configuration</th><th>metric</th><th>base</th><th>head</th><th>head / base [99% CI]</th><th>verdict</th><th>why</th></tr></thead>\n<tbody>\n"
        for index in sorted {
            let row = rows[index]
            let ratio = row.speed.map { speed in
                formatNumber(speed.ratio) + (speed.interval.map { " [\(formatNumber($0.low)), \(formatNumber($0.high))]" } ?? "")
            } ?? "—"
            let verdict = row.verdict?.rawValue ?? "—"
            html += "<tr class=\"\(row.verdict == .regressed ? "regressed" : "")\">" + (steps.map { "<td>\(escape($0[index]))</td>" } ?? "")
            html += "<td>\(escape(row.suite))</td><td>\(escape(row.configuration.name))</td><td>\(escape(row.metric.name))</td>"
            html += "<td>\(escape(PaperStanding.Claim.summary(row.base)))</td><td>\(escape(PaperStanding.Claim.summary(row.head)))</td>"
            html += "<td>\(escape(ratio))</td><td>\(row.verdict == .regressed ? "<strong>regressed</strong>" : escape(verdict))</td><td>\(escape(row.reason))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }
}
