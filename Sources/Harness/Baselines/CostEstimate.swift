import Foundation

/// What a set of planned jobs will cost, from the job times and peak memory a committed reference
/// of the same tier recorded (``ReferenceBaselines/JobCost``): `tnbench list` shows it per tier,
/// `tnbench plan` and `run` for what they planned, so a user can choose between a laptop night
/// and a cluster before starting.
///
/// A job is estimated by the mean wall time of its configuration's recorded seeds, on the
/// machine and thread count of the recording (core-hours count those threads); a configuration
/// the reference has no jobs of is not guessed at but counted as not estimated.
public struct CostEstimate: Sendable, Equatable {
    /// The planned jobs.
    public var jobs: Int
    /// Those whose configuration the reference recorded.
    public var estimatedJobs: Int
    /// The estimated jobs' wall time, one after another.
    public var seconds: Double
    /// The same times the recorded threads of each job.
    public var coreSeconds: Double
    /// The largest recorded peak resident memory of the estimated jobs' configurations; nil when
    /// none was measured.
    public var peakResidentBytes: Double?
    /// Where the numbers come from: "the committed ci reference (build 311e179, 2026-12-02, Intel(R) Xeon(R) Processor)".
    public var source: String

    /// The estimate of `configurations` (one entry per planned job) from `reference`; nil when
    /// there is no reference or it recorded no job costs.
    public static func estimate(configurations: [Configuration], reference: ReferenceBaselines?) -> CostEstimate? {
        guard let reference, let costs = reference.jobs, !costs.isEmpty else { return nil }
        let byConfiguration = Dictionary(costs.map { ($0.configuration, $0) }, uniquingKeysWith: { first, _ in first })
        var estimate = CostEstimate(
            jobs: configurations.count, estimatedJobs: 0, seconds: 0, coreSeconds: 0, peakResidentBytes: nil,
            source: "the committed \(reference.tier.rawValue) reference (build \(String(reference.gitCommit.prefix(7))), "
                + "\(String(reference.created.prefix(10))), \(reference.cpuModel))")
        for configuration in configurations {
            guard let cost = byConfiguration[configuration] else { continue }
            let mean = Statistics.mean(cost.seconds)
            estimate.estimatedJobs += 1
            estimate.seconds += mean
            estimate.coreSeconds += mean * Double(cost.threads)
            if let peak = cost.peakResidentBytes.max() { estimate.peakResidentBytes = Swift.max(estimate.peakResidentBytes ?? 0, peak) }
        }
        return estimate
    }

    /// The sum of several suites' estimates (their sources joined); nil when none.
    public static func total(_ estimates: [CostEstimate]) -> CostEstimate? {
        guard var total = estimates.first else { return nil }
        for other in estimates.dropFirst() {
            total.jobs += other.jobs
            total.estimatedJobs += other.estimatedJobs
            total.seconds += other.seconds
            total.coreSeconds += other.coreSeconds
            if let peak = other.peakResidentBytes { total.peakResidentBytes = Swift.max(total.peakResidentBytes ?? 0, peak) }
        }
        total.source = Array(Set(estimates.map(\.source))).sorted().joined(separator: "; ")
        return total
    }

    /// "≈ 1.2 core-hours (36 min one job at a time), peak 1.4 GiB per job", with "for 40 of 48
    /// jobs" when some are not estimated.
    public var summary: String {
        guard estimatedJobs > 0 else { return "no estimate: the reference recorded none of these configurations" }
        var text = "≈ \(Self.hours(coreSeconds)) core-hours (\(ProgressDisplay.format(seconds)) one job at a time)"
        if let peak = peakResidentBytes { text += ", peak \(String(format: "%.2f", peak / 1_073_741_824)) GiB per job" }
        if estimatedJobs < jobs { text += ", for \(estimatedJobs) of \(jobs) jobs (the others' configurations were not recorded)" }
        return text
    }

    static func hours(_ seconds: Double) -> String {
        let hours = seconds / 3600
        return hours >= 10 ? String(format: "%.0f", hours) : String(format: "%.2g", hours)
    }
}
