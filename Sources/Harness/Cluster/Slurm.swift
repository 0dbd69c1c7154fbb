import Foundation

/// One `tnbench submit`: the array jobs it submitted (with the offset of their task ids) and the
/// report job. Kept in `DIR/slurm/submissions.json`, so `status` and a later `submit` can ask
/// `squeue` about them.
public struct SlurmSubmission: Codable, Sendable, Equatable {
    public struct ArrayJob: Codable, Sendable, Equatable {
        public var jobID: String
        public var offset: Int
        public var indices: [Int]
        enum CodingKeys: String, CodingKey { case jobID = "job_id", offset, indices }
        public init(jobID: String, offset: Int, indices: [Int]) {
            self.jobID = jobID
            self.offset = offset
            self.indices = indices
        }
    }
    public var time: String
    public var arrays: [ArrayJob]
    public var reportJobID: String?
    enum CodingKeys: String, CodingKey { case time, arrays, reportJobID = "report_job_id" }
    public init(time: String, arrays: [ArrayJob], reportJobID: String?) {
        self.time = time
        self.arrays = arrays
        self.reportJobID = reportJobID
    }
}

/// A task of one of the run's array jobs as `squeue` shows it.
public struct SlurmQueueEntry: Sendable, Equatable {
    public var arrayJobID: String
    public var taskID: Int
    /// Slurm's state name: `PENDING`, `RUNNING`, `COMPLETING`…
    public var state: String

    public init(arrayJobID: String, taskID: Int, state: String) {
        self.arrayJobID = arrayJobID
        self.taskID = taskID
        self.state = state
    }

    /// Whether the task is still to start (pending, held, requeued).
    public var isPending: Bool { ["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SUSPENDED", "RESV_DEL_HOLD"].contains(state) }
    /// Whether the task is running (or starting, or ending).
    public var isRunning: Bool { ["RUNNING", "CONFIGURING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING"].contains(state) }
}

/// The Slurm commands `tnbench` uses: `sbatch` to submit, `squeue` to see what is queued.
public enum Slurm {
    /// Runs a command found on `PATH`; nil when it cannot start.
    static func execute(_ command: String, _ arguments: [String]) -> (status: Int32, output: String, error: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        do { try process.run() } catch { return nil }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // env exits 127 when the command is missing.
        if process.terminationStatus == 127 && out.isEmpty { return nil }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Submits a script and returns its job id (`sbatch --parsable`).
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` with sbatch's own message when it refuses.
    public static func submit(_ script: String, afterAny dependencies: [String] = []) throws -> String {
        var arguments = ["--parsable"]
        if !dependencies.isEmpty { arguments.append("--dependency=afterany:" + dependencies.joined(separator: ":")) }
        arguments.append(script)
        guard let result = execute("sbatch", arguments) else {
            throw HarnessError(.invalidArgument, "sbatch not found: run on a Slurm login node, or use --dry-run to write the scripts only")
        }
        let id = result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard result.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let reason = result.error.split(separator: "\n").first.map(String.init) ?? "exit status \(result.status)"
            throw HarnessError(.invalidArgument, "sbatch refused \(script): \(reason)")
        }
        return id
    }

    /// The queued and running tasks of the array jobs named `jobName`, one entry per task; nil
    /// when `squeue` is not there or fails (no Slurm: the records alone tell the state).
    public static func queue(jobName: String) -> [SlurmQueueEntry]? {
        guard let result = execute("squeue", ["-h", "-r", "--name=\(jobName)", "-o", "%F|%K|%T"]), result.status == 0 else {
            return nil
        }
        return parseQueue(result.output)
    }

    /// Parses `squeue -h -r -o "%F|%K|%T"` lines (array job id, task id, state); other jobs
    /// (the report job, whose task id is `N/A`) are left out.
    public static func parseQueue(_ text: String) -> [SlurmQueueEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 3, let task = Int(fields[1]) else { return nil }
            return SlurmQueueEntry(arrayJobID: fields[0], taskID: task, state: fields[2])
        }
    }
}

extension ResultDirectory {
    public var slurmPath: String { path + "/slurm" }
    public var submissionsPath: String { slurmPath + "/submissions.json" }

    /// The Slurm submissions made for this run, oldest first (empty when none).
    public func submissions() -> [SlurmSubmission] {
        guard let data = FileManager.default.contents(atPath: submissionsPath) else { return [] }
        return (try? JSONDecoder().decode([SlurmSubmission].self, from: data)) ?? []
    }

    public func recordSubmission(_ submission: SlurmSubmission) throws {
        try FileManager.default.createDirectory(atPath: slurmPath, withIntermediateDirectories: true)
        let data = try JSONEncoder.pretty.encode(submissions() + [submission])
        try atomicWrite(submissionsPath, bytes: Array(data))
    }

    /// The plan indices `squeue` shows as pending or running, from the run's submissions.
    public func queuedIndices(_ queue: [SlurmQueueEntry]) -> (pending: Set<Int>, running: Set<Int>) {
        var offsets: [String: Int] = [:]
        for submission in submissions() { for array in submission.arrays { offsets[array.jobID] = array.offset } }
        var pending = Set<Int>(), running = Set<Int>()
        for entry in queue {
            guard let offset = offsets[entry.arrayJobID] else { continue }
            if entry.isRunning { running.insert(entry.taskID + offset) } else if entry.isPending { pending.insert(entry.taskID + offset) }
        }
        return (pending, running)
    }
}

/// What became of a planned run: counts from the records and, when Slurm is there, the queue.
public struct RunStatus: Sendable {
    public var total = 0
    public var completed = 0
    public var failed = 0
    public var diverged = 0
    /// No record; queued in Slurm.
    public var pending = 0
    /// No record; running in Slurm.
    public var running = 0
    /// No record and not in the queue (never submitted, cancelled, killed, or no Slurm here).
    public var missing = 0
    /// Failed and diverged jobs with their messages.
    public var unsuccessful: [PlannedJobState] = []
    /// Whether the queue was consulted.
    public var queueKnown = false

    public init(states: [PlannedJobState], pending: Set<Int> = [], running: Set<Int> = [], queueKnown: Bool = false) {
        total = states.count
        self.queueKnown = queueKnown
        for state in states {
            switch state.status {
            case .completed?: completed += 1
            case .failed?:
                failed += 1
                unsuccessful.append(state)
            case .diverged?:
                diverged += 1
                unsuccessful.append(state)
            case nil:
                if running.contains(state.entry.index) {
                    self.running += 1
                } else if pending.contains(state.entry.index) {
                    self.pending += 1
                } else {
                    missing += 1
                }
            }
        }
    }

    /// One line of counts: `12 jobs: 9 completed, 1 failed, 0 diverged, 1 running, 1 pending, 0 without a record`.
    public var line: String {
        var text = "\(total) jobs: \(completed) completed, \(failed) failed, \(diverged) diverged"
        if queueKnown { text += ", \(running) running, \(pending) pending" }
        text += ", \(missing) without a record\(queueKnown ? " and not queued" : "")"
        return text
    }
}
