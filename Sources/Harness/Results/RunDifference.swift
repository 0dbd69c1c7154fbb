/// Whether two runs recorded the same numbers, job by job: the check that a job gives the same
/// result however it was run (in this process, in worker processes, as a Slurm array task).
///
/// Compared exactly (bit for bit): status, message, every scalar, curve, array, attribute and
/// setting — except what measures time, which no two runs share: timers, wall times, counted
/// flops (some suites weight them by measured cost), the suites' metrics measured by the clock
/// (``Metric/measuredByClock``: speed metrics, throughputs, shares of time) and any scalar or
/// curve whose name ends in `_seconds`, and `gflops`.
public enum RunDifference {
    /// Whether a scalar or curve measures time (and so is left out).
    public static func isTiming(_ name: String, timedMetrics: Set<String>) -> Bool {
        timedMetrics.contains(name) || name.hasSuffix("_seconds") || name == "gflops"
    }

    /// The differences between the runs, one line each (empty when they recorded the same numbers).
    ///
    /// - Parameter timedMetrics: suite → its metrics measured by the clock (``Metric/measuredByClock``).
    public static func differences(_ a: ResultSet, _ b: ResultSet, timedMetrics: [String: Set<String>] = [:]) -> [String] {
        var lines: [String] = []
        let left = Dictionary(a.records.map { ($0.job, $0) }, uniquingKeysWith: { first, _ in first })
        let right = Dictionary(b.records.map { ($0.job, $0) }, uniquingKeysWith: { first, _ in first })
        for job in Set(left.keys).union(right.keys).sorted(by: { $0.description < $1.description }) {
            guard let x = left[job] else { lines.append("\(job): only in the second run"); continue }
            guard let y = right[job] else { lines.append("\(job): only in the first run"); continue }
            let speed = timedMetrics[job.suite] ?? []
            func differ(_ what: String, _ p: String, _ q: String) { if p != q { lines.append("\(job): \(what): \(p) ≠ \(q)") } }
            differ("status", x.status.rawValue, y.status.rawValue)
            differ("message", x.message, y.message)
            differ("settings", "\(x.settings.sorted { $0.key < $1.key })", "\(y.settings.sorted { $0.key < $1.key })")
            differ("attributes", "\(x.record.attributes.sorted { $0.key < $1.key })", "\(y.record.attributes.sorted { $0.key < $1.key })")
            for name in Set(x.record.scalars.keys).union(y.record.scalars.keys).sorted() where !isTiming(name, timedMetrics: speed) {
                let p = x.record.scalars[name], q = y.record.scalars[name]
                if p?.bitPattern != q?.bitPattern {
                    lines.append("\(job): scalar \(name): \(p.map { "\($0)" } ?? "missing") ≠ \(q.map { "\($0)" } ?? "missing")")
                }
            }
            for name in Set(x.record.curves.keys).union(y.record.curves.keys).sorted() where !isTiming(name, timedMetrics: speed) {
                let p = x.record.curves[name], q = y.record.curves[name]
                if p.map({ $0.x.map(\.bitPattern) + $0.y.map(\.bitPattern) }) != q.map({ $0.x.map(\.bitPattern) + $0.y.map(\.bitPattern) }) {
                    lines.append("\(job): curve \(name) differs")
                }
            }
            for name in Set(x.record.arrays.keys).union(y.record.arrays.keys).sorted() where x.record.arrays[name] != y.record.arrays[name] {
                lines.append("\(job): array \(name) differs")
            }
        }
        return lines
    }
}
