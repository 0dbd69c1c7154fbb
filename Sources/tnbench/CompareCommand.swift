import ArgumentParser
import Harness

/// `tnbench compare`: verdicts against the paper and the reference run.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Judge a run against the paper's numbers and the reference run of its tier.",
        discussion: """
            Paper verdicts: reproduced (TOST equivalence within the point's margin, α = 0.05), \
            differs (the 95% CI excludes value ± margin), inconclusive; not comparable at a tier \
            the paper point does not judge.

            Reference verdicts, regressed / ok / improved:
              quality  one-sided Welch test per metric: regressed when p < 0.01 in the bad \
            direction and the mean moved the bad way by more than the metric's practical margin \
            (improved likewise the other way); none with fewer than two seeds on a side.
              speed    the ratio new/reference of the per-step samples (every epoch's or sweep's \
            seconds; the per-seed values when a side has no samples; inverted for a rate, so \
            above 1 is slower): exp of the Hodges–Lehmann shift of their logarithms, with its \
            99% interval widened by the spread between jobs. Regressed when the ratio exceeds \
            1 + t and the interval lies above 1; improved when it is below 1/(1 + t) and the \
            interval lies below 1; t is the metric's threshold, 5% unless it sets one. No verdict when the samples are too few for a 99% interval.

            Speed is judged only on the machine the reference was recorded on (CPU model, logical \
            cores, OpenBLAS configuration); elsewhere its rows are informational, a line says why, \
            and they do not affect the exit status.

            --json prints exactly one JSON array, one object per (suite, configuration, metric) \
            with suite, configuration, metric, n, mean, std, ci_low, ci_high, paper_value, \
            paper_confidence, paper_verdict, reference_verdict, speed_ratio, speed_ratio_ci_low, \
            speed_ratio_ci_high (null where not applicable). Works on a read-only run directory \
            (the records are read from jobs/).

            \(exitStatusHelp([.ok, .regression, .jobFailed, .missingBaseline, .io], meanings: [
                .regression: "a metric regressed (takes precedence over 3 and 4)",
                .missingBaseline: "no reference results for the tier (first run: `tnbench baseline update DIR`)",
                .io: "a record is corrupt or cannot be read (its file is named)",
            ]))
            """)

    @Argument(help: "A run directory (the --out of `tnbench run`).") var directory: String
    @Flag(help: "Print the machine-readable JSON array instead of text.") var json = false
    @Option(help: "Compare with the reference runs of this tier (default: the run's tier).") var tier: Tier?
    @OptionGroup var baselines: BaselineOptions

    func run() throws {
        let results = try ResultDirectory(directory).loadResults(allowMixedBuilds: baselines.allowMixedBuilds)
        let comparison = try Comparison(
            results: results, suites: registeredSuites, baselines: baselines.directory,
            referenceTier: tier)
        print(json ? comparison.json() : comparison.text())
        if comparison.exitStatus != .ok { throw exitStatus(comparison.exitStatus) }
    }
}
