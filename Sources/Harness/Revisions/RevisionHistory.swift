import Foundation

/// The results of every revision that was benchmarked, kept by build, and the picture of each
/// speed metric over commits (asv's `publish`, simpler).
///
/// ```
/// <store>/<tier>/<build id>/results.h5      the run's merged records (a later run of the same build replaces it)
/// <store>/<tier>/<build id>/revision.json   {commit, committed, subject}
/// ```
///
/// `tnbench ab` adds both of its runs; `tnbench history add DIR` adds any run (`ci/bench.sh` adds
/// its own). A build id is the commit, with `+dirty.<hash>` for a build of uncommitted code.
public struct RevisionHistory: Sendable {
    public var path: String

    public init(_ path: String) { self.path = path }

    /// One stored run.
    public struct Entry: Sendable {
        public var build: String
        public var revision: Revision
        public var results: String
    }

    /// Stores a run's merged results under its build id and `revision` (nil: the build's commit,
    /// its date taken from the records when git cannot tell). Returns the build id.
    ///
    /// - Throws: ``HarnessError`` `.invalidResults` when the run holds records of several builds,
    ///   `.unwritableOutput` when the store cannot be written.
    @discardableResult
    public func add(_ run: ResultDirectory, revision: Revision? = nil) throws -> String {
        let results = try run.loadResults()
        let builds = Set(results.records.map(\.provenance.buildID))
        guard builds.count == 1, let build = builds.first, let first = results.records.first else {
            throw HarnessError(.invalidResults, "'\(run.path)' holds records of \(builds.count) builds (\(builds.sorted().joined(separator: ", "))): the history keeps one build per run")
        }
        let known = revision ?? Revision(commit: first.provenance.gitCommit, committed: first.startTime, subject: "")
        let directory = "\(path)/\(results.tier.rawValue)/\(build)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let target = directory + "/results.h5"
            try atomicWrite(target, bytes: try SealedFile.read(run.mergedPath))
            let data = try JSONEncoder.pretty.encode(known)
            try atomicWrite(directory + "/revision.json", bytes: Array(data))
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write the history store '\(directory)': \(error.localizedDescription)")
        }
        return build
    }

    /// The stored runs of a tier, oldest commit first (ties: by build id).
    public func entries(tier: Tier) -> [Entry] {
        let base = "\(path)/\(tier.rawValue)"
        let builds = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return builds.compactMap { build -> Entry? in
            let directory = "\(base)/\(build)"
            guard let data = FileManager.default.contents(atPath: directory + "/revision.json"),
                let revision = try? JSONDecoder().decode(Revision.self, from: data),
                FileManager.default.fileExists(atPath: directory + "/results.h5")
            else { return nil }
            return Entry(build: build, revision: revision, results: directory + "/results.h5")
        }.sorted { ($0.revision.committed, $0.build) < ($1.revision.committed, $1.build) }
    }

    /// Draws every speed metric of every suite over the stored runs of `tier`: one figure per
    /// (suite, metric) in `<output>/<suite>/<metric>_history.{dat,gp,png,svg,pdf}`, x = the runs
    /// in commit order (labelled by commit), one line per configuration: the median of the
    /// per-step samples (the per-seed values when the metric has none) with bars from the
    /// 25th to the 75th percentile.
    ///
    /// - Throws: ``HarnessError`` when a stored file cannot be read or a figure written.
    public func render(tier: Tier, suites: [any Suite], to output: String) throws -> [RenderedFigure] {
        let entries = entries(tier: tier)
        let runs = try entries.map { try ResultSet.read($0.results) }
        var figures: [RenderedFigure] = []
        for suite in suites {
            for metric in suite.metrics where metric.kind == .speed {
                var series: [Configuration: [(x: Int, median: Double, low: Double, high: Double, n: Int)]] = [:]
                for (x, run) in runs.enumerated() {
                    let records = run.records.filter { $0.job.suite == suite.name && $0.status == .completed }
                    for configuration in Set(records.map(\.job.configuration)) {
                        let mine = records.filter { $0.job.configuration == configuration }
                        let samples = mine.compactMap { $0.samples(of: metric) }.joined()
                        let values = (samples.count > 1 ? Array(samples) : mine.compactMap { $0.record.scalars[metric.name] }).filter(\.isFinite).sorted()
                        guard !values.isEmpty else { continue }
                        series[configuration, default: []].append((
                            x, Statistics.quantile(sorted: values, 0.5), Statistics.quantile(sorted: values, 0.25),
                            Statistics.quantile(sorted: values, 0.75), values.count))
                    }
                }
                guard !series.isEmpty else { continue }
                let directory = "\(output)/\(suite.name)"
                let id = "\(metric.name)_history"
                let title = "\(suite.name): \(metric.name) over commits (\(tier.rawValue) tier)"
                var dat = "# \(title)\n# x median p25 p75 samples, one block per configuration\n"
                var plots: [String] = []
                let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
                for (block, configuration) in series.keys.sorted(by: Configuration.inReadingOrder).enumerated() {
                    if block > 0 { dat += "\n\n" }
                    dat += "# block \(block): \(configuration.name)\n"
                    for point in series[configuration]! { dat += "\(point.x) \(point.median) \(point.low) \(point.high) \(point.n)\n" }
                    let color = FigureRenderer.quote(colors[block % colors.count])
                    plots.append("\(FigureRenderer.quote(id + ".dat")) index \(block) using 1:2:3:4 with yerrorlines lw 2 pt 7 lc rgb \(color) title \(FigureRenderer.text(configuration.shortName))")
                }
                let tics = entries.enumerated().map { "\(FigureRenderer.quote($0.element.build.prefix(10) + ($0.element.build.contains("+dirty") ? "+" : ""))) \($0.offset)" }
                let body = """
                    set title \(FigureRenderer.text(title))
                    set xlabel "commit (oldest first)" offset 0,-1
                    set ylabel \(FigureRenderer.text("\(metric.name) (\(metric.unit)): median, 25–75%"))
                    set grid
                    set key outside right top vertical box width 1
                    set xrange [-0.5:\(Double(max(entries.count, 1)) - 0.5)]
                    set xtics rotate by -35 (\(tics.joined(separator: ", ")))
                    plot \(plots.joined(separator: ", "))

                    """
                figures.append(try FigureRenderer.write(
                    suite: suite.name, id: id, title: title, directory: directory, dat: dat, body: body, hasData: true))
            }
        }
        return figures
    }
}
