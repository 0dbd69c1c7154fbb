import Foundation

/// Which build of an A/B run a job belongs to.
public enum RevisionSide: String, Sendable, CaseIterable {
    case base, head
}

/// The same jobs run by two builds in one alternating sequence (asv's `continuous`), so that
/// whatever else the machine does falls on both alike.
///
/// The order is A B B A A B …: job i runs on the base build first when i is even and on the head
/// build first when i is odd, which also cancels a steady drift (a machine warming up or a
/// neighbour finishing) between the two sides. Jobs already recorded in a side's directory are
/// skipped, so an interrupted A/B resumes.
public struct InterleavedRun: Sendable {
    public var base: ResultDirectory
    public var head: ResultDirectory

    public init(base: ResultDirectory, head: ResultDirectory) {
        self.base = base
        self.head = head
    }

    /// The order in which `jobs` run: for each job, both sides, alternating which goes first.
    public static func schedule(_ jobs: [Job]) -> [(side: RevisionSide, job: Job)] {
        jobs.enumerated().flatMap { index, job in
            index % 2 == 0 ? [(RevisionSide.base, job), (.head, job)] : [(.head, job), (.base, job)]
        }
    }

    public func directory(_ side: RevisionSide) -> ResultDirectory { side == .base ? base : head }

    /// Runs every (side, job) of ``schedule(_:)`` that has no record yet through `execute`, which
    /// must write the job's record into ``directory(_:)`` of its side.
    ///
    /// - Parameters:
    ///   - progress: called before each step with (step, total, side, job).
    ///   - shouldStop: polled between steps; true ends the run early (resume by running again).
    /// - Returns: the number of steps executed.
    @discardableResult
    public func run(
        _ jobs: [Job], execute: (RevisionSide, Job) throws -> Void,
        progress: (Int, Int, RevisionSide, Job) -> Void = { _, _, _, _ in },
        shouldStop: () -> Bool = { false }
    ) rethrows -> Int {
        let steps = Self.schedule(jobs)
        var executed = 0
        for (step, (side, job)) in steps.enumerated() {
            if shouldStop() { break }
            if directory(side).existingRecord(job) != nil { continue }
            progress(step + 1, steps.count, side, job)
            try execute(side, job)
            executed += 1
        }
        return executed
    }
}
