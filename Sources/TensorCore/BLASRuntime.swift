import CBLAS

/// The BLAS library's run-time settings: thread count and build configuration.
///
/// Results depend on the thread count (reduction order), so the harness pins it and records it
/// beside every result together with ``configuration``.
public enum BLASRuntime {
    /// Sets how many threads BLAS calls may use (at least 1).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// The number of threads BLAS calls use now.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The processors OpenBLAS sees.
    public static var processorCount: Int { Int(openblas_get_num_procs()) }

    /// OpenBLAS's build description, for example `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
    /// CooperLake MAX_THREADS=64"`.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: " ")
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
