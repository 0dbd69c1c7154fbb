import Foundation
import TensorCore

/// The machine's CPU counters at one moment: what every processor has spent busy, what this
/// process and its finished children have spent, and the monotonic clock. Two readings around a
/// job of `tnbench ab` tell how much of the machine's work during it was not the A/B's own.
public struct CPUCounters: Sendable, Equatable, Codable {
    /// CPU seconds the whole machine spent busy since boot: user, nice, system, irq, softirq and
    /// steal of /proc/stat's `cpu` line (guest time is inside user and nice; idle and iowait are
    /// not busy). Steal counts: on a virtual machine it is another tenant's load.
    public var machineBusySeconds: Double
    /// CPU seconds (user + system) of this process and of its children that have ended and been
    /// waited for (`getrusage` of self and of children): the A/B's own work.
    public var ownSeconds: Double
    /// The monotonic clock, in seconds.
    public var wallSeconds: Double

    public init(machineBusySeconds: Double, ownSeconds: Double, wallSeconds: Double) {
        self.machineBusySeconds = machineBusySeconds
        self.ownSeconds = ownSeconds
        self.wallSeconds = wallSeconds
    }

    /// Reads the counters now; nil where /proc/stat cannot be read (not Linux), so load is then
    /// not measured. Cost: one small file read and two system calls.
    public static func read() -> CPUCounters? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let busy = machineBusySeconds(procStat: text)
        else { return nil }
        func seconds(_ usage: rusage) -> Double {
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        var mine = rusage(), children = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &mine) == 0,
            getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &children) == 0 else { return nil }
        #else
        guard getrusage(RUSAGE_SELF, &mine) == 0, getrusage(RUSAGE_CHILDREN, &children) == 0 else { return nil }
        #endif
        return CPUCounters(
            machineBusySeconds: busy, ownSeconds: seconds(mine) + seconds(children),
            wallSeconds: MonotonicClock.seconds())
    }

    /// The busy seconds of /proc/stat's aggregate `cpu` line (`cpu user nice system idle iowait irq
    /// softirq steal guest guest_nice`, in USER_HZ = 100 ticks per second); nil when it is missing.
    public static func machineBusySeconds(procStat text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 4 else { return nil }
        let ticks = [0, 1, 2, 5, 6, 7].filter { $0 < fields.count }.map { fields[$0] }.reduce(0, +)
        return ticks / 100
    }
}

/// The load on the machine that was not the A/B's own during one job of `tnbench ab`.
public struct JobLoad: Sendable, Equatable, Codable {
    /// `base` or `head`, and the job, for the log.
    public var side: String
    public var job: String
    public var wallSeconds: Double
    /// Busy CPU seconds of the machine beyond the A/B's own (its child's and its own): other
    /// processes, or a hypervisor's other guests. Never negative.
    public var foreignSeconds: Double

    public init(side: String, job: String, wallSeconds: Double, foreignSeconds: Double) {
        self.side = side
        self.job = job
        self.wallSeconds = wallSeconds
        self.foreignSeconds = foreignSeconds
    }

    /// The load between two readings.
    public init(side: String, job: String, from start: CPUCounters, to end: CPUCounters) {
        let machine = end.machineBusySeconds - start.machineBusySeconds
        let own = end.ownSeconds - start.ownSeconds
        self.init(side: side, job: job, wallSeconds: max(0, end.wallSeconds - start.wallSeconds), foreignSeconds: max(0, machine - own))
    }

    /// Foreign load in cores: foreign CPU seconds per second of the job.
    public var foreignCores: Double { wallSeconds > 0 ? foreignSeconds / wallSeconds : 0 }
}

/// Whether the machine was quiet enough during an A/B for its speed verdicts to mean anything.
///
/// **The signal.** Around each job, ``CPUCounters`` are read: the machine's busy CPU time minus
/// the A/B's own (its `run-job` child's, exactly, from `getrusage`, and its own) is the load of
/// everything else. This is cheap (a file read per job), needs no privilege, and does not depend
/// on what the job does: unlike /proc/loadavg it does not count the job itself, nor lag by a
/// minute. /proc/stat counts in ticks of 10 ms per processor, so one reading pair may be off by
/// up to 0.01 s × processors; the mean below divides the sum over all jobs by their total time,
/// and a job counts on its own only when it ran long enough for that error to stay under a tenth
/// of a core (``minimumJobSeconds(processors:)``).
///
/// **The rule.** The A/B declines to judge speed (verdict *undecided*, exit status unaffected)
/// when the foreign load averaged more than ``meanThreshold`` (half a core) over the jobs, or
/// when more than ``loadedShareThreshold`` (a quarter) of the jobs long enough to tell ran under
/// more than ``jobThreshold`` (half a core). Half a core: a competitor that busy takes a core's
/// worth of cache, memory bandwidth and turbo budget half the time — on the job's own cores
/// when the scheduler puts it there (we cannot see which) — which moves step times by far more
/// than the 5% a speed verdict resolves; the interleaved order makes load fall on both sides
/// alike only on average, and the false alarm (×1.655 from a comment-only change) came
/// at load 4. A quarter of the jobs: a transient load that hits a few jobs is already absorbed
/// by the spread between jobs in the interval (``SpeedRatio``); one that hits many is not.
///
/// **The A/A spread, and why it is not a second gate.** Jobs of one side and configuration (its
/// seeds) are an A/A comparison, and their spread beyond sampling noise (τ̂, ``SpeedRatio/jobSpread``)
/// already widens every speed interval, so a noisy machine makes verdicts less confident rather
/// than wrong. As a trigger to decline it is too weak: at the smoke and ci tiers a configuration
/// has two or three seeds, so τ̂ rests on two or three medians (its estimate varies by a factor of
/// several from chance alone), and seeds can legitimately differ in time (a different number of
/// escapes, an early stop). The measured foreign load is direct evidence; the spread stays where
/// it is useful, in the interval, and is shown in each speed row's reason.
public struct LoadAssessment: Sendable, Equatable {
    public var jobs: [JobLoad]
    /// The machine's logical processors (for the per-job resolution).
    public var processors: Int

    /// Mean foreign load above which speed is not judged: half a core.
    public static let meanThreshold = 0.5
    /// A job ran loaded when its foreign load exceeded half a core.
    public static let jobThreshold = 0.5
    /// Speed is not judged when more than this share of the jobs long enough to tell ran loaded.
    public static let loadedShareThreshold = 0.25

    public init(jobs: [JobLoad], processors: Int = ProcessInfo.processInfo.processorCount) {
        self.jobs = jobs
        self.processors = max(1, processors)
    }

    /// The shortest job whose own reading resolves a tenth of a core: 0.01 s of tick error per
    /// processor, over 0.1 core, and at least a second.
    public static func minimumJobSeconds(processors: Int) -> Double { max(1, Double(processors) / 10) }

    /// Foreign CPU seconds over the jobs' total time: the time-weighted mean foreign load in cores.
    public var meanForeignCores: Double {
        let wall = jobs.map(\.wallSeconds).reduce(0, +)
        return wall > 0 ? jobs.map(\.foreignSeconds).reduce(0, +) / wall : 0
    }

    /// The jobs long enough to judge on their own, and those of them that ran loaded.
    public var timedJobs: [JobLoad] { jobs.filter { $0.wallSeconds >= Self.minimumJobSeconds(processors: processors) } }
    public var loadedJobs: [JobLoad] { timedJobs.filter { $0.foreignCores > Self.jobThreshold } }

    /// Whether speed must not be judged.
    public var isLoaded: Bool {
        guard !jobs.isEmpty else { return false }
        if meanForeignCores > Self.meanThreshold { return true }
        let timed = timedJobs.count
        return timed > 0 && Double(loadedJobs.count) / Double(timed) > Self.loadedShareThreshold
    }

    /// One line: the mean foreign load, the loaded jobs, and what follows.
    public var summary: String {
        guard !jobs.isEmpty else { return "the machine's load was not measured (no job ran in this invocation, or /proc/stat is unreadable)" }
        let mean = String(format: "%.2f", meanForeignCores)
        let shortest = String(format: "%g", Self.minimumJobSeconds(processors: processors))
        let share = timedJobs.isEmpty
            ? "" : "; \(loadedJobs.count) of \(timedJobs.count) job(s) of \(shortest) s or more ran above \(Self.jobThreshold) core"
        return "load not the A/B's own: \(mean) core(s) on average over \(jobs.count) job(s)\(share)"
    }
}
