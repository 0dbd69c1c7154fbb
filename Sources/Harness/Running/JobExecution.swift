import Foundation
import TensorCore

/// How one job ended, from the point of view of the runner.
public enum JobOutcome: Sendable {
    /// The job ended (completed, failed or diverged) and this is its record.
    case finished(JobRecord)
    /// The user interrupted it: no record is written and a re-run will redo it.
    case cancelled
}

/// Runs a single job in this process: the unit both the in-process runner and a worker process use.
public enum JobExecution {
    /// Runs `suite` on one job with a fresh ``RunContext`` and turns what happened into a record:
    /// a normal return is *completed* unless a recorded scalar is not finite (*diverged*);
    /// ``Divergence``, a trainer's `NonFiniteLoss` and a non-finite matrix reaching a decomposition
    /// (`LinearAlgebraError.nonFiniteInput`) are *diverged*; `CancellationError` is ``JobOutcome/cancelled``;
    /// ``SuiteInputError`` (bad input) and any other error are *failed* with the error's
    /// one-line description. Never throws.
    public static func run(
        _ planned: PlannedJob, tier: Tier, dataDirectory: String, workDirectory: String? = nil,
        progress: (@Sendable (Double, String) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) -> JobOutcome {
        let execution = JobExecutionSettings(
            workDirectory: workDirectory, threads: BLASRuntime.threadCount,
            timeLimitSeconds: Double(planned.resources.timeMinutes) * 60, started: MonotonicClock.seconds())
        let context = RunContext(
            suite: planned.job.suite, tier: tier, configuration: planned.job.configuration, seed: planned.job.seed,
            settings: planned.settings, dataDirectory: dataDirectory, optionalAxisKeys: Set(planned.suite.optionalAxes.map(\.key)),
            execution: execution, progress: progress,
            isCancelled: isCancelled)
        if let workDirectory {
            context.checkpoints = CheckpointStore(job: planned.job, settings: planned.settings, workDirectory: workDirectory,
                                                  started: execution.started)
        }
        let startDate = Date()
        context.startTime = Timestamp.string(startDate)
        PeakMemory.reset()
        let start = context.monotonicSeconds()
        var status = JobStatus.completed
        var message = ""
        do {
            try planned.suite.run(context)
            if let bad = context.recorded.scalars.sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFinite }) {
                status = .diverged
                message = "recorded a non-finite scalar: \(bad.key) = \(bad.value)"
            }
        } catch let divergence as Divergence {
            status = .diverged
            message = divergence.message
        } catch let nonFinite as NonFiniteLoss {
            status = .diverged
            message = nonFinite.description
        } catch is CancellationError {
            return .cancelled
        } catch let error as LinearAlgebraError where error.isNonFiniteInput {
            // NaN or infinity reached a decomposition: the numbers diverged, the input was fine.
            status = .diverged
            message = error.description
        } catch let input as SuiteInputError {
            status = .failed
            message = input.description
        } catch {
            status = .failed
            message = String(describing: error)
        }
        let wall = context.monotonicSeconds() - start + context.earlierSeconds
        var record = JobRecord(
            job: planned.job, tier: tier, status: status, message: message, record: context.recorded,
            settings: planned.settings, provenance: Provenance.current(), startTime: context.startTime,
            endTime: Timestamp.now(), wallSeconds: wall, overrides: planned.overrides)
        record.resumedAfterRound = context.resumedAfterRound
        record.peakResidentBytes = PeakMemory.peakResidentBytes()
        if let child = context.childPeakResidentBytes {
            // An external implementation's process: its peak is the job's.
            record.peakResidentBytes = Double(child)
        }
        return .finished(record)
    }

    /// A record for a job whose worker process died without writing one (a crash, an abort, a kill).
    static func crashRecord(_ planned: PlannedJob, tier: Tier, reason: String, started: Date, wallSeconds: Double) -> JobRecord {
        JobRecord(
            job: planned.job, tier: tier, status: .failed, message: reason, record: RunRecord(),
            settings: planned.settings, provenance: Provenance.current(), startTime: Timestamp.string(started),
            endTime: Timestamp.now(), wallSeconds: wallSeconds, overrides: planned.overrides)
    }
}
