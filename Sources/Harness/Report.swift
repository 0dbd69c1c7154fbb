import Foundation

/// The Markdown report of one benchmark run: an overview row per suite; per suite a headline
/// (the paper's numbers beside ours with the verdict, the findings, what moved against the
/// reference) and the figures, then, folded in `<details>`, every metric of every configuration
/// and the time and work per configuration; failed jobs; provenance.
public enum Report {
    /// Writes `<directory>/REPORT.md` (figures are expected under `<directory>/figures/`).
    /// Returns the report's path.
    @discardableResult
    public static func write(_ comparison: Comparison, figures: [RenderedFigure], to directory: String) throws -> String {
        let path = "\(directory)/REPORT.md"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try markdown(comparison, figures: figures, relativeTo: directory).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write report '\(path)': choose a writable --out")
        }
        return path
    }

    /// The hand-kept index of a report directory's second witnesses (runs of other implementations
    /// and of the authors' own choices, each with its own generated report beside it), linked from
    /// the report's first lines when it exists.
    public static let witnessesIndex = "witnesses/README.md"

    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    /// The report's text.
    public static func markdown(_ comparison: Comparison, figures: [RenderedFigure], relativeTo directory: String) -> String {
        let results = comparison.results
        var md = "# TNBench report: \(results.name)\n\n"
        let records = results.records
        let wall = records.reduce(0) { $0 + $1.wallSeconds }
        let starts = records.map(\.startTime).filter { !$0.isEmpty }.sorted()
        let ends = records.map(\.endTime).filter { !$0.isEmpty }.sorted()
        md += "- tier: **\(results.tier.rawValue)**, reference tier: \(comparison.referenceTier.rawValue)\n"
        md += "- jobs: \(records.count) (\(records.filter { $0.status == .completed }.count) completed, "
        md += "\(records.filter { $0.status == .failed }.count) failed, \(records.filter { $0.status == .diverged }.count) diverged)\n"
        md += "- total job time: \(ProgressDisplay.format(wall)) (sum over jobs); first start \(starts.first ?? "-"), last end \(ends.last ?? "-")\n"
        md += "- regressions: \(comparison.regressions.count); exit status of `tnbench compare`: \(comparison.exitStatus.rawValue) (\(comparison.exitStatus))\n"
        if FileManager.default.fileExists(atPath: "\(directory)/\(witnessesIndex)") {
            md += "- second witnesses (other implementations beside native, the authors' own choices): [\(witnessesIndex)](\(witnessesIndex))\n"
        }
        md += "\n"

        md += overview(comparison)
        for suite in results.suites {
            md += "## \(suite)\n\n"
            md += headline(comparison, suite: suite)
            md += implementations(comparison, suite: suite)
            let suiteFigures = figures.filter { $0.suite == suite }
            if !suiteFigures.isEmpty {
                md += "### Figures\n\n"
                for figure in suiteFigures {
                    let relative = relativePath(figure.directory, from: directory)
                    if figure.rendered {
                        md += "![\(figure.title)](\(relative)/\(figure.id).png)\n\n"
                    } else {
                        md += "- \(figure.title): not rendered (data: [\(figure.id).dat](\(relative)/\(figure.id).dat), script: [\(figure.id).gp](\(relative)/\(figure.id).gp))\n"
                    }
                    let links = [("SVG", "svg"), ("PDF", "pdf"), ("data", "dat"), ("script", "gp")]
                        .filter { FileManager.default.fileExists(atPath: "\(figure.directory)/\(figure.id).\($0.1)") }
                        .map { "[\($0.0)](\(relative)/\(figure.id).\($0.1))" }
                    md += "_\(figure.title)_" + (links.isEmpty ? "" : " — " + links.joined(separator: " · ")) + "\n\n"
                }
            }
            let rows = comparison.rows.filter { $0.suite == suite }
            md += "<details><summary>Every metric of every configuration (\(rows.count) rows)</summary>\n\n"
            md += "| configuration | metric | mean ± σ | n | 95% CI | paper (confidence) | paper verdict | reference verdict |\n"
            md += "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
            // Judged metrics first, informational ones (data sizes, epochs, counts) after them.
            for row in rows.filter({ $0.metric.kind != .informational }) + rows.filter({ $0.metric.kind == .informational }) {
                let stats = row.n == 0 ? "—" : (row.n > 1 ? "\(formatNumber(row.mean)) ± \(formatNumber(row.standardDeviation))" : formatNumber(row.mean))
                let ci = row.interval.map { "[\(formatNumber($0.low)), \(formatNumber($0.high))]" } ?? "—"
                let paper = row.paperPoint.map { "\(formatNumber($0.value)) (\($0.confidence.rawValue))" } ?? "—"
                let pv = row.paperVerdict.map { "\($0.label)" } ?? "—"
                let rv = row.referenceVerdict.map { $0 == .regressed ? "**regressed**" : $0.rawValue } ?? "—"
                md += "| \(cell(row.configuration.name)) | \(row.metric.name) | \(stats) | \(row.n) | \(ci) | \(paper) | \(pv) | \(rv) |\n"
            }
            md += "\n</details>\n\n"
            md += "<details><summary>Time and work</summary>\n\n`gflops` is the suite's metric (the counted work of its hot loop per second of that loop, see the "
            md += "metric's description); the last column divides all counted work by all timed seconds, loading and evaluation included.\n\n"
            md += "| configuration | jobs | mean time per job | timed seconds | GFLOP counted | `gflops` (mean) | GFLOP / timed second | peak memory (max) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
            let mine = records.filter { $0.job.suite == suite && $0.status == .completed }
            for configuration in Array(Set(mine.map(\.job.configuration))).sorted(by: Configuration.inReadingOrder) {
                let jobs = mine.filter { $0.job.configuration == configuration }
                let timed = jobs.reduce(0) { $0 + $1.timedSeconds }
                let flops = jobs.reduce(0) { $0 + $1.record.flops }
                let perJob = jobs.reduce(0) { $0 + $1.wallSeconds } / Double(max(jobs.count, 1))
                let rate = timed > 0 && flops > 0 ? formatNumber(flops / timed / 1e9) : "—"
                let suiteRates = jobs.compactMap { $0.record.scalars["gflops"] }.filter(\.isFinite)
                let suiteRate = suiteRates.isEmpty ? "—" : formatNumber(Statistics.mean(suiteRates))
                let peaks = jobs.compactMap(\.peakResidentBytes)
                let peak = peaks.max().map { String(format: "%.2f GiB", $0 / 1_073_741_824) } ?? "—"
                md += "| \(cell(configuration.name)) | \(jobs.count) | \(ProgressDisplay.format(perJob)) | \(formatNumber(timed)) | \(formatNumber(flops / 1e9)) | \(suiteRate) | \(rate) | \(peak) |\n"
            }
            md += "\n</details>\n\n"
        }
        if !comparison.unsuccessful.isEmpty {
            md += "## Failed and diverged jobs\n\n"
            for record in comparison.unsuccessful {
                md += "- \(record.status.rawValue): \(record.job): \(record.message)\n"
            }
            md += "\n"
        }
        if !comparison.missingReference.isEmpty {
            md += "No reference results at tier \(comparison.referenceTier.rawValue) for: \(comparison.missingReference.joined(separator: ", ")) (create them with `tnbench baseline update <run dir>`).\n\n"
        }
        let p = records.first?.provenance ?? results.provenance
        md += "## Provenance\n\n"
        md += "| | |\n| --- | --- |\n"
        md += "| compiler | \(p.swiftVersion), \(p.buildConfiguration) build |\n"
        md += "| BLAS | \(cell(p.blasConfiguration)), \(p.blasThreads) thread(s) per job |\n"
        md += "| run created | \(results.created) |\n"
        md += "\n" + contributors(records)
        md += "\nGenerated by `tnbench report`; the raw records are in `results.h5` of the run directory (schema: docs/RESULTS-SCHEMA.md).\n"
        return md
    }

    /// The side-by-side table of other implementations against `native` (empty when none ran):
    /// quality with the difference's 95% interval and the paper verdict of each, speed as the
    /// time ratio with its 99% interval, peak memory; then the findings on each implementation.
    static func implementations(_ comparison: Comparison, suite: String) -> String {
        let rows = comparison.implementationRows.filter { $0.suite == suite }
        guard !rows.isEmpty else { return "" }
        var md = "### Implementations beside native\n\n"
        md += "The same jobs (configuration, seed, data) run by each implementation, interleaved on one machine. Quality: the "
        md += "difference of means from native (95% Welch interval); speed: the ratio of per-epoch times to native's (99% interval; "
        md += "above 1 is slower); memory: median peak resident memory of the jobs.\n\n"
        md += "| implementation | configuration | metric | mean ± σ (n) | paper verdict | native mean ± σ (n) | native's paper verdict | vs native | peak memory (vs native) |\n"
        md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        func verdict(_ name: String?, _ row: ImplementationRow) -> String {
            var configuration = row.configuration
            configuration[ImplementationManifest.configurationKey] = name.map(ConfigurationValue.string)
            let match = comparison.rows.first { $0.suite == suite && $0.configuration == configuration && $0.metric.name == row.metric.name }
            return match?.paperVerdict?.label ?? "—"
        }
        for row in rows {
            md += "| \(row.implementation) | \(cell(row.configuration.name)) | \(row.metric.name) | \(ImplementationRow.summary(row.values)) | "
            md += "\(verdict(row.implementation, row)) | \(ImplementationRow.summary(row.nativeValues)) | \(verdict(nil, row)) | "
            md += "\(row.versusNative) | \(row.memory) |\n"
        }
        md += "\n"
        for (name, findings) in (comparison.implementationFindings[suite] ?? [:]).sorted(by: { $0.key < $1.key }) where !findings.isEmpty {
            md += "Findings on \(name)'s results:\n\n"
            for finding in findings { md += "- **\(finding.verdict.label)**: \(finding.statement) — \(finding.detail)\n" }
            md += "\n"
        }
        return md
    }

    /// The rows of `suite` run by its own (native) code: configurations without the
    /// ``ImplementationManifest/configurationKey``. The overview and the headline speak for the
    /// suite's own claims; other implementations' verdicts are in ``implementations(_:suite:)``
    /// and the per-row table.
    static func nativeRows(_ comparison: Comparison, suite: String) -> [ComparisonRow] {
        comparison.rows.filter { $0.suite == suite && $0.configuration[ImplementationManifest.configurationKey] == nil }
    }

    /// One row per suite: where its paper claims stand on the committed paper-tier reference
    /// (``PaperStanding``), then how this run's native paper claims, findings and reference
    /// comparisons came out (other implementations are counted in their side-by-side table).
    static func overview(_ comparison: Comparison) -> String {
        var md = "| suite | at the paper tier (committed) | paper claims, this run | findings | against the reference |\n"
        md += "| --- | --- | --- | --- | --- |\n"
        func counts<T: Hashable>(_ items: [T], _ order: [(T, String)]) -> String {
            let parts = order.compactMap { key, label -> String? in
                let n = items.filter { $0 == key }.count
                return n > 0 ? "\(n) \(label)" : nil
            }
            return parts.isEmpty ? "—" : parts.joined(separator: ", ")
        }
        for suite in comparison.results.suites {
            let rows = nativeRows(comparison, suite: suite)
            let standing = comparison.standings[suite].map { s in s.counts + (s.recorded.map { " (\($0))" } ?? "") } ?? "—"
            let paper = counts(rows.compactMap(\.paperVerdict), [
                (.reproduced, "reproduced"), (.differs, "differ"), (.inconclusive, "inconclusive"), (.notComparable, "not comparable at this tier"),
            ])
            let findings = counts((comparison.findings[suite] ?? []).map(\.verdict), [
                (.holds, "hold"), (.fails, "fail"), (.notTestable, "not testable"),
            ])
            let reference = counts(rows.compactMap(\.referenceVerdict), [(.regressed, "**regressed**"), (.improved, "improved"), (.ok, "ok")])
            md += "| [\(suite)](#\(suite.lowercased())) | \(standing) | \(paper) | \(findings) | \(reference) |\n"
        }
        return md + "\n"
    }

    /// One line of a suite's claims table: a paper point, the committed paper-tier result of one
    /// configuration it judges (nil where none), and this run's row of that configuration (nil
    /// where this run has none).
    struct ClaimLine {
        var configuration: Configuration
        var point: PaperPoint
        var metric: Metric
        var committed: PaperStanding.Claim?
        var run: ComparisonRow?
    }

    /// The claims table's lines: every paper-tier claim of the suite with this run's number of the
    /// same configuration beside it, then this run's other rows that a paper point judges.
    static func claimLines(_ comparison: Comparison, suite: String) -> [ClaimLine] {
        let rows = nativeRows(comparison, suite: suite).filter { $0.paperPoint != nil && $0.n > 0 }
        var lines: [ClaimLine] = []
        var shown = Set<Int>()
        for claim in comparison.standings[suite]?.claims ?? [] {
            let matches = rows.indices.filter { index in
                let row = rows[index]
                guard row.metric.name == claim.point.metric, row.paperPoint == claim.point else { return false }
                // A claim without a record stands for its point: every configuration it judges.
                return claim.values.isEmpty || row.configuration == claim.configuration
            }
            if matches.isEmpty {
                lines.append(ClaimLine(configuration: claim.configuration, point: claim.point, metric: claim.metric, committed: claim, run: nil))
            }
            for index in matches {
                shown.insert(index)
                let row = rows[index]
                lines.append(ClaimLine(configuration: row.configuration, point: claim.point, metric: claim.metric, committed: claim, run: row))
            }
        }
        for (index, row) in rows.enumerated() where !shown.contains(index) {
            lines.append(ClaimLine(configuration: row.configuration, point: row.paperPoint!, metric: row.metric, committed: nil, run: row))
        }
        return lines
    }

    /// A suite's headline: each paper claim with the committed paper-tier result and this run's
    /// (native's) number, each with its verdict; the findings; what moved against the reference.
    static func headline(_ comparison: Comparison, suite: String) -> String {
        var md = ""
        let rows = nativeRows(comparison, suite: suite)
        let lines = claimLines(comparison, suite: suite)
        if let coverage = comparison.coverage[suite] {
            md += "This run holds \(coverage.description) at the \(comparison.results.tier.rawValue) tier: a subset; "
            md += "the whole grid is `tnbench plan \(suite) --tier \(comparison.results.tier.rawValue)`.\n\n"
        }
        if !lines.isEmpty {
            let tier = comparison.results.tier.rawValue
            if let standing = comparison.standings[suite] {
                md += standing.reference == nil
                    ? "Paper tier: no committed reference yet (`tnbench run \(suite) --tier paper`, then `tnbench baseline update`).\n\n"
                    : "Paper tier: the committed reference `Baselines/reference/paper/\(suite).json`, \(standing.recorded!).\n\n"
            }
            md += "| configuration | metric | paper | paper tier (committed) | verdict | this run (\(tier)) | verdict |\n"
            md += "| --- | --- | --- | --- | --- | --- | --- |\n"
            for line in lines {
                let point = line.point
                let margin = point.margin.map { " ± \(formatNumber($0))" } ?? ""
                let committed = line.committed.map { $0.summary } ?? "—"
                let committedVerdict = line.committed?.verdict.map { "**\($0.label)**" } ?? "—"
                let ours = line.run.map { PaperStanding.Claim.summary($0.values) } ?? "—"
                let verdict = line.run?.paperVerdict.map { $0 == .notComparable ? "_\($0.label)_" : "**\($0.label)**" } ?? "—"
                md += "| \(cell(line.configuration.name)) | \(line.metric.name) | \(formatNumber(point.value))\(margin) (\(point.confidence.rawValue)) | "
                md += "\(committed) | \(committedVerdict) | \(ours) | \(verdict) |\n"
            }
            md += "\n"
        }
        if let findings = comparison.findings[suite], !findings.isEmpty {
            for finding in findings {
                let mark = switch finding.verdict { case .holds: "✅"; case .fails: "❌"; case .notTestable: "❔" }
                md += "- \(mark) **\(finding.verdict.label)**: \(finding.statement) — \(finding.detail)\n"
            }
            md += "\n"
        }
        let moved = rows.filter { $0.referenceVerdict == .regressed || $0.referenceVerdict == .improved }
        for row in moved {
            md += "- **\(row.referenceVerdict!.rawValue)** against the reference: \(row.configuration.name) \(row.metric.name): \(row.referenceReason)\n"
        }
        let speed = rows.filter { $0.metric.kind == .speed && $0.referenceVerdict != nil }
        if !speed.isEmpty && moved.filter({ $0.metric.kind == .speed }).isEmpty {
            md += "- speed against the reference: \(speed.count) configuration(s) ok\n"
        }
        return md.isEmpty ? "" : md + "\n"
    }

    /// Every build (git commit, dirty flag and diff hash) and every host that made a record, with
    /// their jobs: a run spread over a cluster, or resumed after a rebuild, shows it here.
    static func contributors(_ records: [JobRecord]) -> String {
        var md = ""
        let builds = Dictionary(grouping: records) { $0.provenance.buildID }
        md += "### Builds\n\n| build | git commit | dirty | code hash | jobs |\n| --- | --- | --- | --- | --- |\n"
        for build in builds.keys.sorted() {
            let jobs = builds[build]!
            let p = jobs[0].provenance
            let dirty = p.gitDirty.map { $0 ? "yes" + (p.gitDiffHash.map { " (diff \($0))" } ?? "") : "no" } ?? "unknown"
            md += "| \(build) | \(p.gitCommit) | \(dirty) | \(p.codeHash ?? "—") | \(jobList(jobs)) |\n"
        }
        let codes = Set(records.map(\.provenance.codeID))
        if codes.count > 1 { md += "\n**The records come from builds of \(codes.count) different codes** (merged with `--allow-mixed-builds`).\n" }
        let hosts = Dictionary(grouping: records) { $0.provenance.hostName }
        md += "\n### Hosts\n\n| host | CPU | BLAS threads | jobs |\n| --- | --- | --- | --- |\n"
        for host in hosts.keys.sorted() {
            let jobs = hosts[host]!
            let cpus = Set(jobs.map(\.provenance.cpuModel)).sorted().joined(separator: "; ")
            let threads = Set(jobs.map(\.provenance.blasThreads)).sorted().map(String.init).joined(separator: ", ")
            md += "| \(cell(host)) | \(cell(cpus)) | \(threads) | \(jobList(jobs)) |\n"
        }
        return md
    }

    /// "12" or, for a few jobs, their names.
    static func jobList(_ jobs: [JobRecord]) -> String {
        jobs.count <= 4 ? "\(jobs.count): " + jobs.map { cell($0.job.description) }.joined(separator: "; ") : "\(jobs.count)"
    }

    /// `target` relative to `base` (both made absolute).
    static func relativePath(_ target: String, from base: String) -> String {
        func parts(_ p: String) -> [String] {
            let absolute = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
            return (absolute as NSString).standardizingPath.split(separator: "/").map(String.init)
        }
        let t = parts(target), b = parts(base)
        var common = 0
        while common < min(t.count, b.count) && t[common] == b[common] { common += 1 }
        let up = Array(repeating: "..", count: b.count - common)
        let path = (up + t[common...]).joined(separator: "/")
        return path.isEmpty ? "." : path
    }
}
