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
        // Half-differences, doubled at the end: the same rounding as x − y, and no infinity
        // (nor a NaN median of two) between values of opposite sign near ±1.8e308.
        var halves: [Double] = []
        halves.reserveCapacity(a.count * b.count)
        for x in a { for y in b { halves.append(x / 2 - y / 2) } }
        halves.sort()
        let pairs = halves.count
        estimate = 2 * (pairs % 2 == 1 ? halves[pairs / 2] : halves[pairs / 2 - 1] / 2 + halves[pairs / 2] / 2)
        countA = a.count
        countB = b.count
        let k = Self.criticalRank(a.count, b.count, alpha: 1 - level)
        interval = k >= 1 ? ConfidenceInterval(low: 2 * halves[k - 1], high: 2 * halves[pairs - k], level: level) : nil
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

/// How much slower (or faster) a run is than another, from per-step timing samples grouped by
/// job: the Hodges–Lehmann shift of the logarithms of all samples pooled, so a ratio, with an
/// interval that also covers the spread between jobs.
///
/// Pooling the samples of every job gives dozens per side, but a job's samples share its
/// machine state (a neighbour's load for the whole job), which the pooled Moses interval does not
/// see. The interval is therefore widened by a between-job term, a method-of-moments estimate in
/// the manner of DerSimonian and Laird (1986): with m_j the median of job j's log samples and
/// v_j = (π/2)·σ̂_j²/n_j the sampling variance of that median (σ̂_j the scaled median absolute
/// deviation: timing spikes would inflate a standard deviation), τ̂² = max(0, var(m_j) − mean(v_j))
/// on each side with at least two jobs of at least two samples, averaged over the sides; the
/// interval's half-widths h become z·√((h/z)² + τ̂²(1/J_new + 1/J_reference)), z the normal
/// quantile of the level. With no spread between jobs beyond their sampling noise it is the Moses
/// interval.
public struct SpeedRatio: Sendable, Equatable {
    /// exp(HL(log new − log reference)): the typical new/reference ratio of a step's time; above 1
    /// is slower when smaller is better. For larger-is-better metrics (GFLOP/s) it is inverted, so
    /// above 1 is always worse.
    public var ratio: Double
    /// The interval of ``ratio``; nil when the samples are too few for the level.
    public var interval: ConfidenceInterval?
    public var newCount: Int
    public var referenceCount: Int
    /// τ̂, the spread between jobs (log scale, ≈ relative) beyond their sampling noise; 0 when
    /// none is seen or it cannot be estimated.
    public var jobSpread: Double

    /// The ratio of `new` to `reference`, each a list of jobs' samples (`worseIsLarger`: larger
    /// values are worse, as for seconds). Non-positive or non-finite values are dropped. Returns
    /// nil when a side is left empty.
    public init?(new: [[Double]], reference: [[Double]], worseIsLarger: Bool = true, level: Double = 0.99) {
        func logs(_ groups: [[Double]]) -> [[Double]] {
            groups.map { $0.filter { $0 > 0 && $0.isFinite }.map { Foundation.log($0) } }.filter { !$0.isEmpty }
        }
        let (logNew, logReference) = (logs(new), logs(reference))
        let (flatNew, flatReference) = (logNew.flatMap { $0 }, logReference.flatMap { $0 })
        guard let shift = worseIsLarger
            ? ShiftEstimate(flatNew, flatReference, level: level) : ShiftEstimate(flatReference, flatNew, level: level)
        else { return nil }
        ratio = exp(shift.estimate)
        newCount = flatNew.count
        referenceCount = flatReference.count
        let spreads = [logNew, logReference].compactMap(Self.betweenJobVariance)
        let tau2 = spreads.isEmpty ? 0 : spreads.reduce(0, +) / Double(spreads.count)
        jobSpread = tau2.squareRoot()
        interval = shift.interval.map { moses in
            let between = tau2 * (1 / Double(logNew.count) + 1 / Double(logReference.count))
            let z = -ShiftEstimate.inverseNormalCDF((1 - level) / 2)
            let widen = { (half: Double) in z * ((half / z) * (half / z) + between).squareRoot() }
            let low = shift.estimate - widen(shift.estimate - moses.low), high = shift.estimate + widen(moses.high - shift.estimate)
            return ConfidenceInterval(low: exp(low), high: exp(high), level: level)
        }
    }

    /// τ̂² of one side: the variance of its jobs' medians beyond their sampling variance; nil
    /// with fewer than two jobs or a job of fewer than two samples.
    static func betweenJobVariance(_ jobs: [[Double]]) -> Double? {
        guard jobs.count > 1, jobs.allSatisfy({ $0.count > 1 }) else { return nil }
        let medians = jobs.map(Statistics.median)
        let sampling = jobs.map { job -> Double in
            let scale = Statistics.scaledMedianAbsoluteDeviation(job)
            return Double.pi / 2 * scale * scale / Double(job.count)
        }
        return max(0, Statistics.variance(medians) - Statistics.mean(sampling))
    }
}
