import ArgumentParser
import Foundation
import Harness

/// What `plan` and `run` select: suites, tier, seeds, configurations, setting overrides, the run directory.
struct PlanOptions: ParsableArguments {
    @Argument(help: "Suites to run, or 'all'. See `tnbench list`.")
    var suites: [String] = ["all"]

    @Option(help: "smoke (seconds), ci (minutes) or paper (hours).")
    var tier: Tier

    @Option(help: "Seeds per configuration, 0..<N (default: the tier's).")
    var seeds: Int?

    @Option(help: "The run directory (default: results/<tier>-<UTC time>). Re-use it to resume.")
    var out: String?

    @Option(name: .customLong("config"), parsing: .singleValue,
            help: "key=value: keep configurations with that value (repeatable); a value missing from the tier's grid is substituted into every configuration.")
    var configs: [String] = []

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: "key=value: change a tier setting for this run (repeatable), e.g. --set epochs_lenet5=20.")
    var sets: [String] = []

    @Option(name: .customLong("implementation"), parsing: .singleValue,
            help: "Implementations to run: native (the default), names from `tnbench list`, comma-separated or repeated, or all.")
    var implementations: [String] = []

    @Option(name: .customLong("baselines"), help: "The baselines directory whose references' job times estimate the cost.")
    var baselines = "Baselines"

    /// One line per suite of `planned` (and a total for several): the estimated cost from the
    /// committed reference of the tier (``CostEstimate``), or why there is none.
    func costLines(_ planned: [PlannedJob], tier: Tier) -> [String] {
        var lines: [String] = [], estimates: [CostEstimate] = []
        let bySuite = Dictionary(grouping: planned, by: \.job.suite)
        for name in bySuite.keys.sorted() {
            let configurations = bySuite[name]!.map(\.job.configuration)
            let reference: ReferenceBaselines?
            do { reference = try ReferenceBaselines.load(suite: name, tier: tier, from: baselines) } catch {
                lines.append("cost of \(name) (\(configurations.count) jobs): unknown, \(HarnessError(reachingTool: error).message)")
                continue
            }
            if let estimate = CostEstimate.estimate(configurations: configurations, reference: reference) {
                estimates.append(estimate)
                lines.append("cost of \(name) (\(configurations.count) jobs): \(estimate.summary) — from \(estimate.source)")
            } else {
                lines.append("cost of \(name) (\(configurations.count) jobs): unknown, no committed \(tier.rawValue) reference with job times in \(baselines)/")
            }
        }
        if estimates.count > 1, let total = CostEstimate.total(estimates) { lines.append("cost in all: \(total.summary)") }
        return lines
    }

    /// The planned jobs, the overrides and the run directory, with the jobs added to its plan.
    func plan(lockingRun: Bool = false) throws -> (jobs: [PlannedJob], overrides: SettingOverrides, tier: Tier, outputPath: String, plan: RunPlan, lock: RunDirectoryLock?) {
        if let out { try OutputPath.check(out) }
        let selected = try JobPlanner.select(suites, from: registeredSuites)
        let overrides = try SettingOverrides(parsing: sets)
        let planned = try JobPlanner.plan(
            suites: selected, tier: tier, seeds: seeds, filter: try ConfigurationFilter(parsing: configs),
            overrides: overrides, implementations: try ImplementationSelection(parsing: implementations))
        guard !planned.isEmpty else {
            let implementation = implementations.isEmpty ? "" : " that --implementation \(implementations.joined(separator: ",")) runs at tier \(tier.rawValue) (see `tnbench list`)"
            throw HarnessError(
                .invalidConfiguration, "no jobs: the selected suites have no configuration matching \(configs.joined(separator: " "))\(implementation)")
        }
        let outputPath = out ?? "results/\(tier.rawValue)-\(RunCommand.stamp())"
        let selection = try ImplementationSelection(parsing: implementations).arguments
        let request = PlanRequest(
            suites: suites, seeds: seeds, configurations: configs, settings: sets, implementations: selection.isEmpty ? nil : selection)
        var lock: RunDirectoryLock?
        if lockingRun {
            // `run` holds the run lock from planning to merge: a second `run` into this
            // directory fails at once, naming this one.
            do { try FileManager.default.createDirectory(atPath: outputPath, withIntermediateDirectories: true) } catch {
                throw HarnessError(.unwritableOutput, "cannot create output directory '\(outputPath)': choose a writable --out")
            }
            lock = try RunDirectoryLock.acquire(.run, in: outputPath)
        }
        let directory = ResultDirectory(outputPath)
        if FileManager.default.fileExists(atPath: directory.planPath) { _ = try directory.readKnownPlan() }
        let (plan, _) = try directory.extendPlan(with: planned, tier: tier, request: request)
        return (planned, overrides, tier, outputPath, plan, lock)
    }
}

/// `tnbench plan`: write a run directory's plan without running anything.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a run: write <out>/plan.json, every job with a stable index, and run nothing.",
        discussion: """
            The jobs can then run anywhere that sees the directory: `tnbench submit DIR` (Slurm), \
            `tnbench commands DIR` (one shell command per job without a record, for any other \
            scheduler), or `tnbench run-job DIR INDEX` by hand. Planning again into the same \
            directory keeps every job at its index and appends new ones.

            Examples:
              tnbench plan CopyNodeInit --tier paper --config init=copy_node --out results/copy-node
              tnbench plan all --tier smoke --set epochs=2 --out results/smoke

            \(exitStatusHelp([.ok, .io]))
            """)

    @OptionGroup var options: PlanOptions

    func run() throws {
        let (planned, _, _, outputPath, plan, _) = try options.plan()
        print("planned \(planned.count) job(s) into \(outputPath)/\(RunPlan.fileName) (\(plan.jobs.count) in the plan)")
        options.costLines(planned, tier: plan.tier).forEach { print($0) }
        print("next: tnbench submit \(outputPath)  ·  tnbench commands \(outputPath)  ·  tnbench run-job \(outputPath) INDEX")
    }
}
