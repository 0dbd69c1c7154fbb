import Foundation

/// Our result against the paper's number.
public enum PaperVerdict: String, Codable, Sendable {
    /// Equivalent within the point's margin: TOST p < 0.05.
    case reproduced
    /// The 95% confidence interval lies wholly outside value ± margin.
    case differs
    /// Neither (too few seeds, too much spread, or straddling the margin).
    case inconclusive
    /// The run's tier does not follow the protocol behind the paper's number (the point's
    /// ``PaperPoint/tiers``): both numbers are shown, no verdict is drawn.
    case notComparable = "not_comparable"

    /// How reports print it.
    public var label: String { self == .notComparable ? "not comparable at this tier" : rawValue }
}

/// Our result against our own reference run.
public enum ReferenceVerdict: String, Codable, Sendable {
    case regressed, ok, improved
}

/// The judgement of one metric of one configuration: statistics over seeds and both verdicts.
public struct ComparisonRow: Sendable {
    public var suite: String
    public var configuration: Configuration
    public var metric: Metric
    public var values: [Double]
    /// For a speed metric with ``Metric/samples``: the per-step samples of each seed.
    public var samples: [[Double]] = []
    public var n: Int { values.count }
    public var mean: Double { Statistics.mean(values) }
    public var standardDeviation: Double { Statistics.standardDeviation(values) }
    public var interval: ConfidenceInterval? { Statistics.studentTInterval(values) }
    public var paperPoint: PaperPoint?
    public var paperVerdict: PaperVerdict?
    public var paperReason: String
    public var referenceValues: [Double]?
    /// The reference's per-step samples of each seed, when it stored them.
    public var referenceSamples: [[Double]]?
    public var referenceVerdict: ReferenceVerdict?
    public var referenceReason: String

    /// For a speed metric with a reference: the ratio new/reference (worse above 1) and its 99%
    /// interval (``Verdicts/speedData(values:reference:samples:)`` says from what).
    public var speedRatio: SpeedRatio? {
        guard metric.kind == .speed, let referenceValues else { return nil }
        let data = Verdicts.speedData(values: values, reference: referenceValues, samples: referenceSamples.map { (samples, $0) })
        return SpeedRatio(new: data.new, reference: data.reference, worseIsLarger: metric.polarity == .smallerIsBetter, level: Verdicts.speedLevel)
    }
}

/// The verdict rules (docs/RESULTS-SCHEMA.md states them for users).
public enum Verdicts {
    /// The paper verdict: *reproduced* when TOST at α = 0.05 shows equivalence within the margin
    /// (the point's, or the metric's practical margin when the point has none); *differs* when the
    /// Student-t 95% CI excludes value ± margin, or when every seed lies beyond it on one side and
    /// the sign test says so (two-sided p = 2·0.5ⁿ < 0.05, n ≥ 6: a heavy tail — one seed at
    /// 10²⁵ — widens the mean's interval over the band although no seed is in it); else
    /// *inconclusive* — always so for n < 2.
    /// With zero spread the mean is taken as exact.
    /// At a tier the point does not list (``PaperPoint/tiers``): *not comparable*.
    public static func paper(_ values: [Double], point: PaperPoint, metric: Metric, tier: Tier) -> (PaperVerdict, String) {
        guard point.tiers.contains(tier) else {
            return (.notComparable, "the point judges the \(point.tiers.map(\.rawValue).joined(separator: "/")) tier; this run is \(tier.rawValue)")
        }
        let margin = point.margin ?? metric.practicalMargin
        let (low, high) = (point.value - margin, point.value + margin)
        let mean = Statistics.mean(values)
        guard values.count > 1 else { return (.inconclusive, "n=\(values.count): no spread to test with") }
        let sd = Statistics.standardDeviation(values)
        if sd == 0 && (point.sigma ?? 0) == 0 {
            return abs(mean - point.value) <= margin
                ? (.reproduced, "all seeds equal, within ±\(fmt(margin))") : (.differs, "all seeds equal, outside ±\(fmt(margin))")
        }
        if let p = HypothesisTests.tost(values, reference: point.value, margin: margin, referenceSigma: point.sigma, referenceCount: point.n),
            p < 0.05
        {
            return (.reproduced, "TOST p=\(fmt(p)) < 0.05 for ±\(fmt(margin))")
        }
        if let ci = Statistics.studentTInterval(values), ci.high < low || ci.low > high {
            return (.differs, "95% CI [\(fmt(ci.low)), \(fmt(ci.high))] outside [\(fmt(low)), \(fmt(high))]")
        }
        if let beyond = allBeyond(values, low: low, high: high) {
            let text = "\(allBeyondPrefix) (\(values.count)) \(beyond.above ? "above" : "below") [\(fmt(low)), \(fmt(high))], sign test p=\(fmt(beyond.p))"
            return beyond.p < 0.05 ? (.differs, text + " < 0.05") : (.inconclusive, text + " ≥ 0.05: more seeds decide")
        }
        return (.inconclusive, "not shown equivalent within ±\(fmt(margin)) nor different")
    }

    /// How an *inconclusive* reason starts when every seed missed the paper's band on one side
    /// (reports quote such reasons; the others say only that neither test decided).
    public static let allBeyondPrefix = "every seed"

    /// When every value lies above `high` (or every one below `low`): which side, and the
    /// two-sided sign test's p-value for "the median lies in the band", 2·0.5ⁿ.
    static func allBeyond(_ values: [Double], low: Double, high: Double) -> (above: Bool, p: Double)? {
        guard !values.isEmpty else { return nil }
        let above = values.allSatisfy { $0 > high }
        guard above || values.allSatisfy({ $0 < low }) else { return nil }
        return (above, min(1, 2 * pow(0.5, Double(values.count))))
    }

    /// The relative slowdown a speed verdict needs beyond its interval when the metric sets no
    /// ``Metric/practicalMargin``: 5%.
    public static let defaultSpeedThreshold = 0.05

    /// The level of the speed interval: 99%.
    public static let speedLevel = 0.99

    /// The reference verdict, nil for informational metrics or too few values.
    ///
    /// Quality: *regressed* when one-sided Welch p < 0.01 in the bad direction AND the mean moved
    /// the bad way by more than the practical margin; *improved* symmetrically; else *ok*; nil
    /// with fewer than two seeds on a side.
    ///
    /// Speed: see ``speed(_:reference:metric:what:)``. `samples` are each seed's per-step samples
    /// on each side (``Metric/samples``); without them the per-seed values are used
    /// (``speedData(values:reference:samples:)``).
    public static func reference(
        _ values: [Double], reference: [Double], metric: Metric, samples: (new: [[Double]], reference: [[Double]])? = nil
    ) -> (ReferenceVerdict?, String) {
        guard metric.kind != .informational else { return (nil, "informational") }
        if metric.kind == .speed {
            let data = speedData(values: values, reference: reference, samples: samples)
            return speed(data.new, reference: data.reference, metric: metric, what: data.what)
        }
        guard values.count > 1, reference.count > 1 else {
            return (nil, "n=\(values.count) vs reference n=\(reference.count): too few seeds to test")
        }
        let smaller = metric.polarity == .smallerIsBetter
        let (new, old) = (Statistics.mean(values), Statistics.mean(reference))
        guard let test = HypothesisTests.welch(values, reference) else {
            return (nil, "not decidable: Welch's test is undefined for these values")
        }
        // "worse" is larger when smaller is better.
        let worseBy = smaller ? new - old : old - new
        let pWorse = smaller ? test.pGreater : test.pLess
        let pBetter = smaller ? test.pLess : test.pGreater
        let detail = "Δmean \(signed(new - old)) (margin \(fmt(metric.practicalMargin))), Welch p_worse=\(fmt(pWorse)) p_better=\(fmt(pBetter))"
        if pWorse < 0.01 && worseBy > metric.practicalMargin { return (.regressed, detail) }
        if pBetter < 0.01 && -worseBy > metric.practicalMargin { return (.improved, detail) }
        return (.ok, detail)
    }

    /// What a speed verdict is drawn from: each seed's per-step samples when both sides have at
    /// least two in all, else the per-seed values, one group each.
    public static func speedData(
        values: [Double], reference: [Double], samples: (new: [[Double]], reference: [[Double]])?
    ) -> (new: [[Double]], reference: [[Double]], what: String) {
        if let samples, samples.new.joined().count > 1, samples.reference.joined().count > 1 {
            return (samples.new, samples.reference, "per-step samples")
        }
        return (values.map { [$0] }, reference.map { [$0] }, "per-seed values")
    }

    /// The speed verdict from two samples of a time-like metric, grouped by job (per-step samples
    /// of each seed, or one value per seed): the ratio r = exp(HL) of the Hodges–Lehmann shift of
    /// the pooled logarithms, new against reference (inverted when larger is better, so r > 1 is
    /// worse), with its 99% interval widened by the spread between jobs (``SpeedRatio``), and the
    /// threshold t (the metric's relative ``Metric/practicalMargin``, else 5%):
    /// *regressed* when r > 1 + t and the interval lies above 1; *improved* when r < 1/(1 + t) and
    /// the interval lies below 1; *ok* otherwise; nil when a side has fewer than two values or
    /// the samples are too few for a 99% interval (3 against 3 values).
    public static func speed(_ new: [[Double]], reference: [[Double]], metric: Metric, what: String = "samples") -> (ReferenceVerdict?, String) {
        let counts = (new.joined().count, reference.joined().count)
        guard counts.0 > 1, counts.1 > 1,
            let ratio = SpeedRatio(new: new, reference: reference, worseIsLarger: metric.polarity == .smallerIsBetter, level: speedLevel)
        else {
            return (nil, "\(counts.0) vs \(counts.1) \(what): too few to test")
        }
        let threshold = metric.practicalMargin > 0 ? metric.practicalMargin : defaultSpeedThreshold
        guard let interval = ratio.interval else {
            return (nil, "ratio \(fmt(ratio.ratio)) from \(ratio.newCount) vs \(ratio.referenceCount) \(what): too few for a 99% interval")
        }
        let detail = "ratio \(fmt(ratio.ratio)) (99% CI [\(fmt(interval.low)), \(fmt(interval.high))], threshold \(fmt(1 + threshold))) "
            + "from \(ratio.newCount) vs \(ratio.referenceCount) \(what)"
            + (ratio.jobSpread > 0 ? ", spread between jobs \(fmt(100 * ratio.jobSpread))%" : "")
        if ratio.ratio > 1 + threshold && interval.low > 1 { return (.regressed, detail) }
        if ratio.ratio < 1 / (1 + threshold) && interval.high < 1 { return (.improved, detail) }
        return (.ok, detail)
    }

    static func fmt(_ x: Double) -> String { formatNumber(x) }
    static func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + formatNumber(x) }
}

/// Four significant digits: `0.0512`, `1.234e-05`; integral values in full: `40640`.
public func formatNumber(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    if x == x.rounded() && abs(x) < 1e9 { return String(Int(x)) }
    return String(format: "%.4g", x)
}
