import ArgumentParser
import Harness

/// `tnbench compare`: verdicts against the paper and the reference run.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Judge a run against the paper's numbers and the reference run of its tier.",
        discussion: """
            Paper verdicts: reproduced (TOST equivalence within the point's margin, α = 0.05), \
            differs (the 95% CI excludes value ± margin), inconclusive. Reference verdicts: \
            regressed / ok / improved — quality metrics by one-sided Welch p < 0.01 and a change \
            beyond the metric's practical margin; speed metrics by the ratio of the per-step \
            samples (Hodges–Lehmann on the logarithms) beyond 1.05 (or the metric's threshold) \
            with its 99% interval above 1. Speed is judged only on the machine the reference was \
            recorded on (CPU model, logical cores, OpenBLAS configuration); elsewhere its rows \
            are informational, a line says why, and they do not affect the exit status.

            --json prints exactly one JSON array, one object per (suite, configuration, metric) \
            with suite, configuration, metric, n, mean, std, ci_low, ci_high, paper_value, \
            paper_confidence, paper_verdict, reference_verdict (null where not applicable).

            Exit status: 0 ok · 1 a metric regressed · 2 bad input · 3 a job failed or diverged · \
            4 no reference results for the tier (first run: `tnbench baseline update DIR`) · 5 a \
            record is corrupt or cannot be read (its file is named). Works on a read-only run \
            directory (the records are read from jobs/).
            """)

    @Argument(help: "A run directory (the --out of `tnbench run`).") var directory: String
    @Flag(help: "Print the machine-readable JSON array instead of text.") var json = false
    @Option(help: "Compare with the reference runs of this tier (default: the run's tier).") var tier: String?
    @OptionGroup var baselines: BaselineOptions

    func run() throws {
        let results = try ResultDirectory(directory).loadResults(allowMixedBuilds: baselines.allowMixedBuilds)
        let comparison = try Comparison(
            results: results, suites: registeredSuites, baselines: baselines.directory,
            referenceTier: try tier.map(JobPlanner.tier))
        print(json ? comparison.json() : comparison.text())
        if comparison.exitStatus != .ok { throw exitStatus(comparison.exitStatus) }
    }
}
