import Foundation
import TensorCore

/// The one lock that tests hold while they change the process-wide BLAS thread count.
///
/// Swift Testing runs tests in parallel, and the tests of every target run in one process, so a
/// test that sets ``BLASRuntime/setThreadCount(_:)`` changes it for every test running beside
/// it. Tests that set the count (directly, or through code that pins it) do so inside
/// ``withBLASThreads(_:_:)`` or ``BLASThreadsLock/withLock(_:)``, which run one at a time. The
/// lock is recursive, so a locked body may call code that takes it again on the same thread.
public enum BLASThreadsLock {
    private static let lock = NSRecursiveLock()

    /// Runs `body` holding the lock. `body` is synchronous: the lock is released on the thread
    /// that took it.
    public static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// Runs `body` with BLAS calls limited to `count` threads, holding ``BLASThreadsLock``, and
/// restores the previous count afterwards.
public func withBLASThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
    try BLASThreadsLock.withLock {
        let previous = BLASRuntime.threadCount
        BLASRuntime.setThreadCount(count)
        defer { BLASRuntime.setThreadCount(previous) }
        return try body()
    }
}
