import Foundation
import Synchronization

/// Progress of a benchmark run on standard error: on a terminal, a live line per running job and
/// an overall line with the ETA, redrawn in place; otherwise plain, line-oriented, timestamped
/// logs (a line when a job starts and ends, and at most one progress line per job every 30 s).
public final class ProgressDisplay: Sendable {
    public enum Mode: Sendable { case terminal, lines, silent }

    public let mode: Mode

    private struct Running {
        var started: Double
        var fraction: Double = 0
        var message: String = ""
        var lastLogged: Double = 0
    }

    private struct State {
        var total = 0
        var skipped = 0
        var finished = 0
        var failed = 0
        var workers = 1
        var durations: [Double] = []
        var running: [Job: Running] = [:]
        var order: [Job] = []
        var drawnLines = 0
        var lastDraw = 0.0
    }

    private let state = Mutex(State())

    /// A display writing to standard error: live on a terminal, line logs otherwise.
    public init(mode: Mode? = nil) {
        self.mode = mode ?? (isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
    }

    public func begin(total: Int, skipped: Int, workers: Int) {
        state.withLock {
            $0.total = total
            $0.skipped = skipped
            $0.workers = max(workers, 1)
        }
        log("\(total) jobs: \(skipped) already recorded, \(total - skipped) to run on \(workers) worker\(workers == 1 ? "" : "s")")
    }

    public func started(_ job: Job) {
        let now = Self.clock()
        state.withLock {
            $0.running[job] = Running(started: now, lastLogged: now)
            $0.order.append(job)
        }
        if mode == .lines { log("start  \(job)") }
        redraw(force: true)
    }

    public func update(_ job: Job, fraction: Double, message: String) {
        let now = Self.clock()
        var line: String?
        state.withLock {
            guard var running = $0.running[job] else { return }
            running.fraction = fraction
            running.message = message
            if mode == .lines && now - running.lastLogged >= 30 {
                running.lastLogged = now
                line = "       \(job): \(Int(fraction * 100))% \(message)"
            }
            $0.running[job] = running
        }
        if let line { log(line) }
        redraw(force: false)
    }

    /// A job ended; `status` nil means it was abandoned on interrupt.
    public func finished(_ job: Job, status: JobStatus?, seconds: Double, message: String) {
        let (done, total) = state.withLock { s -> (Int, Int) in
            s.running[job] = nil
            s.order.removeAll { $0 == job }
            if status != nil {
                s.finished += 1
                s.durations.append(seconds)
                if status != .completed { s.failed += 1 }
            }
            return (s.finished + s.skipped, s.total)
        }
        let what = status.map(\.rawValue) ?? "abandoned (interrupted)"
        let detail = message.isEmpty ? "" : ": \(message)"
        clearLive()
        log("[\(done)/\(total)] \(what) \(job) in \(Self.format(seconds))\(detail)")
        redraw(force: true)
    }

    public func end(_ text: String) {
        clearLive()
        log(text)
    }

    // MARK: Drawing

    /// The estimated seconds left: mean job time × jobs not started / workers, plus what the
    /// running jobs still need; before any job ends, extrapolated from the running ones' fractions.
    private static func eta(_ s: State, now: Double) -> Double? {
        let notStarted = s.total - s.skipped - s.finished - s.running.count
        var average = s.durations.isEmpty ? nil : s.durations.reduce(0, +) / Double(s.durations.count)
        if average == nil {
            let estimates = s.running.values.filter { $0.fraction > 0.02 }.map { (now - $0.started) / $0.fraction }
            if !estimates.isEmpty { average = estimates.reduce(0, +) / Double(estimates.count) }
        }
        guard let average else { return nil }
        let runningLeft = s.running.values.reduce(0.0) { $0 + max(0, average - (now - $1.started)) }
        return (Double(notStarted) * average + runningLeft) / Double(s.workers)
    }

    private func redraw(force: Bool) {
        guard mode == .terminal else { return }
        let now = Self.clock()
        let text: String? = state.withLock { s in
            guard force || now - s.lastDraw >= 0.2 else { return nil }
            s.lastDraw = now
            var lines = s.order.compactMap { job -> String? in
                guard let r = s.running[job] else { return nil }
                let bar = String(repeating: "█", count: Int(r.fraction * 20)) + String(repeating: "·", count: 20 - Int(r.fraction * 20))
                return "  \(bar) \(String(format: "%3d", Int(r.fraction * 100)))%  \(job)  \(r.message)  \(Self.format(now - r.started))"
            }
            let eta = Self.eta(s, now: now).map { "ETA \(Self.format($0))" } ?? "ETA --"
            lines.append("  \(s.finished + s.skipped)/\(s.total) jobs done, \(s.failed) failed · \(eta)")
            var output = s.drawnLines > 0 ? "\u{1B}[\(s.drawnLines)A" : ""
            for line in lines { output += "\r\u{1B}[2K" + String(line.prefix(160)) + "\n" }
            s.drawnLines = lines.count
            return output
        }
        if let text { Self.write(text) }
    }

    private func clearLive() {
        guard mode == .terminal else { return }
        let lines = state.withLock { s -> Int in
            defer { s.drawnLines = 0 }
            return s.drawnLines
        }
        if lines > 0 { Self.write("\u{1B}[\(lines)A\u{1B}[J") }
    }

    private func log(_ line: String) {
        switch mode {
        case .silent: return
        case .terminal: Self.write(line + "\n")
        case .lines: Self.write("\(Timestamp.now()) \(line)\n")
        }
    }

    private static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func clock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// `4.2s`, `3m07s`, `1h02m`.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%dh%02dm", Int(seconds) / 3600, (Int(seconds) % 3600) / 60)
    }
}
