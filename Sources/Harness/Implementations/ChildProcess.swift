import Foundation
import Synchronization
import TensorCore

#if canImport(Glibc)
import Glibc
#endif

/// Runs an external program for one job: in its own process group, standard output read line by
/// line as it comes, standard error into a log file, under a time limit and the job's
/// cancellation, with its peak resident memory measured by the kernel (`wait4`'s `ru_maxrss`).
enum ChildProcess {
    /// How the program ended.
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case cancelled
        /// `wait4` failed: how the program ended is unknown.
        case lost(Int32)
    }

    struct Outcome {
        var ending: Ending
        /// Standard output's lines, in order (a line longer than ``maximumLineBytes`` is cut there).
        var lines: [String]
        var wallSeconds: Double
        /// The process's peak resident set in bytes.
        var peakResidentBytes: Int
        /// Why standard output could not be kept whole: too much of it, or a descendant that
        /// kept it open after the program ended. Nil when it was read to its end.
        var outputProblem: String?
    }

    /// The longest line kept whole (an event is small; a longer line is reported as malformed).
    static let maximumLineBytes = 1 << 20
    /// The most lines kept; the rest are dropped (and make the run fail as malformed).
    static let maximumLines = 1_000_000
    /// The most bytes of standard output kept (events are small; a program printing more has lost its way).
    static let maximumBytes = 256 << 20

    /// Starts `command` (the first element is a path, or a name looked up in `PATH`) in
    /// `directory`, with this process's environment changed by `environment` (an empty value
    /// removes a variable), and waits for it.
    /// - Throws: ``HarnessError`` `.invalidImplementation` when it cannot be started.
    static func run(
        _ command: [String], directory: String, environment: [String: String], standardError: String,
        timeLimit: Double, pidFile: String? = nil, isCancelled: () -> Bool, onLine: @escaping @Sendable (String) -> Void
    ) throws -> Outcome {
        var fileActions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&fileActions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&fileActions)
            posix_spawnattr_destroy(&attributes)
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw HarnessError(.io, "cannot make a pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        let logDescriptor = open(standardError, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logDescriptor >= 0 else {
            close(readEnd); close(writeEnd)
            throw HarnessError(.io, "cannot write \(standardError): \(String(cString: strerror(errno)))")
        }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&fileActions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&fileActions, logDescriptor, 2)
        posix_spawn_file_actions_addclose(&fileActions, readEnd)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var merged = ProcessInfo.processInfo.environment
        // An empty value removes the variable.
        for (key, value) in environment { merged[key] = value.isEmpty ? nil : value }
        let environmentStrings = merged.map { "\($0.key)=\($0.value)" }.sorted()
        // `sh` changes into the folder and replaces itself with the program (same process, so
        // the same group and the same `wait4`); a program not found is its exit status 127.
        let shell = ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", directory] + command
        let argv = shell.map { strdup($0) } + [nil]
        let envp = environmentStrings.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let start = MonotonicClock.seconds()
        let status = posix_spawn(&pid, "/bin/sh", &fileActions, &attributes, argv, envp)
        close(writeEnd)
        close(logDescriptor)
        guard status == 0 else {
            close(readEnd)
            throw HarnessError(.invalidImplementation, "cannot start \(command[0]) in \(directory): \(String(cString: strerror(status)))")
        }
        if let pidFile, let started = Self.startTime(of: pid) {
            try? Data("\(pid) \(started)\n".utf8).write(to: URL(fileURLWithPath: pidFile))
        }

        let reader = LineReader(descriptor: readEnd, onLine: onLine)
        let thread = Thread { reader.readToEnd() }
        thread.start()

        var waitStatus: Int32 = 0
        var usage = rusage()
        var ending: Ending?
        var killedAt: Double?
        // The program's own high-water mark, polled: wait4's ru_maxrss would also count the
        // memory of this process at the spawn (Linux carries the spawning address space's
        // high-water mark into the child's at exec).
        var highWater: Int?
        while true {
            if let hwm = Self.highWaterBytes(of: pid) { highWater = Swift.max(highWater ?? 0, hwm) }
            let result = wait4(pid, &waitStatus, WNOHANG, &usage)
            if result == pid { break }
            if result < 0 && errno != EINTR {
                ending = .lost(errno)
                break
            }
            let elapsed = MonotonicClock.seconds() - start
            if killedAt == nil {
                if isCancelled() { ending = .cancelled } else if elapsed > timeLimit { ending = .timedOut }
                if ending != nil {
                    kill(-pid, SIGTERM)
                    killedAt = elapsed
                }
            } else if let killedAt, elapsed - killedAt > 5 {
                kill(-pid, SIGKILL)
            }
            usleep(20_000)
        }
        let wall = MonotonicClock.seconds() - start
        // Whatever the program left running in its group goes with it (and closes the pipe). A
        // descendant in a session of its own may keep the pipe open: the reader is then left
        // behind (with its descriptor) rather than waited for.
        kill(-pid, SIGKILL)
        var problem = reader.overflow()
        if reader.finished.wait(timeout: .now() + 5) == .timedOut {
            problem = "a process it started kept its standard output open after it ended"
        } else {
            close(readEnd)
        }
        if ending == nil {
            let signal = waitStatus & 0x7f
            ending = signal == 0 ? .exited((waitStatus >> 8) & 0xff) : .signalled(signal)
        }
        return Outcome(
            ending: ending!, lines: reader.lines(), wallSeconds: wall, peakResidentBytes: highWater ?? Int(usage.ru_maxrss) * 1024,
            outputProblem: problem ?? reader.overflow())
    }
}

extension ChildProcess {
    /// `VmHWM` of `/proc/<pid>/status` in bytes; nil when it cannot be read (not Linux, or the
    /// process has ended).
    /// When the process started, in clock ticks after boot (`/proc/<pid>/stat`, field 22): with
    /// the pid, what tells a process from a later one that reuses its number.
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Stops the program a `pidFile` names if it still runs — one whose tnbench was killed
    /// (SIGKILL, a lost node) before it could stop it — with its process group, and waits up to
    /// five seconds for it to go: a job that runs again must not share its folder with it.
    /// Returns whether one was stopped.
    @discardableResult
    static func stopLeftover(pidFile: String) -> Bool {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return false }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let pid = pid_t(parts[0]), pid > 1, let started = UInt64(parts[1]),
              startTime(of: pid) == started
        else { return false }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        let deadline = MonotonicClock.seconds() + 5
        while MonotonicClock.seconds() < deadline, let state = processState(pid), state != "Z" { usleep(20_000) }
        return true
    }

    /// The state letter of `/proc/<pid>/stat` (R, S, D, Z…); nil when there is no such process.
    private static func processState(_ pid: pid_t) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].first { !$0.isWhitespace }
    }

    static func highWaterBytes(of pid: pid_t) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        return kilobytes.map { $0 * 1024 }
    }
}

/// Reads a pipe to its end on its own thread, splitting lines.
private final class LineReader: Sendable {
    let descriptor: Int32
    let onLine: @Sendable (String) -> Void
    let collected = Mutex<[String]>([])
    /// Bytes kept and whether anything was dropped.
    let kept = Mutex<(bytes: Int, dropped: Bool)>((0, false))
    let finished = DispatchSemaphore(value: 0)

    init(descriptor: Int32, onLine: @escaping @Sendable (String) -> Void) {
        self.descriptor = descriptor
        self.onLine = onLine
    }

    func lines() -> [String] { collected.withLock { $0 } }

    /// Why some output was not kept; nil when all of it was.
    func overflow() -> String? {
        kept.withLock { $0.dropped }
            ? "it wrote more than \(ChildProcess.maximumLines) lines or \(ChildProcess.maximumBytes >> 20) MiB on standard output" : nil
    }

    func readToEnd() {
        var pending: [UInt8] = []
        var overlong = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        func emit(_ bytes: ArraySlice<UInt8>) {
            let line = overlong ? String(decoding: bytes.prefix(200), as: UTF8.self) + "… (a line over \(ChildProcess.maximumLineBytes) bytes)"
                : String(decoding: bytes, as: UTF8.self)
            overlong = false
            let room = kept.withLock { state -> Bool in
                guard state.bytes + line.utf8.count <= ChildProcess.maximumBytes else {
                    state.dropped = true
                    return false
                }
                state.bytes += line.utf8.count
                return true
            }
            guard room else { return }
            let stored = collected.withLock { lines -> Bool in
                guard lines.count < ChildProcess.maximumLines else { return false }
                lines.append(line)
                return true
            }
            if stored { onLine(line) } else { kept.withLock { $0.dropped = true } }
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == UInt8(ascii: "\n") {
                pending.append(contentsOf: buffer[start..<index])
                emit(pending[...])
                pending.removeAll(keepingCapacity: true)
                start = index + 1
            }
            pending.append(contentsOf: buffer[start..<count])
            if pending.count > ChildProcess.maximumLineBytes {
                overlong = true
                pending.removeSubrange(ChildProcess.maximumLineBytes...)
            }
        }
        if !pending.isEmpty { emit(pending[...]) }
        finished.signal()
    }
}
