import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let interruptionCount = Atomic<Int>(0)

/// Ctrl-C handling for a benchmark run: the first SIGINT (or SIGTERM, or SIGHUP) asks the run to stop —
/// no new job starts, running jobs see ``RunContext/checkCancellation()`` throw and are
/// abandoned without a record (or finish, if their suite never checks) — and the run can be
/// resumed by re-running the same command. A second interrupt stops at once.
public enum Interruption {
    /// Installs the handlers (idempotent). Only the tool calls this; tests drive cancellation
    /// through ``Runner``'s `shouldStop` instead.
    public static func installHandlers() {
        signal(SIGINT) { _ in interruptionCount.add(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in interruptionCount.add(1, ordering: .relaxed) }
        // A closed terminal or ssh session: stop as for Ctrl-C (and forward it to the workers)
        // rather than die with the workers left running.
        signal(SIGHUP) { _ in interruptionCount.add(1, ordering: .relaxed) }
    }

    /// How many interrupts arrived.
    public static var count: Int { interruptionCount.load(ordering: .relaxed) }

    /// Whether the user asked to stop.
    public static var isRequested: Bool { count > 0 }
}
