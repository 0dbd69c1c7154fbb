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

            `run` plans first (as `tnbench plan` does, into <out>/plan.json), then runs the planned \
            jobs without a record here; `tnbench submit` runs them on a Slurm cluster instead.

            \(exitStatusHelp([.ok, .jobFailed, .io, .interrupted], meanings: [.ok: "all jobs completed"]))
            """)

    @OptionGroup var options: PlanOptions

    @Option(help: "Worker processes; BLAS threads are shared among them (1 runs in this process).")
    var jobs = 1

    @Option(name: .customLong("data-dir"), help: "The data directory (default: $TNBENCH_DATA_DIR or ~/.cache/tnbench/data).")
    var dataDirectory: String?

    @Flag(help: "Re-run jobs recorded as failed (completed and diverged records are always kept).")
    var retryFailed = false

    @Flag(help: "Add to a run directory holding records of another build (different code) instead of refusing.")
    var allowMixedBuilds = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        // More workers than processors only time-share the cores: every job runs slower and its
        // timings measure the overload, not the code.
        let processors = ProcessInfo.processInfo.activeProcessorCount
        guard jobs <= processors else {
            throw ValidationError("--jobs \(jobs) is more than the \(processors) processor(s) here; workers beyond that only slow each other down")
        }
    }

    func run() throws {
        Interruption.installHandlers()
        let (planned, overrides, tier, outputPath, plan, lock) = try options.plan(lockingRun: true)
        defer { lock?.release() }
        let directory = ResultDirectory(outputPath)
        options.costLines(planned, tier: tier).forEach { print($0) }
        fflush(nil)  // every output stream, before the progress lines on standard error
        let dataDirectory = DataDirectory.resolve(flag: dataDirectory)
        let runner = Runner(
            directory: directory, tier: tier, dataDirectory: dataDirectory, retryFailed: retryFailed, allowMixedBuilds: allowMixedBuilds)
        let executor: Executor
        if jobs == 1 {
            executor = .inProcess
        } else {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let absoluteOut = outputPath.hasPrefix("/") ? outputPath : FileManager.default.currentDirectoryPath + "/" + outputPath
            let indices = plan.indexByJob()
            let parent = String(getpid())
            executor = .workers(WorkerLauncher(executable: executable, count: jobs) { planned, threads, progressFile in
                [
                    "run-job", absoluteOut, String(indices[JobIdentity(planned.job)] ?? -1),
                    "--blas-threads", String(threads), "--data-dir", dataDirectory, "--progress-file", progressFile,
                    "--parent-pid", parent,
                ]
            })
        }
        let summary = try runner.run(planned, executor: executor, display: ProgressDisplay())
        var line = "\(summary.completed) completed, \(summary.failed) failed, \(summary.diverged) diverged, \(summary.skipped) already recorded"
        line += " in \(ProgressDisplay.format(summary.wallSeconds)); results: \(directory.mergedPath)"
        print(line)
        if summary.skipped > 0 && !retryFailed {
            // A resumed run leaves earlier failures as they are: say so, and how to redo them.
            let earlier = planned.filter { directory.existingRecord($0.job)?.status == .failed }.count - summary.failed
            if earlier > 0 {
                print("\(earlier) job(s) of this plan are recorded as failed by an earlier run and were not run again; --retry-failed runs them")
            }
        }
        if summary.interrupted {
            let resume = (["tnbench", "run"] + options.suites + ["--tier", tier.rawValue, "--out", outputPath]
                + options.configs.flatMap { ["--config", $0] } + options.implementations.flatMap { ["--implementation", $0] }
                + overrides.arguments
                + (options.seeds.map { ["--seeds", String($0)] } ?? []) + (jobs > 1 ? ["--jobs", String(jobs)] : [])).joined(separator: " ")
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
