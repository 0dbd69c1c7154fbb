import ArgumentParser
import Datasets
import Foundation
import Harness

/// `tnbench submit DIR`: the planned jobs without a record as a Slurm job array, plus a report job.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a planned run's jobs without a record to Slurm: one array task per job, then a report job.",
        discussion: """
            Writes DIR/slurm/array-<time>-<offset>[-gpu<N>].sbatch (one task per job: `tnbench run-job DIR \
            INDEX`; jobs that ask for GPUs get arrays of their own) and DIR/slurm/report-<time>.sbatch (status, compare into DIR/compare.txt, and \
            DIR/report/REPORT.md, after every task ended: --dependency=afterany), submits them with \
            sbatch and records the job ids in DIR/slurm/submissions.json. Task output goes to \
            DIR/slurm/logs/. The run directory, the tool and the data must be visible from the nodes.

            Re-running `submit` submits only the jobs that still have no record and are not queued \
            or running (after preemption, a node failure, a timeout, a scancel); --retry-failed \
            adds the jobs recorded as failed.

            Per-task CPUs, memory and time default to the largest the submitted suites' tier asks \
            for (see `tnbench list`); the flags override them.

            Examples:
              tnbench plan CopyNodeInit --tier paper --config init=copy_node --out /scratch/cn
              tnbench submit /scratch/cn --partition short --time 60 --max-concurrent 20 \\
                  --preamble 'module load openblas hdf5' --sbatch '--qos=normal'
              tnbench submit /scratch/cn --dry-run
              tnbench status /scratch/cn

            \(exitStatusHelp([.ok, .io], meanings: [.usage: "usage or input error (also sbatch refusing a script)"]))
            """)

    @Argument(help: "A planned run directory (`tnbench plan`), on a file system the nodes see.") var directory: String
    @Flag(help: "Print the scripts and the sbatch commands; write and submit nothing (squeue is not asked, so queued jobs are listed too).")
    var dryRun = false
    @Flag(help: "Also submit the jobs recorded as failed.") var retryFailed = false
    @Option(help: "CPUs per task (also the task's BLAS threads).") var cpus: Int?
    @Option(help: "Memory per task in megabytes.") var memory: Int?
    @Option(help: "Time limit per task in minutes.") var time: Int?
    @Option(help: "At most K tasks at once (--array=…%K).") var maxConcurrent: Int?
    @Option(help: "The Slurm partition.") var partition: String?
    @Option(help: "The Slurm account.") var account: String?
    @Option(name: .customLong("sbatch"), parsing: .singleValue, help: "An extra #SBATCH line, e.g. --sbatch '--qos=long' (repeatable).")
    var sbatchLines: [String] = []
    @Option(parsing: .singleValue, help: "A shell line run before each task, e.g. 'module load openblas' (repeatable).")
    var preamble: [String] = []
    @Option(help: "A file whose lines are added to the preamble (an environment script for the nodes).")
    var preambleFile: String?
    @Option(help: "The tnbench the nodes run (default: this one).") var executable: String?
    @Option(name: .customLong("data-dir"), help: "The data directory the nodes read (default: $TNBENCH_DATA_DIR or ~/.cache/tnbench/data).")
    var dataDirectory: String?
    @OptionGroup var baselines: BaselineOptions
    @Flag(help: "Submit no report job.") var noReport = false

    func validate() throws {
        for (name, value) in [("--cpus", cpus), ("--memory", memory), ("--time", time), ("--max-concurrent", maxConcurrent)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
    }

    func run() throws {
        let run = ResultDirectory(absolutePath(directory))
        let plan = try run.readKnownPlan()
        try run.checkBuild(allowMixedBuilds: baselines.allowMixedBuilds)
        var preambleLines = preamble
        if let preambleFile {
            guard let text = try? String(contentsOfFile: preambleFile, encoding: .utf8) else {
                throw HarnessError(.invalidArgument, "cannot read --preamble-file '\(preambleFile)'")
            }
            preambleLines += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        let options = SlurmOptions(
            cpus: cpus, memoryMegabytes: memory, timeMinutes: time, maxConcurrent: maxConcurrent,
            partition: partition, account: account, extraDirectives: sbatchLines, preamble: preambleLines,
            executable: executable.map(absolutePath) ?? currentExecutable(),
            dataDirectory: absolutePath(DataDirectory.resolve(flag: dataDirectory)),
            baselines: absolutePath(baselines.directory), allowMixedBuilds: baselines.allowMixedBuilds)

        let queue = dryRun ? nil : Slurm.queue(jobName: SlurmScript.jobName(run))
        let queued = queue.map(run.queuedIndices) ?? (pending: [], running: [])
        let waiting = queued.pending.union(queued.running)
        let candidates = run.states(of: plan).filter { $0.needsRun(retryFailed: retryFailed) }
        let indices = candidates.map(\.entry.index).filter { !waiting.contains($0) }
        if !waiting.isEmpty {
            print("\(waiting.count) job(s) of this run are still queued or running in Slurm: not submitted again")
        }
        guard !indices.isEmpty else {
            print("nothing to submit: every planned job has a record\(waiting.isEmpty ? "" : " or is queued") (\(plan.jobs.count) planned; --retry-failed resubmits failed ones)")
            return
        }

        let stamp = RunCommand.stamp()
        let arrays = SlurmScript.arrays(directory: run, plan: plan, indices: indices, options: options, stamp: stamp)
        let reportScript = SlurmScript.reportScript(directory: run, options: options, stamp: stamp)
        let reportPath = "\(run.slurmPath)/report-\(stamp).sbatch"
        if dryRun {
            for array in arrays {
                print("# \(array.scriptPath)\n\(array.script)")
                print("# sbatch --parsable \(SlurmScript.quote(array.scriptPath))\n")
            }
            if !noReport {
                print("# \(reportPath)\n\(reportScript)")
                print("# sbatch --parsable --dependency=afterany:<array job ids> \(SlurmScript.quote(reportPath))")
            }
            print("# dry run: \(indices.count) job(s) would be submitted in \(arrays.count) array(s); nothing written or submitted")
            return
        }

        do {
            try FileManager.default.createDirectory(atPath: run.slurmPath + "/logs", withIntermediateDirectories: true)
            for array in arrays { try array.script.write(toFile: array.scriptPath, atomically: true, encoding: .utf8) }
            if !noReport { try reportScript.write(toFile: reportPath, atomically: true, encoding: .utf8) }
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write the sbatch scripts into '\(run.slurmPath)': \(error)")
        }
        var submitted: [SlurmSubmission.ArrayJob] = []
        var reportID: String?
        defer {
            if !submitted.isEmpty {
                try? run.recordSubmission(SlurmSubmission(time: Timestamp.now(), arrays: submitted, reportJobID: reportID))
            }
        }
        for array in arrays {
            let id = try Slurm.submit(array.scriptPath)
            submitted.append(SlurmSubmission.ArrayJob(jobID: id, offset: array.offset, indices: array.indices))
            print("submitted array job \(id): \(array.indices.count) task(s), --array=\(array.arraySpec) (\(array.scriptPath))")
        }
        if !noReport {
            let id = try Slurm.submit(reportPath, afterAny: submitted.map(\.jobID))
            reportID = id
            print("submitted report job \(id) (after the array ends): \(run.path)/report/REPORT.md")
        }
        print("follow it: tnbench status \(run.path)  ·  task output: \(run.slurmPath)/logs/")
    }
}

/// `tnbench status DIR`: what became of a planned run's jobs.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Count a planned run's jobs: completed, failed, diverged, running, pending, without a record.",
        discussion: """
            From the records in DIR and, when Slurm is there, from `squeue` (the run's array jobs \
            as `tnbench submit` recorded them). Failed and diverged jobs are listed with their messages.

            \(exitStatusHelp([.ok, .jobFailed, .io], meanings: [
                .ok: "every job completed", .jobFailed: "a job failed, diverged or has no record yet",
                .usage: "usage error or not a planned run",
            ]))
            """)

    @Argument(help: "A planned run directory.") var directory: String
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let run = ResultDirectory(directory)
        _ = try run.readManifest()  // a damaged run.json is reported here, not first by `compare`
        let plan = try run.readKnownPlan()
        let states = run.states(of: plan)
        let queue = Slurm.queue(jobName: SlurmScript.jobName(run))
        let queued = queue.map(run.queuedIndices) ?? (pending: [], running: [])
        let status = RunStatus(states: states, pending: queued.pending, running: queued.running, queueKnown: queue != nil)
        if json {
            let output = StatusOutput(
                total: status.total, completed: status.completed, failed: status.failed, diverged: status.diverged,
                running: status.running, pending: status.pending, missing: status.missing, queue_known: status.queueKnown,
                unsuccessful: status.unsuccessful.map {
                    StatusOutput.Unsuccessful(index: $0.entry.index, job: $0.entry.job.description, status: $0.status?.rawValue ?? "", message: $0.message)
                })
            print(String(decoding: try JSONEncoder.prettySorted.encode(output), as: UTF8.self))
        } else {
            print("\(run.path) (\(plan.tier.rawValue) tier): \(status.line)")
            for state in status.unsuccessful {
                print("  \(state.status?.rawValue ?? "?") \(state.entry.index) \(state.entry.job): \(state.message)")
            }
            let missing = states.filter { $0.status == nil && !queued.pending.contains($0.entry.index) && !queued.running.contains($0.entry.index) }
            if !missing.isEmpty {
                let shown = missing.prefix(10).map { String($0.entry.index) }.joined(separator: ", ")
                print("  without a record\(status.queueKnown ? " and not queued" : ""): \(shown)\(missing.count > 10 ? ", …" : "") — `tnbench submit \(directory)` or `tnbench commands \(directory)`")
            }
        }
        if status.completed != status.total { throw exitStatus(.jobFailed) }
    }
}

/// The `status --json` object.
struct StatusOutput: Encodable {
    struct Unsuccessful: Encodable {
        var index: Int
        var job: String
        var status: String
        var message: String
    }
    var total: Int
    var completed: Int
    var failed: Int
    var diverged: Int
    var running: Int
    var pending: Int
    var missing: Int
    var queue_known: Bool
    var unsuccessful: [Unsuccessful]
}
