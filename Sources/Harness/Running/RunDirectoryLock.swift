import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a run directory (`flock` on a file in it), so that two commands cannot
/// interleave their writes: two `plan`s or `run`s into one `--out` would each read `plan.json`,
/// add their jobs and write it back, and one command's jobs would be lost while indices already
/// handed out named other jobs.
///
/// Two locks, for two kinds of writer:
/// - ``Kind/plan`` (`DIR/.plan.lock`) guards `plan.json`'s read-modify-write. `plan` and `run`
///   take it for that moment only, waiting up to ``waitSeconds`` for another planner.
/// - ``Kind/run`` (`DIR/.run.lock`) is held by `run` from planning to merge, so a second `run`
///   into the same directory fails at once instead of running the same jobs side by side. The
///   `run-job` workers of `run --jobs K` and Slurm array tasks take neither lock: each writes its
///   own record (atomically, under its own name), so their writes need no serializing.
///
/// The holder writes its pid, start time and command line into the lock file; a command that
/// cannot get the lock names them in its one-line error. The kernel releases a lock when its
/// holder exits, however it exits, so a killed command never leaves the directory locked.
public final class RunDirectoryLock: @unchecked Sendable {
    public enum Kind: String, Sendable {
        case plan = ".plan.lock"
        case run = ".run.lock"
    }

    /// How long a planner waits for another planner's lock before giving up.
    public static let waitSeconds = 10.0

    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { release() }

    private var released = false

    /// Releases the lock (also done when the lock is deallocated or the process exits).
    public func release() {
        guard !released else { return }
        released = true
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the `kind` lock of the run directory at `directory` (which must exist), waiting up
    /// to `wait` seconds.
    ///
    /// - Throws: ``HarnessError`` `.unwritableOutput` when the lock file cannot be opened,
    ///   `.invalidArgument` naming the holder (pid, start time, command) when another command
    ///   holds the lock.
    public static func acquire(_ kind: Kind, in directory: String, wait: Double = 0) throws -> RunDirectoryLock {
        let path = directory + "/" + kind.rawValue
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw HarnessError(.unwritableOutput, "cannot open the lock file '\(path)': \(String(cString: strerror(errno))); choose a writable --out")
        }
        let deadline = Date().addingTimeInterval(wait)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                close(descriptor)
                let what = kind == .run ? "running jobs into it" : "planning into it"
                throw HarnessError(
                    .invalidArgument,
                    "'\(directory)' is locked by another tnbench \(what) (\(holder.isEmpty ? "holder unknown" : holder)); wait for it to end or choose another --out")
            }
            usleep(50_000)
        }
        let holder = "pid \(getpid()), since \(Timestamp.now()): \(CommandLine.arguments.joined(separator: " "))\n"
        _ = ftruncate(descriptor, 0)
        _ = holder.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return RunDirectoryLock(descriptor: descriptor, path: path)
    }
}
