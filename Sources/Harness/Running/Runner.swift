import Foundation
import Synchronization
import TensorCore

/// How jobs are executed.
public enum Executor: Sendable {
    /// One job at a time in this process (what tests use, and `--jobs 1`).
    case inProcess
    /// Worker processes, each running one job at a time (`--jobs K`).
    case workers(WorkerLauncher)
}

/// How to start a worker process for a job: the executable (the tool itself, found through
/// `/proc/self/exe`), how many run at once, and the command line for one job.
public struct WorkerLauncher: Sendable {
    public var executable: String
    public var count: Int
    /// The arguments for (job, BLAS threads, progress file); the worker writes the job's record
    /// into the run directory itself and exits 0, or exits 130 when interrupted.
    public var arguments: @Sendable (PlannedJob, Int, String) -> [String]

    public init(executable: String, count: Int, arguments: @escaping @Sendable (PlannedJob, Int, String) -> [String]) {
        self.executable = executable
        self.count = count
        self.arguments = arguments
    }
}

/// What a benchmark run did.
public struct RunSummary: Sendable, Equatable {
    public var total = 0
    /// Jobs whose record already existed (resumed runs).
    public var skipped = 0
    public var completed = 0
    public var failed = 0
    public var diverged = 0
    /// Jobs not run because the user interrupted.
    public var notRun = 0
    public var interrupted = false
    public var wallSeconds = 0.0

    public init() {}

    /// `.interrupted`, else `.jobFailed` when a job failed or diverged in this run, else `.ok`.
    public var exitStatus: ExitStatus {
        if interrupted { return .interrupted }
        return failed + diverged > 0 ? .jobFailed : .ok
    }
}

/// Runs planned jobs into a ``ResultDirectory``, skipping those already recorded, then merges
/// the records into `results.h5`.
///
/// Every job writes its own record atomically, so a run stopped at any point (Ctrl-C, a crash, a
/// killed machine) resumes by running the same command again: only the missing jobs run.
public struct Runner: Sendable {
    public var directory: ResultDirectory
    public var tier: Tier
    public var dataDirectory: String
    /// Re-run jobs recorded as failed (by default every recorded job is kept, failed ones too;
    /// diverged jobs are deterministic and never retried).
    public var retryFailed: Bool
    /// Add to (and merge) a directory holding records of another build (see ``Provenance/codeID``).
    public var allowMixedBuilds: Bool

    public init(directory: ResultDirectory, tier: Tier, dataDirectory: String, retryFailed: Bool = false, allowMixedBuilds: Bool = false) {
        self.directory = directory
        self.tier = tier
        self.dataDirectory = dataDirectory
        self.retryFailed = retryFailed
        self.allowMixedBuilds = allowMixedBuilds
    }

    /// The processors available to BLAS, shared among `workers`: 2 cores and 1 worker → 2
    /// threads; 2 workers → 1 each.
    public static func blasThreads(workers: Int, processors: Int = availableProcessors) -> Int {
        max(1, processors / max(workers, 1))
    }

    /// The active processors, capped by an explicit `OPENBLAS_NUM_THREADS=N` in the environment
    /// (`OPENBLAS_NUM_THREADS=1 tnbench run … --jobs 1` leaves the other cores to other work;
    /// without the cap the in-process runner would reset BLAS to every core).
    public static var availableProcessors: Int {
        let active = ProcessInfo.processInfo.activeProcessorCount
        guard let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"],
              let cap = Int(text), cap >= 1 else { return active }
        return min(active, cap)
    }

    /// Whether a job still has to run. An unusable record (corrupt, unreadable) counts as none:
    /// it is moved aside to `<record>.corrupt`, with one line on standard error naming it.
    func needsRun(_ job: Job) -> Bool {
        guard let existing = directory.recordOrSetAside(job) else { return true }
        return retryFailed && existing.status == .failed
    }

    /// Runs the jobs that have no record yet and merges all records.
    ///
    /// - Parameter shouldStop: polled between jobs and by running jobs' cancellation checks
    ///   (defaults to Ctrl-C).
    /// - Throws: ``HarnessError`` when the output directory is unusable. Job errors never throw.
    public func run(
        _ jobs: [PlannedJob], executor: Executor = .inProcess, display: ProgressDisplay = ProgressDisplay(mode: .silent),
        shouldStop: @escaping @Sendable () -> Bool = { Interruption.isRequested }
    ) throws -> RunSummary {
        try directory.prepare(tier: tier)
        try directory.checkBuild(allowMixedBuilds: allowMixedBuilds)
        let start = ProgressDisplay.clock()
        let pending = jobs.filter { needsRun($0.job) }
        var summary = RunSummary()
        summary.total = jobs.count
        summary.skipped = jobs.count - pending.count
        switch executor {
        case .inProcess:
            display.begin(total: jobs.count, skipped: summary.skipped, workers: 1)
            BLASRuntime.setThreadCount(Self.blasThreads(workers: 1))
            try runInProcess(pending, display: display, shouldStop: shouldStop, summary: &summary)
        case .workers(let launcher):
            display.begin(total: jobs.count, skipped: summary.skipped, workers: launcher.count)
            try runInWorkers(pending, launcher: launcher, display: display, shouldStop: shouldStop, summary: &summary)
        }
        summary.wallSeconds = ProgressDisplay.clock() - start
        try directory.merge(allowMixedBuilds: allowMixedBuilds)
        return summary
    }

    private func count(_ status: JobStatus, into summary: inout RunSummary) {
        switch status {
        case .completed: summary.completed += 1
        case .failed: summary.failed += 1
        case .diverged: summary.diverged += 1
        }
    }

    private func runInProcess(
        _ pending: [PlannedJob], display: ProgressDisplay, shouldStop: @escaping @Sendable () -> Bool,
        summary: inout RunSummary
    ) throws {
        for (index, planned) in pending.enumerated() {
            if shouldStop() {
                summary.interrupted = true
                summary.notRun += pending.count - index
                return
            }
            display.started(planned.job)
            let job = planned.job
            let outcome = JobExecution.run(
                planned, tier: tier, dataDirectory: dataDirectory, workDirectory: directory.workPath,
                progress: { fraction, message in display.update(job, fraction: fraction, message: message) },
                isCancelled: shouldStop)
            switch outcome {
            case .finished(let record):
                try directory.write(record)
                CheckpointStore.remove(for: job, workDirectory: directory.workPath)
                count(record.status, into: &summary)
                display.finished(job, status: record.status, seconds: record.wallSeconds, message: record.displayMessage)
            case .cancelled:
                display.finished(job, status: nil, seconds: 0, message: "")
                summary.interrupted = true
                summary.notRun += pending.count - index
                return
            }
        }
    }

    /// The last `tnbench: error: …` line of a worker's log, without the prefix.
    private static func lastError(inLog path: String) -> String? {
        let prefix = "tnbench: error: "
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    private struct Worker {
        var planned: PlannedJob
        var process: Process
        var started: Double
        var startDate: Date
        var progressFile: String
        var log: FileHandle
    }

    private func runInWorkers(
        _ pending: [PlannedJob], launcher: WorkerLauncher, display: ProgressDisplay,
        shouldStop: @escaping @Sendable () -> Bool, summary: inout RunSummary
    ) throws {
        let manager = FileManager.default
        let threads = Self.blasThreads(workers: launcher.count)
        let progressDirectory = directory.path + "/.progress"
        try? manager.createDirectory(atPath: progressDirectory, withIntermediateDirectories: true)
        var queue = pending[...]
        var running: [Worker] = []
        var forwarded = false
        var counter = 0
        var storageFailure: HarnessError?
        while !queue.isEmpty || !running.isEmpty {
            if shouldStop() {
                summary.interrupted = true
                summary.notRun += queue.count
                queue = []
                if !forwarded {
                    for worker in running where worker.process.isRunning { kill(worker.process.processIdentifier, SIGINT) }
                    forwarded = true
                }
                if Interruption.count > 1 {
                    for worker in running where worker.process.isRunning { kill(worker.process.processIdentifier, SIGKILL) }
                }
            }
            while running.count < launcher.count, let planned = queue.first {
                queue = queue.dropFirst()
                counter += 1
                let progressFile = "\(progressDirectory)/job-\(getpid())-\(counter)"
                let logPath = directory.logPath(planned.job)
                try? manager.createDirectory(atPath: (logPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                _ = manager.createFile(atPath: logPath, contents: nil)
                guard let log = FileHandle(forWritingAtPath: logPath) else {
                    throw HarnessError(.unwritableOutput, "cannot write log '\(logPath)': choose a writable --out")
                }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: launcher.executable)
                process.arguments = launcher.arguments(planned, threads, progressFile)
                var environment = ProcessInfo.processInfo.environment
                environment["OPENBLAS_NUM_THREADS"] = String(threads)
                process.environment = environment
                process.standardOutput = log
                process.standardError = log
                display.started(planned.job)
                do { try process.run() } catch {
                    let record = JobExecution.crashRecord(
                        planned, tier: tier, reason: "cannot start worker \(launcher.executable): \(error)", started: Date(), wallSeconds: 0)
                    try directory.write(record)
                    count(.failed, into: &summary)
                    display.finished(planned.job, status: .failed, seconds: 0, message: record.message)
                    continue
                }
                running.append(Worker(
                    planned: planned, process: process, started: ProgressDisplay.clock(), startDate: Date(),
                    progressFile: progressFile, log: log))
            }
            var stillRunning: [Worker] = []
            for worker in running {
                if worker.process.isRunning {
                    if let text = try? String(contentsOfFile: worker.progressFile, encoding: .utf8),
                        let tab = text.firstIndex(of: "\t"), let fraction = Double(text[..<tab])
                    {
                        display.update(worker.planned.job, fraction: fraction, message: String(text[text.index(after: tab)...]))
                    }
                    stillRunning.append(worker)
                    continue
                }
                try? worker.log.close()
                try? manager.removeItem(atPath: worker.progressFile)
                let seconds = ProgressDisplay.clock() - worker.started
                if let record = directory.existingRecord(worker.planned.job) {
                    count(record.status, into: &summary)
                    display.finished(worker.planned.job, status: record.status, seconds: record.wallSeconds, message: record.displayMessage)
                } else if summary.interrupted {
                    summary.notRun += 1
                    display.finished(worker.planned.job, status: nil, seconds: seconds, message: "")
                } else if worker.process.terminationReason == .exit && worker.process.terminationStatus == ExitStatus.io.rawValue {
                    // The worker could not write its record (disk full, read-only): no job
                    // failure to record. Start no more jobs; end with the worker's own line.
                    let logPath = directory.logPath(worker.planned.job)
                    storageFailure = storageFailure ?? HarnessError(
                        .io, Self.lastError(inLog: logPath)
                            ?? "the worker of \(worker.planned.job) could not write its record (exit status 5); see \(logPath)")
                    summary.notRun += 1 + queue.count
                    queue = []
                } else {
                    let how = worker.process.terminationReason == .uncaughtSignal
                        ? "was killed by signal \(worker.process.terminationStatus)"
                        : "exited with status \(worker.process.terminationStatus)"
                    let record = JobExecution.crashRecord(
                        worker.planned, tier: tier,
                        reason: "worker process \(how) without a record; see \(directory.logPath(worker.planned.job))",
                        started: worker.startDate, wallSeconds: seconds)
                    try directory.write(record)
                    count(.failed, into: &summary)
                    display.finished(worker.planned.job, status: .failed, seconds: seconds, message: record.message)
                }
            }
            running = stillRunning
            if !running.isEmpty { usleep(100_000) }
        }
        try? manager.removeItem(atPath: progressDirectory)
        if let storageFailure { throw storageFailure }
    }
}

/// The worker side of ``Executor/workers(_:)``: runs one job in this process, writes its record
/// and reports progress through a small file the parent polls.
public enum WorkerJob {
    /// Runs the job and writes its record. Returns the process exit status: 0 when a record was
    /// written (whatever the job's status), 130 when interrupted.
    public static func run(
        _ planned: PlannedJob, tier: Tier, directory: ResultDirectory, dataDirectory: String, blasThreads: Int,
        progressFile: String?
    ) throws -> ExitStatus {
        BLASRuntime.setThreadCount(blasThreads)
        Interruption.installHandlers()
        let lastWrite = Mutex(0.0)
        let outcome = JobExecution.run(
            planned, tier: tier, dataDirectory: dataDirectory, workDirectory: directory.workPath,
            progress: { fraction, message in
                guard let progressFile else { return }
                let now = ProgressDisplay.clock()
                let due = lastWrite.withLock { last -> Bool in
                    guard now - last >= 0.25 else { return false }
                    last = now
                    return true
                }
                if due { try? atomicWrite(progressFile, bytes: Array("\(fraction)\t\(message)".utf8)) }
            },
            isCancelled: { Interruption.isRequested })
        switch outcome {
        case .finished(let record):
            try directory.write(record)
            CheckpointStore.remove(for: planned.job, workDirectory: directory.workPath)
            return .ok
        case .cancelled:
            return .interrupted
        }
    }
}
