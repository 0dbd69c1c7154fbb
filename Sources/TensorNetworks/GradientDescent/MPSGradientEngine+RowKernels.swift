import CKernels
import TensorCore

/// The engine's elementwise work on row-major [n, width] blocks — products with the features,
/// the sum over the physical index, the log-scaled numerics' exact rescaling — done in C
/// (`Sources/CKernels/RowKernels.c`, where a row of 10 or 20 scalars is one masked AVX-512 piece
/// instead of a Swift vector loop and its scalar tail). Every kernel computes what the Swift loops
/// it replaced computed, operation for operation, so the engine's numbers did not change.
enum RowKernels {
    /// out[b, s, r] = φ[b, s]·rows[b, r] (out is [n, d, width]).
    @inline(__always)
    static func outer<Scalar: BLASScalar>(
        _ out: UnsafeMutablePointer<Scalar>, phi: UnsafePointer<Scalar>, rows: UnsafePointer<Scalar>,
        count n: Int, physical d: Int, width: Int
    ) {
        if Scalar.self == Float.self {
            tnb_rows_outer_f32(floats(out), floats(phi), floats(rows), n, d, width)
        } else {
            tnb_rows_outer_f64(doubles(out), doubles(phi), doubles(rows), n, d, width)
        }
    }

    /// out[b, r] = Σ_s φ[b, s]·t[b, s, r] for t [n, d, width] (summed from s = 0 up).
    @inline(__always)
    static func contractPhysical<Scalar: BLASScalar>(
        _ t: UnsafePointer<Scalar>, phi: UnsafePointer<Scalar>, into out: UnsafeMutablePointer<Scalar>,
        count n: Int, physical d: Int, width: Int
    ) {
        if Scalar.self == Float.self {
            tnb_contract_physical_f32(floats(t), floats(phi), floats(out), n, d, width)
        } else {
            tnb_contract_physical_f64(doubles(t), doubles(phi), doubles(out), n, d, width)
        }
    }

    /// Divides each row by 2^e where 2^e ≤ max|row| < 2^(e+1) (exact) and adds e to
    /// `exponents[b]` — unless the row is zero, holds a non-finite entry (the sample's logits are
    /// then not finite), or already lies within 2^±16 (the tracking stays exact without the pass).
    @inline(__always)
    static func normalizeRows<Scalar: BLASScalar>(
        _ rows: UnsafeMutablePointer<Scalar>, count n: Int, width: Int, exponents: UnsafeMutablePointer<Int>
    ) {
        if Scalar.self == Float.self {
            tnb_normalize_rows_f32(floats(rows), n, width, int64s(exponents))
        } else {
            tnb_normalize_rows_f64(doubles(rows), n, width, int64s(exponents))
        }
    }

    /// dst[b, r] = src[b, r]·2^shifts[b] (shifts ≤ 0 in use; a row shifted below twice the
    /// exponent range becomes zero). `src` may be `dst`.
    @inline(__always)
    static func scaleRows<Scalar: BLASScalar>(
        _ src: UnsafePointer<Scalar>, into dst: UnsafeMutablePointer<Scalar>, count n: Int, width: Int,
        shifts: UnsafePointer<Int>
    ) {
        if Scalar.self == Float.self {
            tnb_scale_rows_f32(floats(src), floats(dst), n, width, int64s(shifts))
        } else {
            tnb_scale_rows_f64(doubles(src), doubles(dst), n, width, int64s(shifts))
        }
    }

    // The engine is instantiated for Float and Double only (BLASScalar's two conformances); the
    // lane path (MPSGradientEngine+Lanes.swift) uses the same casts.
    @inline(__always) static func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    @inline(__always) static func floats<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    @inline(__always) private static func doubles<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Double> {
        precondition(T.self == Double.self, "the engine's row kernels take Float or Double, not \(T.self)")
        return UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self)
    }
    @inline(__always) private static func doubles<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Double> {
        precondition(T.self == Double.self, "the engine's row kernels take Float or Double, not \(T.self)")
        return UnsafeRawPointer(p).assumingMemoryBound(to: Double.self)
    }
    @inline(__always) static func int64s(_ p: UnsafeMutablePointer<Int>) -> UnsafeMutablePointer<Int64> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int64.self)  // Int is 64 bits on every platform TNBench builds for
    }
    @inline(__always) static func int64s(_ p: UnsafePointer<Int>) -> UnsafePointer<Int64> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self)
    }
}
