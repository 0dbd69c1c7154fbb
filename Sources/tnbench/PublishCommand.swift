import ArgumentParser
import Foundation
import Harness

/// `tnbench publish`: the static site of one or more runs.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Write a static site of runs: every paper claim on the front page, a page per suite, SVG figures.",
        discussion: """
            SITE/index.html gives one row per paper claim: the paper's value, the committed paper-tier \
            result (mean ± σ, n, verdict), the committed ci-tier result, and each run's implementations \
            on the claim's configuration. SITE/suites/<Suite>.html gives the suite's paper and doc \
            comment, then for each run its part of the report (claims, findings, implementations side \
            by side, figures with mouse-over values, every metric with its interval, time and work), its \
            failed jobs and its provenance. With --history and --ab, SITE/speed/index.html gives each \
            A/B's verdicts (regressions first, marked) and each tier's speed over the stored commits. \
            Nothing is fetched when the pages are viewed: open index.html from disk or serve the folder \
            as it is. Every link of the written site is checked; a broken one is an internal error. \
            `tnbench baseline update` publishes the committed paper-tier records into docs/site/.

            \(exitStatusHelp([.ok, .io, .internalError]))
            """)
    @Argument(help: "Run directories (the --out of `tnbench run`), in the order their columns appear.") var directories: [String]
    @Option(help: "The site's folder (created; pages and figures in it are replaced).") var out = "results/site"
    @Option(help: "A results history store (`tnbench history`): speed over commits on the speed page.") var history: String?
    @Option(help: "A `tnbench ab` directory (repeatable): its verdicts on the speed page.") var ab: [String] = []
    @OptionGroup var baselines: BaselineOptions

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one run directory") }
    }

    func run() throws {
        let loaded = try directories.map { try ResultDirectory($0).loadResults(allowMixedBuilds: baselines.allowMixedBuilds) }
        print(try publishSite(loaded, to: out, baselines: baselines.directory, history: history, ab: ab))
    }
}

/// The largest SVG figure a site keeps (bytes); a larger one is shown as its PNG.
let siteSVGLimit = 384 * 1024

/// Writes the site of `runs` into `out` (``Site``): each run's figures under
/// `out/runs/<run>/figures` as SVG with mouse-over values, or as PNG where the SVG is over
/// ``siteSVGLimit`` (curves of thousands of points); the other formats gnuplot drew are removed,
/// so that a committed site stays small. Then the pages, every link checked. Returns the line to print.
///
/// - Throws: ``HarnessError`` when a file cannot be read or written, `.internalError` for a
///   broken link in what was written.
func publishSite(_ loaded: [ResultSet], to out: String, baselines: String, history: String? = nil, ab: [String] = []) throws -> String {
    // A/B directories first: a wrong one is reported before minutes of figure drawing.
    let abs = try ab.map { try Site.abResult($0, suites: registeredSuites) }
    let slugs = Site.slugs(loaded.map(\.name))
    var runs: [Site.Run] = []
    var warnings: Set<String> = []
    try? FileManager.default.removeItem(atPath: out + "/runs")
    for (results, slug) in zip(loaded, slugs) {
        let comparison = try Comparison(results: results, suites: registeredSuites, baselines: baselines)
        let renderer = FigureRenderer(outputDirectory: Site.figureDirectory(site: out, slug: slug), baselines: baselines)
        let (figures, warning) = try renderer.render(results: results, suites: registeredSuites)
        if let warning { warnings.insert(warning) }
        for figure in figures {
            // The SVG (mouse-over values) unless it is large (thousands of points per curve): then the PNG.
            let svg = "\(figure.directory)/\(figure.id).svg"
            let size = (try? FileManager.default.attributesOfItem(atPath: svg)[.size] as? Int) ?? nil
            let dropped = size.map { $0 > siteSVGLimit } == true ? ["svg", "pdf"] : ["png", "pdf"]
            for ext in dropped { try? FileManager.default.removeItem(atPath: "\(figure.directory)/\(figure.id).\(ext)") }
        }
        runs.append(Site.Run(slug: slug, comparison: comparison, figures: figures))
    }
    for warning in warnings.sorted() { FileHandle.standardError.write(Data("tnbench: warning: \(warning)\n".utf8)) }
    try? FileManager.default.removeItem(atPath: out + "/speed")
    let speed = try history.map { try Site.speedHistory(store: $0, suites: registeredSuites, site: out) } ?? []
    if let history, speed.isEmpty {
        FileHandle.standardError.write(Data("tnbench: warning: the history store '\(history)' holds no run\n".utf8))
    }
    let pages = try Site.write(runs: runs, suites: registeredSuites, baselines: baselines, history: speed, abs: abs, to: out)
    let broken = Site.brokenLinks(in: out)
    guard broken.isEmpty else {
        throw HarnessError(.internalError, "the site in '\(out)' has \(broken.count) broken link(s); first: \(broken[0])")
    }
    let figures = runs.reduce(0) { $0 + $1.figures.filter(\.rendered).count }
    return "\(out)/index.html: \(pages.count) page(s), \(runs.count) run(s), \(figures) figure(s); every link checked"
}
