import Foundation
import TensorCore

/// A two-sided confidence interval.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public var low: Double
    public var high: Double
    /// The nominal coverage, 0.95 for a 95% interval.
    public var level: Double

    public init(low: Double, high: Double, level: Double) {
        self.low = low
        self.high = high
        self.level = level
    }

    public func contains(_ value: Double) -> Bool { low <= value && value <= high }
}

/// Descriptive statistics and confidence intervals over a sample of seeds.
///
/// Every function takes finite values of any magnitude: sums, differences and squares are formed
/// after dividing by a power of two that brings the largest magnitude into [1, 2)
/// (``scaled(_:)``), which is exact, so the results are bit-for-bit those of the plain formulas
/// wherever those do not overflow, and finite wherever the answer itself is (a mean of values near
/// 1e308; a standard deviation of values near 1e200, whose variance alone is beyond a `Double`).
public enum Statistics {
    /// The values divided by 2^k, k the binary exponent of their largest finite magnitude (0 when
    /// there is none or it is zero): exact (barring values 2¹⁰²² times smaller than the largest,
    /// which become subnormal), and it leaves every finite value in (−2, 2), so sums of up to
    /// 2¹⁰²² values and their squares stay finite. Non-finite values stay as they are.
    public static func scaled(_ values: [Double]) -> (values: [Double], exponent: Int) {
        let largest = values.lazy.filter(\.isFinite).map(abs).max() ?? 0
        guard largest > 0 else { return (values, 0) }
        let k = Int(largest.exponent)
        return (values.map { scalbn($0, -k) }, k)
    }

    /// The arithmetic mean; NaN for an empty sample. Finite for finite values of any magnitude.
    public static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let (small, k) = scaled(values)
        return scalbn(small.reduce(0, +) / Double(values.count), k)
    }

    /// The sample variance with Bessel's correction, Σ(x − x̄)²/(n − 1); NaN for n < 2. Infinite
    /// when the variance itself exceeds the largest `Double` (finite values near 1e200).
    public static func variance(_ values: [Double]) -> Double {
        guard values.count > 1 else { return .nan }
        let (small, k) = scaled(values)
        return scalbn(scaledVariance(small), 2 * k)
    }

    /// Σ(x − x̄)²/(n − 1) of already scaled values.
    static func scaledVariance(_ values: [Double]) -> Double {
        let m = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
    }

    /// The sample standard deviation (n − 1); NaN for n < 2. Finite for finite values of any magnitude.
    public static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return .nan }
        let (small, k) = scaled(values)
        return scalbn(scaledVariance(small).squareRoot(), k)
    }

    /// The median (the mean of the two middle values for even n); NaN for an empty sample.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        // Halves first: the same rounding as (a + b)/2, without its overflow.
        return sorted.count % 2 == 1 ? sorted[middle] : sorted[middle - 1] / 2 + sorted[middle] / 2
    }

    /// The median absolute deviation scaled to estimate σ for normal data, 1.4826·median(|x − median|);
    /// unlike the standard deviation it ignores a few wild values (a timing spike). NaN when empty.
    public static func scaledMedianAbsoluteDeviation(_ values: [Double]) -> Double {
        let (small, k) = scaled(values)
        let center = median(small)
        return scalbn(1.4826 * median(small.map { abs($0 - center) }), k)
    }

    /// The Student-t confidence interval for the mean, x̄ ± t_{1−α/2, n−1}·s/√n; nil for n < 2.
    ///
    /// Exact for normal data; the harness's default interval for metrics over seeds.
    public static func studentTInterval(_ values: [Double], level: Double = 0.95) -> ConfidenceInterval? {
        guard values.count > 1 else { return nil }
        let n = Double(values.count)
        let t = SpecialFunctions.studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: n - 1)
        let half = t * standardDeviation(values) / n.squareRoot()
        let m = mean(values)
        return ConfidenceInterval(low: m - half, high: m + half, level: level)
    }

    /// The Welch confidence interval for the difference of means ā − b̄:
    /// (ā − b̄) ± t_{1−α/2, ν}·√(s²ₐ/nₐ + s²_b/n_b), ν the Welch–Satterthwaite degrees of freedom;
    /// a point when both samples are constant. Nil when either sample has fewer than two values
    /// or a value that is not finite.
    public static func welchInterval(_ a: [Double], _ b: [Double], level: Double = 0.95) -> ConfidenceInterval? {
        guard a.count > 1, b.count > 1, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        let (small, k) = scaled(a + b)
        let (sa, sb) = (Array(small.prefix(a.count)), Array(small.suffix(b.count)))
        let va = scaledVariance(sa) / Double(a.count), vb = scaledVariance(sb) / Double(b.count)
        let difference = mean(sa) - mean(sb)
        guard let df = HypothesisTests.welchDegreesOfFreedom(va, count: Double(a.count), vb, count: Double(b.count)) else {
            return ConfidenceInterval(low: scalbn(difference, k), high: scalbn(difference, k), level: level)
        }
        let half = SpecialFunctions.studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: df) * (va + vb).squareRoot()
        return ConfidenceInterval(low: scalbn(difference - half, k), high: scalbn(difference + half, k), level: level)
    }

    /// The percentile bootstrap confidence interval for the mean: `resamples` resamples with
    /// replacement drawn from a Philox stream keyed by `seed`, their means sorted, and the
    /// α/2 and 1 − α/2 quantiles taken with linear interpolation (numpy's default). Deterministic
    /// for a given (values, seed, resamples); nil for n < 2.
    ///
    /// Complexity: O(resamples · n + resamples · log resamples).
    public static func bootstrapInterval(
        _ values: [Double], level: Double = 0.95, resamples: Int = 10_000, seed: UInt64 = 0x5EED
    ) -> ConfidenceInterval? {
        guard values.count > 1, resamples > 1 else { return nil }
        let (small, k) = scaled(values)
        var rng = Philox(seed: seed, stream: RandomKey.derive("bootstrap"))
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var sum = 0.0
            for _ in 0..<values.count { sum += small[rng.nextInt(below: values.count)] }
            means[r] = sum / Double(values.count)
        }
        means.sort()
        let alpha = 1 - level
        return ConfidenceInterval(
            low: scalbn(quantile(sorted: means, alpha / 2), k), high: scalbn(quantile(sorted: means, 1 - alpha / 2), k), level: level)
    }

    /// The q-quantile of sorted values with linear interpolation between order statistics.
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty && q >= 0 && q <= 1, "quantile needs values and q in [0, 1]")
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        // In halves, doubled at the end: the same rounding, no overflow between values of opposite sign near the limit.
        let (low, high) = (sorted[lower] / 2, sorted[upper] / 2)
        return 2 * (low + (position - Double(lower)) * (high - low))
    }

    /// Mid-ranks (1-based) of the values, ties sharing the average of their ranks, and the
    /// tie-correction term Σ(t³ − t) over groups of t tied values.
    static func ranks(_ values: [Double]) -> (ranks: [Double], tieTerm: Double) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieTerm = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        return (ranks, tieTerm)
    }
}
