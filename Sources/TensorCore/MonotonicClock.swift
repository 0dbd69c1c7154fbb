#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock (`CLOCK_MONOTONIC`: never steps with the wall clock), the one clock that
/// times kernels, epochs and jobs.
public enum MonotonicClock {
    /// Seconds since an arbitrary fixed point.
    public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// Runs `body` and returns its result with the seconds it took.
    @inlinable
    public static func timed<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = seconds()
        let value = try body()
        return (value, seconds() - start)
    }
}
