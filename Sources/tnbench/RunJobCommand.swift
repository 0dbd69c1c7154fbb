import ArgumentParser
import Datasets
import Foundation
import Harness

/// `tnbench run-job DIR INDEX`: run one planned job, from any machine that sees the run directory.
struct RunJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-job",
        abstract: "Run the job with index INDEX of a planned run directory and write its record there.",
        discussion: """
            What a Slurm array task (and a `run --jobs K` worker) runs. A job that already has a \
            completed or diverged record is skipped (--force runs it again); a failed one runs again.

            \(exitStatusHelp([.ok, .jobFailed, .io, .interrupted], meanings: [
                .ok: "the job completed (or was already recorded)", .jobFailed: "the job failed or diverged (its record says why)",
                .interrupted: "interrupted (SIGINT/SIGTERM: no record)",
            ]))
            """)

    @Argument(help: "A planned run directory (`tnbench plan` or `run`).") var directory: String
    @Argument(help: "The job's index in <directory>/plan.json.") var index: Int
    @Option(help: "BLAS threads (default: $SLURM_CPUS_PER_TASK, else the available processors).") var blasThreads: Int?
    @Option(name: .customLong("data-dir"), help: "The data directory (default: $TNBENCH_DATA_DIR or ~/.cache/tnbench/data).")
    var dataDirectory: String?
    @Option(help: "A file to report progress to (used by `run --jobs K`).") var progressFile: String?
    @Flag(help: "Run the job even when it has a completed or diverged record.") var force = false
    @Option(help: ArgumentHelp("The `run` that started this worker: the worker exits when it does.", visibility: .hidden))
    var parentPid: Int32?

    func run() throws {
        if let parentPid { ParentWatch.start(parent: parentPid) }
        let run = ResultDirectory(directory)
        let plan = try run.readKnownPlan()
        let entry = try plan.entry(at: index)
        if !force, let record = run.recordOrSetAside(entry.job), record.status != .failed {
            print("job \(index) (\(entry.job)) is already recorded as \(record.status.rawValue); --force runs it again")
            return
        }
        let planned = try plan.plannedJob(entry, registry: registeredSuites)
        let threads = blasThreads
            ?? ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init)
            ?? Runner.blasThreads(workers: 1)
        let status = try WorkerJob.run(
            planned, tier: plan.tier, directory: run, dataDirectory: DataDirectory.resolve(flag: dataDirectory),
            blasThreads: max(1, threads), progressFile: progressFile)
        if status == .interrupted {
            print("job \(index) (\(entry.job)) interrupted: no record written")
            throw exitStatus(.interrupted)
        }
        guard let record = run.existingRecord(entry.job) else { throw exitStatus(.jobFailed) }
        var line = "job \(index) (\(entry.job)): \(record.status.rawValue) in \(ProgressDisplay.format(record.wallSeconds))"
        if let peak = record.peakResidentBytes { line += String(format: ", peak memory %.2f GiB", peak / 1_073_741_824) }
        line += " on \(record.provenance.hostName), build \(record.provenance.buildID)"
        if !record.message.isEmpty { line += ": \(record.message)" }
        print(line)
        if record.status != .completed { throw exitStatus(.jobFailed) }
    }
}

/// `tnbench commands DIR`: one shell command per job without a record, for any scheduler.
struct CommandsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commands",
        abstract: "Print one shell command per planned job without a record (`tnbench run-job DIR INDEX`).",
        discussion: """
            For schedulers other than Slurm: feed the lines to GNU parallel, an HTCondor queue, a \
            Kubernetes indexed job or a cloud batch array, then `tnbench report DIR`.

            Examples:
              tnbench commands results/cn | parallel -j 4
              tnbench commands results/cn --indices      (the indices only, one per line)

            \(exitStatusHelp([.ok, .io]))
            """)

    @Argument(help: "A planned run directory.") var directory: String
    @Flag(help: "Include jobs recorded as failed.") var retryFailed = false
    @Flag(help: "Print the indices only.") var indices = false
    @Option(help: "The tnbench the commands run (default: this one).") var executable: String?
    @Option(name: .customLong("data-dir"), help: "Add --data-dir to every command.") var dataDirectory: String?

    func run() throws {
        let run = ResultDirectory(absolutePath(directory))
        let plan = try run.readKnownPlan()
        let tool = executable ?? currentExecutable()
        for state in run.states(of: plan) where state.needsRun(retryFailed: retryFailed) {
            if indices {
                print(state.entry.index)
            } else {
                var command = [SlurmScript.quote(tool), "run-job", SlurmScript.quote(run.path), String(state.entry.index)]
                if let dataDirectory { command += ["--data-dir", SlurmScript.quote(absolutePath(dataDirectory))] }
                print(command.joined(separator: " "))
            }
        }
    }
}

/// This tool's own path (through /proc/self/exe), for commands other machines or processes run.
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? absolutePath(CommandLine.arguments[0])
}

/// `path` made absolute against the current directory and standardized.
func absolutePath(_ path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return (absolute as NSString).standardizingPath
}
