import Foundation

/// The peak resident memory (high-water mark of the resident set) of this process, per job.
///
/// On Linux the kernel's high-water mark `VmHWM` (in `/proc/self/status`) can be reset by
/// writing `5` to `/proc/self/clear_refs` (Linux ≥ 4.0), so jobs run one after another in one
/// process each get their own peak. Elsewhere, or where the reset is refused, the value is
/// `getrusage`'s `ru_maxrss`, the peak since the process started: still exact for a job run in its
/// own worker process (`tnbench run --jobs N`, `run-job`, Slurm tasks), an upper bound otherwise.
public enum PeakMemory {
    /// Starts a new measurement period; returns whether the peak was actually reset.
    @discardableResult
    public static func reset() -> Bool {
        #if os(Linux)
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
        #else
        return false
        #endif
    }

    /// The peak resident set size in bytes since the last ``reset()`` (or since the process
    /// started), or nil where it cannot be read.
    public static func peakResidentBytes() -> Double? {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
            // "VmHWM:	  123456 kB"
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kib = Double(fields[1]) { return kib * 1024 }
        }
        #endif
        var usage = rusage()
        #if os(Linux)
        let who = RUSAGE_SELF.rawValue
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(Int32(who), &usage) == 0 else { return nil }
        #if os(Linux)
        return Double(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #else
        return Double(usage.ru_maxrss)  // bytes on macOS
        #endif
    }
}
