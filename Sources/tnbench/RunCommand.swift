import ArgumentParser
import Datasets
import Foundation
import Harness

/// `tnbench run`: run suites × configurations × seeds, resumably.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run suites at a tier, one HDF5 record per (configuration, seed) job.",
        discussion: """
            Jobs whose record already exists in --out are skipped, so re-running the same command \
            resumes an interrupted run (Ctrl-C abandons the running jobs cleanly; a second Ctrl-C \
            stops at once). Records are merged into <out>/results.h5 at the end.

            Examples:
              tnbench run all --tier smoke
              tnbench run StoudenmireMPS --tier ci --seeds 5 --jobs 2 --out results/mps
              tnbench run StoudenmireMPS --tier ci --config m=40     (m=40 although the ci grid lacks it)
              tnbench run MPONet --tier paper --config network=lenet5 --set epochs_lenet5=20

            Exit status: 0 all jobs completed · 2 usage error · 3 a job failed or diverged · 130 interrupted.
            """)

    @Argument(help: "Suites to run, or 'all'. See `tnbench list`.")
    var suites: [String] = ["all"]

    @Option(help: "smoke (seconds), ci (minutes) or paper (hours).")
    var tier: String

    @Option(help: "Seeds per configuration, 0..<N (default: the tier's).")
    var seeds: Int?

    @Option(help: "Worker processes; BLAS threads are shared among them (1 runs in this process).")
    var jobs = 1

    @Option(help: "The run directory (default: results/<tier>-<UTC time>). Re-use it to resume.")
    var out: String?

    @Option(name: .customLong("config"), parsing: .singleValue,
            help: "key=value: keep configurations with that value (repeatable); a value missing from the tier's grid is substituted into every configuration.")
    var configs: [String] = []

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: "key=value: change a tier setting for this run (repeatable), e.g. --set epochs_lenet5=20.")
    var sets: [String] = []

    @Option(name: .customLong("data-dir"), help: "The data directory (default: $TNBENCH_DATA_DIR or ~/.cache/tnbench/data).")
    var dataDirectory: String?

    @Flag(help: "Re-run jobs recorded as failed (completed and diverged records are always kept).")
    var retryFailed = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    func run() throws {
        let tier = try JobPlanner.tier(tier)
        let selected = try JobPlanner.select(suites, from: registeredSuites)
        let overrides = try SettingOverrides(parsing: sets)
        let planned = try JobPlanner.plan(
            suites: selected, tier: tier, seeds: seeds, filter: try ConfigurationFilter(parsing: configs),
            overrides: overrides)
        guard !planned.isEmpty else {
            throw HarnessError(.invalidConfiguration, "no jobs: the selected suites have no configuration matching \(configs.joined(separator: " "))")
        }
        let outputPath = out ?? "results/\(tier.rawValue)-\(Self.stamp())"
        let directory = ResultDirectory(outputPath)
        let dataDirectory = DataDirectory.resolve(flag: dataDirectory)
        let runner = Runner(directory: directory, tier: tier, dataDirectory: dataDirectory, retryFailed: retryFailed)
        Interruption.installHandlers()
        let executor: Executor
        if jobs == 1 {
            executor = .inProcess
        } else {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let absoluteOut = outputPath.hasPrefix("/") ? outputPath : FileManager.default.currentDirectoryPath + "/" + outputPath
            executor = .workers(WorkerLauncher(executable: executable, count: jobs) { planned, threads, progressFile in
                [
                    "_job", "--suite", planned.job.suite, "--tier", tier.rawValue,
                    "--configuration", JobCommand.encode(planned.job.configuration), "--seed", String(planned.job.seed),
                    "--out", absoluteOut, "--blas-threads", String(threads), "--data-dir", dataDirectory,
                    "--progress-file", progressFile,
                ] + overrides.arguments
            })
        }
        let summary = try runner.run(planned, executor: executor, display: ProgressDisplay())
        var line = "\(summary.completed) completed, \(summary.failed) failed, \(summary.diverged) diverged, \(summary.skipped) already recorded"
        line += " in \(ProgressDisplay.format(summary.wallSeconds)); results: \(directory.mergedPath)"
        print(line)
        if summary.interrupted {
            let resume = (["tnbench", "run"] + suites + ["--tier", tier.rawValue, "--out", outputPath] + configs.flatMap { ["--config", $0] }
                + overrides.arguments + (seeds.map { ["--seeds", String($0)] } ?? []) + (jobs > 1 ? ["--jobs", String(jobs)] : [])).joined(separator: " ")
            print("interrupted with \(summary.notRun) job(s) not run; resume with: \(resume)")
        } else {
            print("next: tnbench compare \(outputPath)  ·  tnbench report \(outputPath)")
        }
        if summary.exitStatus != .ok { throw exitStatus(summary.exitStatus) }
    }

    static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

/// `tnbench _job`: what a worker process runs (hidden; started by `run --jobs K`).
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_job", abstract: "Run one job in a worker process (internal).", shouldDisplay: false)

    @Option var suite: String
    @Option var tier: String
    @Option(help: "The configuration as a JSON object.") var configuration: String
    @Option var seed: Int
    @Option var out: String
    @Option var blasThreads: Int = 1
    @Option var dataDir: String
    @Option var progressFile: String?
    @Option(name: .customLong("set"), parsing: .singleValue) var sets: [String] = []

    static func encode(_ configuration: Configuration) -> String {
        String(decoding: (try? JSONEncoder.prettySorted.encode(configuration)) ?? Data("{}".utf8), as: UTF8.self)
    }

    func run() throws {
        let tier = try JobPlanner.tier(tier)
        guard let suite = try JobPlanner.select([suite], from: registeredSuites).first else { throw ExitCode(2) }
        let configuration = try JSONDecoder().decode(Configuration.self, from: Data(self.configuration.utf8))
        let planned = PlannedJob(
            suite: suite, job: Job(suite: suite.name, configuration: configuration, seed: seed),
            settings: try SettingOverrides(parsing: sets).applied(to: suite.plan(for: tier).settings, of: suite.name))
        let status = try WorkerJob.run(
            planned, tier: tier, directory: ResultDirectory(out), dataDirectory: dataDir, blasThreads: blasThreads,
            progressFile: progressFile)
        if status != .ok { throw exitStatus(status) }
    }
}
