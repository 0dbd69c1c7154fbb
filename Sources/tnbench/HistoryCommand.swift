import ArgumentParser
import Foundation
import Harness

/// `tnbench history`: the results store keyed by build, and speed over commits.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Keep runs by commit and draw every speed metric over commits.",
        discussion: """
            The store (default results/history) holds <tier>/<build id>/results.h5 and revision.json. \
            `tnbench ab` adds both of its runs; `tnbench history add DIR` adds any run directory \
            (`ci/bench.sh` adds its own). `tnbench history draw` writes one gnuplot figure per suite \
            and speed metric (median of the per-step samples per configuration, 25–75% bars, \
            x = the stored builds in commit order) and <out>/HISTORY.md.

            \(exitStatusHelp([.ok, .io]))
            """,
        subcommands: [Add.self, Draw.self], defaultSubcommand: Draw.self)

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a run directory's results to the store, keyed by its build.")
        @Argument(help: "A run directory (the --out of `tnbench run`).") var directory: String
        @Option(help: "The history store.") var store = "results/history"

        func run() throws {
            let run = ResultDirectory(directory)
            let commit = try run.loadResults().records.first?.provenance.gitCommit ?? "unknown"
            let revision = try? RevisionBuilds().resolve(commit)
            let build = try RevisionHistory(store).add(run, revision: revision)
            print("\(store): added \(directory) as build \(build)")
        }
    }

    struct Draw: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draw every speed metric over the stored commits of a tier.")
        @Option(help: "The history store.") var store = "results/history"
        @Option(help: "The tier.") var tier: Tier = .ci
        @Option(help: "Where the figures and HISTORY.md go.") var out = "reports/history"

        func run() throws {
            let history = RevisionHistory(store)
            let entries = history.entries(tier: tier)
            guard !entries.isEmpty else {
                throw HarnessError(.invalidResults, "no \(tier.rawValue)-tier runs in \(store): `tnbench ab` or `tnbench history add DIR` adds them")
            }
            let figures = try history.render(tier: tier, suites: registeredSuites, to: out + "/figures")
            var md = "# Speed over commits (\(tier.rawValue) tier)\n\n| # | build | committed | subject |\n| --- | --- | --- | --- |\n"
            for (index, entry) in entries.enumerated() {
                md += "| \(index) | \(entry.build) | \(entry.revision.committed) | \(entry.revision.subject.replacingOccurrences(of: "|", with: "\\|")) |\n"
            }
            md += "\n"
            for figure in figures {
                let relative = "figures/\(figure.suite)/\(figure.id)"
                md += figure.rendered ? "![\(figure.title)](\(relative).png)\n\n" : "- \(figure.title): [data](\(relative).dat), [script](\(relative).gp)\n"
            }
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try md.write(toFile: out + "/HISTORY.md", atomically: true, encoding: .utf8)
            } catch {
                throw HarnessError(.unwritableOutput, "cannot write '\(out)/HISTORY.md': choose a writable --out")
            }
            print("\(out)/HISTORY.md: \(entries.count) build(s), \(figures.count) figure(s)")
        }
    }
}
