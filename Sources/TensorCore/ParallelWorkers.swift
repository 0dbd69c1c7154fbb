import Dispatch

/// Work spread over threads, each running BLAS with one thread: the parallel loops of the
/// package (image blocks, batch shards, sample blocks of environments, the two halves of a
/// canonicalization) share this one pattern.
///
/// A piece of work must compute the same numbers whichever thread runs it and however many run
/// beside it: callers fix what each piece computes (fixed block boundaries) and combine pieces
/// in a fixed order, so that results depend on the pieces and not on `workers`. A product's
/// last bits can depend on BLAS's thread count, so a piece must also run BLAS on the same
/// count however many workers there are: with several workers it is one thread; a caller
/// that may run a single worker keeps BLAS on one thread then too (as `ClassifierTrainer`'s
/// shards do: they run on as many workers as BLAS has threads).
public enum ParallelWorkers {
    /// Runs `body(w)` for every worker `w` in `0 ..< workers`: on the calling thread when
    /// `workers` is 1; otherwise concurrently (`DispatchQueue.concurrentPerform`), with BLAS set
    /// to one thread for the duration and restored after.
    ///
    /// - Precondition: `workers ≥ 1`.
    public static func run(_ workers: Int, _ body: (_ worker: Int) -> Void) {
        precondition(workers >= 1, "ParallelWorkers.run: \(workers) workers")
        if workers == 1 {
            body(0)
            return
        }
        let threads = BLASRuntime.threadCount
        BLASRuntime.setThreadCount(1)
        defer { BLASRuntime.setThreadCount(threads) }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
        }
    }

    /// Runs `body(i)` for every `i` in `0 ..< count` over up to `workers` workers, worker `w`
    /// taking `w, w + workers, …` (what each `i` computes must not depend on who runs it).
    ///
    /// - Precondition: `count ≥ 0`, `workers ≥ 1`.
    public static func forEach(_ count: Int, workers: Int, _ body: (_ index: Int) -> Void) {
        precondition(count >= 0, "ParallelWorkers.forEach: \(count) pieces")
        guard count > 0 else { return }
        withoutActuallyEscaping(body) { body in
            run(Swift.min(workers, count)) { w in
                for i in stride(from: w, to: count, by: Swift.max(1, Swift.min(workers, count))) { body(i) }
            }
        }
    }
}

/// Wraps a value whose concurrent use the caller has made safe (disjoint writes, reads of values
/// no thread changes).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
