import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact power-of-two bookkeeping of ``MPSGradientEngine``'s log-scaled numerics (the per-row
/// rescaling is in ``RowKernels``).
extension MPSGradientEngine {

    /// x·2^k in Double, without intermediate overflow for |k| ≤ 2000.
    @inline(__always) static func scaled(_ x: Double, _ k: Int) -> Double {
        if k == 0 || x == 0 { return x }
        let kk = Swift.max(-2200, Swift.min(2200, k))
        let k1 = kk / 2, k2 = kk - k1
        return x * Double(sign: .plus, exponent: k1, significand: 1) * Double(sign: .plus, exponent: k2, significand: 1)
    }

    @inline(__always) static func commonExponent(_ a: UnsafeMutablePointer<Int>, _ b: UnsafeMutablePointer<Int>?, _ n: Int) -> Int {
        var m = Int.min
        for i in 0..<n { m = Swift.max(m, a[i] + (b?[i] ?? 0)) }
        return m
    }

    /// x ← x·2^k for a whole gradient, in steps that never overflow an intermediate; returns false
    /// when the result is not finite.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func scaleInPlace(_ p: UnsafeMutablePointer<Scalar>, _ count: Int, _ k: Int) -> Bool {
        if k == 0 { return allFinite(p, count: count) }
        var remaining = k
        let step = Int(Scalar.greatestFiniteMagnitude.exponent) - 1
        while remaining != 0 {
            let part = Swift.max(-step, Swift.min(step, remaining))
            let f = Scalar(sign: .plus, exponent: Scalar.Exponent(part), significand: 1)
            for i in 0..<count { p[i] *= f }
            remaining -= part
            if k < 0 && (0..<count).allSatisfy({ p[$0] == 0 }) { break }
        }
        return allFinite(p, count: count)
    }
}
