import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// Runs `body` with BLAS on one thread, the thread count restored after: for products too
    /// thin to share out (a few columns, or a few rows by a long sum), where starting a second
    /// thread costs more than it saves. A product's last bits can depend on the thread count, so
    /// code pins its products whatever the caller's count, never only on some machines.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let threads = threadCount
        guard threads > 1 else { return try body() }
        setThreadCount(1)
        defer { setThreadCount(threads) }
        return try body()
    }

    /// The processors OpenBLAS sees.
    public static var processorCount: Int { Int(openblas_get_num_procs()) }

    /// OpenBLAS's build description, for example `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
    /// CooperLake MAX_THREADS=64"`.
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: " ")
    }

    /// The kernel set OpenBLAS chose for this CPU (its `DYNAMIC_ARCH` core), e.g. `"Cooperlake"`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The `OPENBLAS_CORETYPE` that this CPU should use when OpenBLAS failed to recognise it, or
    /// `nil` when its own choice stands.
    ///
    /// OpenBLAS 0.3.21 (Debian 12) does not know CPUs newer than its release (e.g. Sapphire
    /// Rapids) and falls back to its generic `Prescott` (SSE3) kernels, which run single-precision
    /// GEMM about six times below the AVX-512 ones on the same core. The remedy is to name the core
    /// in `OPENBLAS_CORETYPE` *before* the library loads; this function picks the newest kernel set
    /// whose instructions `/proc/cpuinfo` reports. It returns `nil` when the variable is already set,
    /// when OpenBLAS chose anything but `Prescott`, or when the flags cannot be read.
    public static func recommendedCoreType(cpuFlags: Set<String>? = nil) -> String? {
        guard getenv("OPENBLAS_CORETYPE") == nil,
              coreName.lowercased() == "prescott",
              let flags = cpuFlags ?? currentCPUFlags() else { return nil }
        return coreType(forCPUFlags: flags)
    }

    /// The newest OpenBLAS kernel set that the instruction-set `flags` (as in `/proc/cpuinfo`) can run.
    public static func coreType(forCPUFlags flags: Set<String>) -> String? {
        let skylakeX: Set = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        if flags.isSuperset(of: skylakeX.union(["avx512_bf16"])) { return "Cooperlake" }
        if flags.isSuperset(of: skylakeX) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    private static func currentCPUFlags() -> Set<String>? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("flags") else { continue }
            guard let colon = text.firstIndex(of: ":") else { return nil }
            return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        return nil
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
