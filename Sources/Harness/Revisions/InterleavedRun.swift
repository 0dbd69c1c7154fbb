import Foundation
import TensorCore

/// Which build of an A/B run a job belongs to.
public enum RevisionSide: String, Sendable, CaseIterable {
    case base, head
}

/// The same jobs run by two builds in one alternating sequence (asv's `continuous`), so that
/// whatever else the machine does falls on both alike.
///
/// Each job runs on both builds back to back, and consecutive jobs form blocks of two whose order
/// is A B B A or B A A B, a fixed pseudorandom choice per block (``schedule(_:)``). Within a block
/// each side goes first once, which cancels a steady drift (a machine warming up or a neighbour
/// finishing) between the two sides. Drawing the block's order, rather than repeating A B B A,
/// keeps a disturbance that recurs about every four jobs (a host's periodic task) from falling on
/// one side every time: it becomes noise the speed interval sees, not a shift it mistakes for one
/// build being faster. Jobs already recorded in a side's directory are skipped, so an interrupted
/// A/B resumes.
public struct InterleavedRun: Sendable {
    public var base: ResultDirectory
    public var head: ResultDirectory

    public init(base: ResultDirectory, head: ResultDirectory) {
        self.base = base
        self.head = head
    }

    /// The order in which `jobs` run: for each job, both sides back to back. Jobs 2k and 2k + 1
    /// form block k, run A B B A or B A A B (A the side that goes first in the block), with A
    /// drawn from a Philox stream of fixed seed, one draw per block: the same jobs always give the
    /// same order, which resuming relies on. A last job without a partner draws its first side too.
    public static func schedule(_ jobs: [Job]) -> [(side: RevisionSide, job: Job)] {
        var draws = Philox(seed: scheduleSeed)
        return stride(from: 0, to: jobs.count, by: 2).flatMap { start -> [(side: RevisionSide, job: Job)] in
            let first: RevisionSide = draws.next() & 1 == 0 ? .base : .head
            let second: RevisionSide = first == .base ? .head : .base
            var block = [(first, jobs[start]), (second, jobs[start])]
            if start + 1 < jobs.count { block += [(second, jobs[start + 1]), (first, jobs[start + 1])] }
            return block
        }
    }

    /// The seed of the blocks' draws (any fixed value: it only has to be the same every time).
    static let scheduleSeed: UInt64 = 0x5EED_AB0B

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
