import Foundation

/// The Hodges–Lehmann estimate of the shift between two samples with its distribution-free
/// confidence interval (Moses 1965; R's `wilcox.test(a, b, conf.int = TRUE)`).
///
/// For samples a (n values) and b (m values), the estimate is the median of the n·m differences
/// aᵢ − bⱼ. The interval is [D₍ₖ₎, D₍ₙₘ₋ₖ₊₁₎] over the sorted differences D, where k is the
/// largest integer with P(U ≤ k − 1) ≤ α/2 under the Mann–Whitney null distribution of U: exact
/// for n·m ≤ ``exactLimit`` (ties then make it slightly conservative), else its normal
/// approximation k = ⌊nm/2 − z₁₋α/₂·√(nm(n+m+1)/12)⌋. Its coverage is at least the level for any
/// continuous distributions that differ by a shift.
public struct ShiftEstimate: Sendable, Equatable {
    /// The median of the pairwise differences a − b.
    public var estimate: Double
    /// The interval for the shift; nil when the samples are too small for the level (with 3
    /// against 3 values no 99% interval exists: the smallest tail probability is 1/20).
    public var interval: ConfidenceInterval?
    public var countA: Int
    public var countB: Int

    /// Above this many pairs the normal approximation gives k.
    public static let exactLimit = 2_500

    /// The shift a − b. Returns nil when either sample is empty.
    public init?(_ a: [Double], _ b: [Double], level: Double = 0.99) {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        precondition(level > 0 && level < 1, "ShiftEstimate needs a level in (0, 1), got \(level)")
        var differences: [Double] = []
        differences.reserveCapacity(a.count * b.count)
        for x in a { for y in b { differences.append(x - y) } }
        differences.sort()
        let pairs = differences.count
        estimate = pairs % 2 == 1
            ? differences[pairs / 2] : (differences[pairs / 2 - 1] + differences[pairs / 2]) / 2
        countA = a.count
        countB = b.count
        let k = Self.criticalRank(a.count, b.count, alpha: 1 - level)
        interval = k >= 1 ? ConfidenceInterval(low: differences[k - 1], high: differences[pairs - k], level: level) : nil
    }

    /// The largest k with P(U ≤ k − 1) ≤ α/2 (0 when even P(U = 0) exceeds α/2).
    static func criticalRank(_ n: Int, _ m: Int, alpha: Double) -> Int {
        let pairs = n * m
        if pairs <= exactLimit {
            let distribution = HypothesisTests.exactUDistribution(n, m)
            var cumulative = 0.0, k = 0
            // P(U ≤ k) ≤ α/2 ⇔ rank k + 1 is admissible.
            while k < distribution.count, cumulative + distribution[k] <= alpha / 2 {
                cumulative += distribution[k]
                k += 1
            }
            return k
        }
        let z = -inverseNormalCDF(alpha / 2)
        let k = Double(pairs) / 2 - z * (Double(pairs) * Double(n + m + 1) / 12).squareRoot()
        return max(0, Int(k.rounded(.down)))
    }

    /// Φ⁻¹(p) by bisection on ``SpecialFunctions/normalCDF(_:)`` (robust; only called once per test).
    static func inverseNormalCDF(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "inverseNormalCDF needs p in (0, 1), got \(p)")
        var low = -40.0, high = 40.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if SpecialFunctions.normalCDF(middle) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

/// How much slower (or faster) a run is than another, from per-step timing samples: the
/// Hodges–Lehmann shift of the logarithms, so a ratio with its interval.
public struct SpeedRatio: Sendable, Equatable {
    /// exp(HL(log new − log reference)): the typical new/reference ratio of a step's time; above 1
    /// is slower when smaller is better. For larger-is-better metrics (GFLOP/s) it is inverted, so
    /// above 1 is always worse.
    public var ratio: Double
    /// The interval of ``ratio``; nil when the samples are too few for the level.
    public var interval: ConfidenceInterval?
    public var newCount: Int
    public var referenceCount: Int

    /// The ratio of `new` to `reference` (`worseIsLarger`: larger values are worse, as for
    /// seconds). Non-positive or non-finite values are dropped. Returns nil when a side is left empty.
    public init?(new: [Double], reference: [Double], worseIsLarger: Bool = true, level: Double = 0.99) {
        let logNew = new.filter { $0 > 0 && $0.isFinite }.map { Foundation.log($0) }
        let logReference = reference.filter { $0 > 0 && $0.isFinite }.map { Foundation.log($0) }
        guard let shift = worseIsLarger
            ? ShiftEstimate(logNew, logReference, level: level) : ShiftEstimate(logReference, logNew, level: level)
        else { return nil }
        ratio = exp(shift.estimate)
        interval = shift.interval.map { ConfidenceInterval(low: exp($0.low), high: exp($0.high), level: $0.level) }
        newCount = logNew.count
        referenceCount = logReference.count
    }
}
