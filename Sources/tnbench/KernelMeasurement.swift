import CBLAS
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The measuring side of `tnbench kernels`: how many flops a kernel does, how it is timed, what a
// row holds, the direct BLAS reference and operand buffers. What is timed is in KernelBenchmarks*.swift; the command
// (KernelsCommand.swift) chooses thread counts and precisions and prints.

// MARK: - Flop counts

/// Floating-point operations of each benchmarked kernel (a multiply-add counts 2).
///
/// The formulas are the ones the library itself counts (``TwoSiteSweeper/flops``), so that
/// a suite's reported GFLOP/s and this benchmark's are comparable.
enum KernelFlops {
    /// `C ← op(A)·op(B) (+ C)` with op(A) m×k and op(B) k×n: 2·m·n·k.
    static func gemm(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }

    /// ``Environment/absorbLeft(_:core:features:site:rows:)`` on n inputs with a [Dₗ, d, Dᵣ]
    /// core: the GEMM `[n, Dₗ]·[Dₗ, d·Dᵣ]` (2·n·Dₗ·d·Dᵣ) and the feature contraction
    /// `Σ_s φ_s·T[i, s, r]` (2·n·d·Dᵣ).
    static func absorbLeft(inputs n: Int, left dl: Int, physical d: Int, right dr: Int) -> Double {
        gemm(m: n, n: d * dr, k: dl) + 2 * Double(n) * Double(d) * Double(dr)
    }

    /// `batch` products `[m, k]·[k, n]`.
    static func batched(batch: Int, m: Int, n: Int, k: Int) -> Double { Double(batch) * gemm(m: m, n: n, k: k) }
}

// MARK: - Timing

func monotonicSeconds() -> Double { MonotonicClock.seconds() }

/// How a kernel is timed: `warmUps` untimed calls, then `repetitions` timings, each of enough
/// back-to-back calls to last at least `minimumSeconds` (so a 2 µs kernel is not timed by one
/// clock read pair); a timing is its total divided by its calls.
struct TimingPlan: Sendable {
    var repetitions: Int
    var warmUps: Int
    var minimumSeconds: Double
    /// Timed half-sweeps of the end-to-end sweeper kernel (each ~1 s).
    var sweepRepetitions: Int

    static let standard = TimingPlan(repetitions: 11, warmUps: 3, minimumSeconds: 0.05, sweepRepetitions: 3)
    static let quick = TimingPlan(repetitions: 3, warmUps: 1, minimumSeconds: 0.005, sweepRepetitions: 1)
}

/// Seconds per call: the best and the median over the repetitions.
struct Timing {
    var best: Double
    var median: Double
    var repetitions: Int
    var callsPerRepetition: Int

    init(samples: [Double], callsPerRepetition: Int) {
        precondition(!samples.isEmpty, "a timing needs at least one sample")
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        best = sorted[0]
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        repetitions = samples.count
        self.callsPerRepetition = callsPerRepetition
    }
}

/// Times `body` by `plan`; the calls per repetition are calibrated on the last warm-up call.
func measure(_ plan: TimingPlan, _ body: () -> Void) -> Timing {
    var once = 0.0
    for _ in 0..<Swift.max(plan.warmUps, 1) {
        let start = monotonicSeconds()
        body()
        once = monotonicSeconds() - start
    }
    let calls = Swift.max(1, Int((plan.minimumSeconds / Swift.max(once, 1e-9)).rounded(.up)))
    var samples: [Double] = []
    samples.reserveCapacity(plan.repetitions)
    for _ in 0..<Swift.max(plan.repetitions, 1) {
        let start = monotonicSeconds()
        for _ in 0..<calls { body() }
        samples.append((monotonicSeconds() - start) / Double(calls))
    }
    return Timing(samples: samples, callsPerRepetition: calls)
}

/// Keeps a result alive so the optimizer cannot drop the call that made it.
@inline(never) func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

// MARK: - Results

/// One row of the kernel table (and one object of `--json`).
struct KernelResult: Codable, Sendable {
    /// What ran, e.g. `gemm`, `cblas_gemm (direct)`, `bond forward gemm`, `TwoSiteSweeper.sweepRight`.
    var kernel: String
    var shape: String
    /// `float32` or `float64`.
    var precision: String
    /// BLAS threads (for the sweeper with several workers: the workers, BLAS then runs 1 each).
    var threads: Int
    /// Floating-point operations per call.
    var flops: Double
    var gflopsBest: Double
    var gflopsMedian: Double
    /// Best rate relative to direct `cblas_?gemm` at 1024³ with the same threads and precision.
    var percentOfCeiling: Double?
    var repetitions: Int
    var callsPerRepetition: Int
    var secondsPerCallBest: Double

    enum CodingKeys: String, CodingKey {
        case kernel, shape, precision, threads, flops, repetitions
        case gflopsBest = "gflops_best", gflopsMedian = "gflops_median"
        case percentOfCeiling = "percent_of_ceiling", callsPerRepetition = "calls_per_repetition"
        case secondsPerCallBest = "seconds_per_call_best"
    }

    init(kernel: String, shape: String, precision: String, threads: Int, flops: Double, timing: Timing) {
        self.kernel = kernel
        self.shape = shape
        self.precision = precision
        self.threads = threads
        self.flops = flops
        gflopsBest = flops / timing.best / 1e9
        gflopsMedian = flops / timing.median / 1e9
        repetitions = timing.repetitions
        callsPerRepetition = timing.callsPerRepetition
        secondsPerCallBest = timing.best
    }
}

// MARK: - The direct reference

/// OpenBLAS called directly, without TensorCore in between: the reference rate ("OpenBLAS's
/// own rate") that `TensorCore.gemm` is judged against. This is the one `cblas_*` call outside
/// `TensorCore/LinearAlgebra/`, on purpose: it must not go through the wrapper it measures.
protocol DirectBLAS: BLASScalar {
    /// Row-major `C ← A·B` with A m×k, B k×n, all dense.
    static func directGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, b: UnsafePointer<Self>, c: UnsafeMutablePointer<Self>)
}

extension Float: DirectBLAS {
    static func directGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}

extension Double: DirectBLAS {
    static func directGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>, c: UnsafeMutablePointer<Double>) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}

// MARK: - Buffers

/// A raw buffer of random scalars in [−1, 1) for GEMM operands; freed with the object.
final class ScratchBuffer<Scalar: BLASScalar> {
    let pointer: UnsafeMutablePointer<Scalar>
    let count: Int

    init(count: Int, using rng: inout Philox) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        for i in 0..<count { pointer[i] = Scalar(2 * rng.nextUniform() - 1) }
    }

    deinit { pointer.deallocate() }
}
