import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact power-of-two bookkeeping of ``MPSGradientEngine``'s log-scaled numerics.
extension MPSGradientEngine {

    /// Divides `row` by 2^e where 2^e ≤ max|row| < 2^(e+1) (exact) and returns e; 0 for a zero
    /// or non-finite row (left as is).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inline(__always) static func normalize(_ row: UnsafeMutablePointer<Scalar>, _ count: Int) -> Int {
        var m: Scalar = 0
        for i in 0..<count { m = Swift.max(m, abs(row[i])) }
        guard m > 0, m.isFinite else { return 0 }
        let e = Int(m.exponent)
        // Rows within 2^±16 are left alone (the tracking stays exact; this saves the scaling pass).
        if e > -16 && e < 16 { return 0 }
        let (f1, f2) = factors(-e)
        for i in 0..<count { row[i] = row[i] * f1 * f2 }
        return e
    }

    /// 2^k as two factors each in range, so that x·f1·f2 = x·2^k without intermediate overflow.
    @inline(__always) static func factors(_ k: Int) -> (Scalar, Scalar) {
        let k1 = k / 2, k2 = k - k1
        return (Scalar(sign: .plus, exponent: Scalar.Exponent(k1), significand: 1),
                Scalar(sign: .plus, exponent: Scalar.Exponent(k2), significand: 1))
    }

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

    /// dst = src·2^k (k ≤ 0 in use; very small results flush to zero).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inline(__always) static func copyScaled(_ src: UnsafeMutablePointer<Scalar>, _ dst: UnsafeMutablePointer<Scalar>, _ count: Int, _ k: Int) {
        if k < -2 * Int(Scalar.greatestFiniteMagnitude.exponent) - 64 {
            for i in 0..<count { dst[i] = 0 }
            return
        }
        let (f1, f2) = factors(k)
        for i in 0..<count { dst[i] = src[i] * f1 * f2 }
    }

    /// x ← x·2^k for a whole gradient, in steps that never overflow an intermediate; returns false
    /// when the result is not finite.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func scaleInPlace(_ p: UnsafeMutablePointer<Scalar>, _ count: Int, _ k: Int) -> Bool {
        if k == 0 { return (0..<count).allSatisfy { p[$0].isFinite } }
        var remaining = k
        let step = Int(Scalar.greatestFiniteMagnitude.exponent) - 1
        while remaining != 0 {
            let part = Swift.max(-step, Swift.min(step, remaining))
            let f = Scalar(sign: .plus, exponent: Scalar.Exponent(part), significand: 1)
            for i in 0..<count { p[i] *= f }
            remaining -= part
            if k < 0 && (0..<count).allSatisfy({ p[$0] == 0 }) { break }
        }
        return (0..<count).allSatisfy { p[$0].isFinite }
    }
}
