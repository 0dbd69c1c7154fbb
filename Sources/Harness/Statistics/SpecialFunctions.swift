import Foundation

/// The special functions behind the harness's tests and intervals, in `Double`.
public enum SpecialFunctions {
    /// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), by the
    /// continued fraction of Numerical Recipes (3rd ed., §6.4, `betacf`), evaluated directly for
    /// x < (a + 1)/(a + b + 2) and through the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) otherwise,
    /// where it converges fast. Relative accuracy about 1e-14.
    ///
    /// - Precondition: a > 0, b > 0, 0 ≤ x ≤ 1.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0 && x >= 0 && x <= 1, "regularizedIncompleteBeta needs a, b > 0 and x in [0, 1], got x=\(x) a=\(a) b=\(b)")
        if x == 0 || x == 1 { return x }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction for the incomplete beta function (modified Lentz's method).
    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-16
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return h
    }

    /// The cumulative distribution function of Student's t with `degreesOfFreedom` ν > 0:
    /// P(T ≤ t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t > 0, and by symmetry for t ≤ 0. NaN when t or
    /// ν is NaN (an undefined statistic is the caller's to report, not a reason to trap).
    ///
    /// - Precondition: ν > 0 unless NaN.
    public static func studentTCDF(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        if t.isNaN || nu.isNaN { return .nan }
        precondition(nu > 0, "Student t needs positive degrees of freedom, got \(nu)")
        if t.isInfinite { return t > 0 ? 1 : 0 }
        let tail = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
        return t > 0 ? 1 - tail : tail
    }

    /// The quantile (inverse CDF) of Student's t: the t with P(T ≤ t) = p, by bisection on the
    /// monotone CDF to full double precision (the CDF is cheap; robustness matters more than speed).
    ///
    /// - Precondition: 0 < p < 1, ν > 0.
    public static func studentTQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile needs p in (0, 1), got \(p)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -studentTQuantile(1 - p, degreesOfFreedom: nu) }
        var low = 0.0, high = 1.0
        while studentTCDF(high, degreesOfFreedom: nu) < p { low = high; high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if middle == low || middle == high { break }
            if studentTCDF(middle, degreesOfFreedom: nu) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// The standard normal CDF Φ(z) = ½·erfc(−z/√2).
    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The standard normal survival function 1 − Φ(z), accurate in the upper tail.
    public static func normalSF(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }
}
