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
            result (mean ± σ, n, verdict) and each run's implementations on the claim's configuration. \
            SITE/suites/<Suite>.html gives the suite's paper and summary, then for each run its part of \
            the report (claims, findings, implementations side by side, figures with mouse-over values, \
            every metric with its interval, time and work), its failed jobs and its provenance. Nothing \
            is fetched when the pages are viewed: open index.html from disk or serve the folder as it is. \
            Every link of the written site is checked; a broken one is an internal error.

            \(exitStatusHelp([.ok, .io, .internalError]))
            """)
    @Argument(help: "Run directories (the --out of `tnbench run`), in the order their columns appear.") var directories: [String]
    @Option(help: "The site's folder (created; pages and figures in it are replaced).") var out = "results/site"
    @OptionGroup var baselines: BaselineOptions

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one run directory") }
    }

    func run() throws {
        let loaded = try directories.map { try ResultDirectory($0).loadResults(allowMixedBuilds: baselines.allowMixedBuilds) }
        let slugs = Site.slugs(loaded.map(\.name))
        var runs: [Site.Run] = []
        var warnings: Set<String> = []
        for (results, slug) in zip(loaded, slugs) {
            let comparison = try Comparison(results: results, suites: registeredSuites, baselines: baselines.directory)
            let renderer = FigureRenderer(outputDirectory: Site.figureDirectory(site: out, slug: slug), baselines: baselines.directory)
            let (figures, warning) = try renderer.render(results: results, suites: registeredSuites)
            if let warning { warnings.insert(warning) }
            runs.append(Site.Run(slug: slug, comparison: comparison, figures: figures))
        }
        for warning in warnings.sorted() { FileHandle.standardError.write(Data("tnbench: warning: \(warning)\n".utf8)) }
        let pages = try Site.write(runs: runs, suites: registeredSuites, baselines: baselines.directory, to: out)
        let broken = Site.brokenLinks(in: out)
        guard broken.isEmpty else {
            throw HarnessError(.internalError, "the site in '\(out)' has \(broken.count) broken link(s); first: \(broken[0])")
        }
        let figures = runs.reduce(0) { $0 + $1.figures.filter(\.rendered).count }
        print("\(out)/index.html: \(pages.count) page(s), \(runs.count) run(s), \(figures) figure(s); every link checked")
    }
}
