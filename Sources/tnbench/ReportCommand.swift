import ArgumentParser
import Foundation
import Harness

/// Where `figures` and `report` write: `--out`, else `reports/<run name>`.
struct ReportOptions: ParsableArguments {
    @Argument(help: "A run directory (the --out of `tnbench run`).") var directory: String
    @Option(help: "The report directory (default: reports/<run directory name>).") var out: String?
    @Option(help: "Draw the reference band of this tier (default: the run's tier).") var tier: Tier?
    @OptionGroup var baselines: BaselineOptions

    func reportDirectory(_ results: ResultSet) -> String { out ?? "reports/\(ResultDirectory(directory).name)" }

    func renderFigures(_ results: ResultSet) throws -> [RenderedFigure] {
        let renderer = FigureRenderer(outputDirectory: reportDirectory(results) + "/figures", baselines: baselines.directory)
        let (figures, warning) = try renderer.render(results: results, suites: registeredSuites, referenceTier: tier)
        if let warning { FileHandle.standardError.write(Data("tnbench: warning: \(warning)\n".utf8)) }
        return figures
    }
}

/// `tnbench figures`: gnuplot figures of a run.
struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Draw a run's figures with gnuplot (PNG, SVG, PDF, plus the .dat and .gp to restyle them).",
        discussion: """
            Writes <out>/figures/<suite>/<id>.{dat,gp,png,svg,pdf}. Without gnuplot only .dat and .gp are written.

            \(exitStatusHelp([.ok, .io]))
            """)
    @OptionGroup var options: ReportOptions

    func run() throws {
        let results = try ResultDirectory(options.directory).loadResults(allowMixedBuilds: options.baselines.allowMixedBuilds)
        let figures = try options.renderFigures(results)
        for figure in figures { print("\(figure.directory)/\(figure.id).\(figure.rendered ? "png" : "gp")") }
    }
}

/// `tnbench report`: the Markdown report of a run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write <out>/REPORT.md: verdict tables, findings, figures, time and GFLOP/s, provenance.",
        discussion: """
            Renders the figures too.

            \(exitStatusHelp([.ok, .io], meanings: [.ok: "written, whatever the verdicts (use `compare` to gate CI)"]))
            """)
    @OptionGroup var options: ReportOptions

    func run() throws {
        let results = try ResultDirectory(options.directory).loadResults(allowMixedBuilds: options.baselines.allowMixedBuilds)
        let comparison = try Comparison(
            results: results, suites: registeredSuites, baselines: options.baselines.directory,
            referenceTier: options.tier)
        let figures = try options.renderFigures(results)
        print(try Report.write(comparison, figures: figures, to: options.reportDirectory(results)))
    }
}
