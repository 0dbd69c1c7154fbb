import ArgumentParser
import Foundation
import Harness

/// `tnbench baseline`: manage the reference runs.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Manage reference results (Baselines/reference/<tier>/).",
        discussion: exitStatusHelp([.ok, .io]),
        subcommands: [Update.self, Table.self])

    struct Table: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the results table (every paper claim: the paper, ours at the paper and ci tiers) from the committed references.",
            discussion: """
                Reads Baselines/<suite>.json (the papers' points), Baselines/reference/paper/ and \
                Baselines/reference/ci/. Each paper claim is judged on the committed paper-tier record \
                (mean ± σ over its seeds, n, verdict); the ci tier's number of the same configuration \
                stands beside it. With --write FILE the table replaces the part of FILE between the \
                results-table markers (README.md keeps it there; a test checks it is up to date).

                \(exitStatusHelp([.ok, .usage, .io]))
                """)
        @Option(help: "Replace the table between the results-table markers of this Markdown file instead of printing it.")
        var write: String?
        @OptionGroup var baselines: BaselineOptions

        func run() throws {
            let table = try ResultsTable.markdown(suites: registeredSuites, baselines: baselines.directory)
            guard let write else { return print(table, terminator: "") }
            guard let text = try? String(contentsOfFile: write, encoding: .utf8) else {
                throw HarnessError(.invalidArgument, "cannot read '\(write)' as UTF-8 text")
            }
            let updated = try ResultsTable.replacing(in: text, with: table, file: write)
            do {
                try Data(updated.utf8).write(to: URL(fileURLWithPath: write), options: .atomic)
            } catch {
                throw HarnessError(.unwritableOutput, "cannot write '\(write)': \(error.localizedDescription)")
            }
            print(updated == text ? "\(write): the results table is up to date" : "\(write): results table updated")
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a run the reference of its tier: writes Baselines/reference/<tier>/<suite>.json.",
            discussion: """
                Stores the raw per-seed values of every metric of every configuration, and the \
                per-step samples of the speed metrics, with host, CPU and commit. Only completed jobs \
                count. This is the only command that writes reference results; commit the files it \
                writes. It also writes the run's report into <reports>/<tier>/ (REPORT.md and the PNG \
                figures with their data and scripts), the report a reader opens without running anything, \
                and publishes the static site of the committed paper-tier records (<baselines>/records/paper, \
                which ci/paper-references.sh keeps) into --site: docs/site/, which the GitHub workflow deploys.

                \(exitStatusHelp([.ok, .io]))
                """)
        @Argument(help: "A run directory (the --out of `tnbench run`).") var directory: String
        @Option(help: "Only these suites (default: every suite in the run).") var suite: [String] = []
        @Option(help: "Where the tier's report goes (<reports>/<tier>/REPORT.md).") var reports = "reports"
        @Flag(help: "Do not write the report.") var noReport = false
        @Option(help: "Where the site of the committed paper-tier records (<baselines>/records/paper) is published.")
        var site = "docs/site"
        @Flag(help: "Do not publish the site.") var noSite = false
        @OptionGroup var baselines: BaselineOptions

        func run() throws {
            let results = try ResultDirectory(directory).loadResults(allowMixedBuilds: baselines.allowMixedBuilds)
            let names = suite.isEmpty ? results.suites : suite
            for name in names {
                guard results.suites.contains(name) else {
                    throw HarnessError(.unknownSuite, "suite '\(name)' is not in \(directory); suites there: \(results.suites.joined(separator: ", "))")
                }
                let metrics = registeredSuites.first { $0.name == name }?.metrics ?? []
                let reference = ReferenceBaselines.make(from: results, suite: name, metrics: metrics)
                try reference.write(to: baselines.directory)
                let failed = results.records.filter { $0.job.suite == name && $0.status != .completed }.count
                print("\(ReferenceBaselines.path(suite: name, tier: results.tier, in: baselines.directory)): \(reference.entries.count) entries"
                    + (failed > 0 ? " (\(failed) failed/diverged job(s) left out)" : ""))
            }
            defer { if !noSite { publishCommittedSite() } }
            guard !noReport else { return }
            let directory = "\(reports)/\(results.tier.rawValue)"
            let renderer = FigureRenderer(outputDirectory: directory + "/figures", baselines: baselines.directory)
            let (figures, warning) = try renderer.render(results: results, suites: registeredSuites)
            if let warning { FileHandle.standardError.write(Data("tnbench: warning: \(warning)\n".utf8)) }
            // The committed report keeps PNGs, data and scripts; SVG and PDF are a `gnuplot <id>.gp` away.
            for figure in figures {
                for ext in ["svg", "pdf"] { try? FileManager.default.removeItem(atPath: "\(figure.directory)/\(figure.id).\(ext)") }
            }
            let comparison = try Comparison(results: results, suites: registeredSuites, baselines: baselines.directory)
            print(try Report.write(comparison, figures: figures, to: directory))
        }

        /// The site of the committed paper-tier records (`ci/paper-references.sh` keeps them),
        /// with the references just written; a warning, not a failure, when it cannot be made:
        /// the references are written already.
        func publishCommittedSite() {
            let records = "\(baselines.directory)/records/paper"
            guard FileManager.default.fileExists(atPath: records + "/jobs") else {
                return FileHandle.standardError.write(Data("tnbench: note: no committed paper-tier records in \(records): the site in \(site) is left as it is\n".utf8))
            }
            do {
                // A copy: loading a run directory refreshes its merged file, which belongs to no checkout.
                let copy = FileManager.default.temporaryDirectory.appendingPathComponent("tnbench-records-\(UUID().uuidString)").path
                try FileManager.default.copyItem(atPath: records, toPath: copy)
                defer { try? FileManager.default.removeItem(atPath: copy) }
                let results = try ResultDirectory(copy).loadResults(allowMixedBuilds: true)
                print(try publishSite([results], to: site, baselines: baselines.directory))
            } catch {
                FileHandle.standardError.write(Data("tnbench: warning: the site in \(site) was not published: \(error)\n".utf8))
            }
        }
    }
}
