import Foundation

/// What `tnbench submit` asks Slurm for, beyond the jobs themselves.
public struct SlurmOptions: Sendable, Equatable {
    /// Per array task; nil fields take the largest over the submitted jobs' tier resources.
    public var cpus: Int?
    public var memoryMegabytes: Int?
    public var timeMinutes: Int?
    /// `--array=…%K`: at most K tasks at once (nil: no cap).
    public var maxConcurrent: Int?
    public var partition: String?
    public var account: String?
    /// Extra `#SBATCH` lines (with or without the `#SBATCH` prefix): `--qos=long`, `--constraint=avx2`.
    public var extraDirectives: [String]
    /// Shell lines run before the job (`module load openblas`, `source env.sh`).
    public var preamble: [String]
    /// The `tnbench` the tasks run (absolute; it must be visible from the compute nodes).
    public var executable: String
    /// The data directory the tasks read (absolute; visible from the compute nodes).
    public var dataDirectory: String
    /// The baselines directory the report job reads (absolute).
    public var baselines: String
    /// Passed on to the report job's merge (see ``ResultDirectory/merge(allowMixedBuilds:)``).
    public var allowMixedBuilds: Bool
    /// Array indices per array job: Slurm's default `MaxArraySize` is 1001, so larger plans are
    /// submitted as several arrays, each shifting its task ids by an offset.
    public var arrayChunk: Int

    public init(
        cpus: Int? = nil, memoryMegabytes: Int? = nil, timeMinutes: Int? = nil, maxConcurrent: Int? = nil,
        partition: String? = nil, account: String? = nil, extraDirectives: [String] = [], preamble: [String] = [],
        executable: String, dataDirectory: String, baselines: String, allowMixedBuilds: Bool = false, arrayChunk: Int = 1000
    ) {
        self.cpus = cpus
        self.memoryMegabytes = memoryMegabytes
        self.timeMinutes = timeMinutes
        self.maxConcurrent = maxConcurrent
        self.partition = partition
        self.account = account
        self.extraDirectives = extraDirectives
        self.preamble = preamble
        self.executable = executable
        self.dataDirectory = dataDirectory
        self.baselines = baselines
        self.allowMixedBuilds = allowMixedBuilds
        self.arrayChunk = arrayChunk
    }

    /// The resources of one task: the flags, else the largest of `jobs`' resources.
    public func resources(for jobs: [PlanEntry]) -> JobResources {
        let planned = JobResources.maximum(jobs.map(\.resources)) ?? .default(for: .smoke)
        return JobResources(
            cpus: cpus ?? planned.cpus, memoryMegabytes: memoryMegabytes ?? planned.memoryMegabytes,
            timeMinutes: timeMinutes ?? planned.timeMinutes, gpus: planned.gpus)
    }
}

/// One array job of a submission: the plan indices `offset + task id` for the task ids of ``arraySpec``.
public struct SlurmArray: Sendable, Equatable {
    public var offset: Int
    public var indices: [Int]
    /// The script's path in the run directory.
    public var scriptPath: String
    public var script: String
    public var arraySpec: String
}

/// The sbatch scripts of a run directory (`tnbench submit`): array jobs that run one planned job
/// per task (`tnbench run-job DIR INDEX`), and a report job that starts when they have all ended
/// (`--dependency=afterany`), merges, compares and writes `DIR/report/REPORT.md`.
///
/// Everything goes into `DIR/slurm/`: the scripts, the tasks' stdout and stderr
/// (`logs/<array job>_<task>.out|.err`) and `submissions.json`.
public enum SlurmScript {
    /// Slurm's array syntax for a set of task ids: runs of consecutive ids become ranges,
    /// `%K` caps concurrency. `[0, 1, 2, 5, 7, 8]`, cap 2 → `"0-2,5,7-8%2"`.
    public static func arraySpec(_ taskIDs: [Int], maxConcurrent: Int?) -> String {
        let sorted = Array(Set(taskIDs)).sorted()
        var parts: [String] = []
        var start = 0
        while start < sorted.count {
            var end = start
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(start == end ? "\(sorted[start])" : "\(sorted[start])-\(sorted[end])")
            start = end + 1
        }
        return parts.joined(separator: ",") + (maxConcurrent.map { "%\($0)" } ?? "")
    }

    /// `minutes` as Slurm's `[days-]hours:minutes:seconds`.
    public static func time(_ minutes: Int) -> String {
        let days = minutes / 1440, hours = minutes % 1440 / 60, rest = minutes % 60
        let clock = String(format: "%02d:%02d:00", hours, rest)
        return days > 0 ? "\(days)-\(clock)" : clock
    }

    /// `text` quoted for a POSIX shell (left bare when it has only safe characters).
    public static func quote(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `text` quoted for an `#SBATCH` line: sbatch splits a directive at white space outside
    /// double quotes and takes a backslash as an escape, so a path with a space or a quote is
    /// written `"…"` with `\` and `"` escaped (left bare when it has only safe characters).
    public static func directiveQuote(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains) { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The job name of a run's array and report jobs (`status` finds them in `squeue` by it).
    public static func jobName(_ directory: ResultDirectory) -> String { "tnbench-\(directory.name)" }

    static func header(_ lines: [String], options: SlurmOptions) -> String {
        var text = "#!/bin/bash\n"
        for line in lines { text += "#SBATCH \(line)\n" }
        if let partition = options.partition { text += "#SBATCH --partition=\(partition)\n" }
        if let account = options.account { text += "#SBATCH --account=\(account)\n" }
        for line in options.extraDirectives {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            text += trimmed.hasPrefix("#SBATCH") ? "\(trimmed)\n" : "#SBATCH \(trimmed)\n"
        }
        return text
    }

    static func preamble(_ options: SlurmOptions) -> String {
        options.preamble.isEmpty ? "" : "# preamble (--preamble)\n" + options.preamble.joined(separator: "\n") + "\n"
    }

    /// The array jobs that run `indices` (plan indices) of the run in `directory` (an absolute path).
    ///
    /// The indices are grouped by the GPUs their jobs ask for before they are chunked, so that an
    /// array asks for a GPU only when every one of its jobs does (an implementation that wants a
    /// GPU, interleaved with native jobs, would otherwise put the native jobs on GPU nodes too).
    /// Each group's array of chunk `k` keeps the offset `k × arrayChunk`; a GPU array's script is
    /// named `array-<stamp>-<offset>-gpu<N>.sbatch` beside the CPU one of the same offset.
    public static func arrays(
        directory: ResultDirectory, plan: RunPlan, indices: [Int], options: SlurmOptions, stamp: String
    ) -> [SlurmArray] {
        let chunk = max(options.arrayChunk, 1)
        struct Key: Hashable, Comparable {
            var chunk: Int, gpus: Int
            static func < (a: Key, b: Key) -> Bool { (a.chunk, a.gpus) < (b.chunk, b.gpus) }
        }
        let groups = Dictionary(grouping: Array(Set(indices)).sorted()) { index in
            Key(chunk: index / chunk, gpus: (try? plan.entry(at: index))?.resources.gpus ?? 0)
        }
        return groups.keys.sorted().map { key in
            let group = groups[key]!
            let offset = key.chunk * chunk
            let entries = group.compactMap { try? plan.entry(at: $0) }
            let resources = options.resources(for: entries)
            let spec = arraySpec(group.map { $0 - offset }, maxConcurrent: options.maxConcurrent)
            let logs = "\(directory.path)/slurm/logs"
            var text = header([
                "--job-name=\(directiveQuote(jobName(directory)))",
                "--array=\(spec)",
                "--ntasks=1",
                "--cpus-per-task=\(resources.cpus)",
                "--mem=\(resources.memoryMegabytes)M",
                "--time=\(time(resources.timeMinutes))",
            ] + (resources.gpus > 0 ? ["--gres=gpu:\(resources.gpus)"] : []) + [
                "--output=\(directiveQuote(logs + "/%A_%a.out"))",
                "--error=\(directiveQuote(logs + "/%A_%a.err"))",
                // A preempted task goes back in the queue and its job resumes from its checkpoint;
                // its log keeps the first attempt's lines.
                "--requeue",
                "--open-mode=append",
            ], options: options)
            text += """
                # Generated by `tnbench submit` (\(stamp)): one task per job of \(directory.planPath)
                # that had no record (plan indices \(arraySpec(group, maxConcurrent: nil))).
                # Task id + \(offset) = plan index. A task writes its job's record into the run directory.
                set -e

                """
            text += preamble(options)
            text += """
                export OPENBLAS_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
                exec \(quote(options.executable)) run-job \(quote(directory.path)) "$((SLURM_ARRAY_TASK_ID + \(offset)))" \\
                    --blas-threads "${SLURM_CPUS_PER_TASK:-1}" --data-dir \(quote(options.dataDirectory))

                """
            return SlurmArray(
                offset: offset, indices: group, scriptPath: "\(directory.path)/slurm/array-\(stamp)-\(offset)\(key.gpus > 0 ? "-gpu\(key.gpus)" : "").sbatch",
                script: text, arraySpec: spec)
        }
    }

    /// The report job: status, merge + compare (into `DIR/compare.txt`) and the report
    /// (`DIR/report/REPORT.md`). It runs whatever the tasks' exit statuses were (`afterany`).
    public static func reportScript(directory: ResultDirectory, options: SlurmOptions, stamp: String) -> String {
        let logs = "\(directory.path)/slurm/logs"
        let tool = quote(options.executable)
        let run = quote(directory.path)
        let mixed = options.allowMixedBuilds ? " --allow-mixed-builds" : ""
        var text = header([
            "--job-name=\(directiveQuote(jobName(directory) + "-report"))",
            "--ntasks=1",
            "--cpus-per-task=1",
            "--mem=2048M",
            "--time=\(time(30))",
            "--output=\(directiveQuote(logs + "/report_%j.out"))",
            "--error=\(directiveQuote(logs + "/report_%j.err"))",
        ], options: options)
        text += "# Generated by `tnbench submit` (\(stamp)): runs after the array jobs have ended, whatever their status.\n"
        text += preamble(options)
        text += """
            \(tool) status \(run) || true
            compare_status=0
            \(tool) compare \(run) --baselines \(quote(options.baselines))\(mixed) > \(quote(directory.path + "/compare.txt")) || compare_status=$?
            echo "tnbench compare exited $compare_status (0 ok, 1 regression, 3 a job failed or diverged, 4 no reference); see" \(quote(directory.path + "/compare.txt"))
            exec \(tool) report \(run) --baselines \(quote(options.baselines)) --out \(quote(directory.path + "/report"))\(mixed)

            """
        return text
    }
}
