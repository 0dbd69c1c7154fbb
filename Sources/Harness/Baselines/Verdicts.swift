import Foundation

/// Our result against the paper's number.
public enum PaperVerdict: String, Codable, Sendable {
    /// Equivalent within the point's margin: TOST p < 0.05.
    case reproduced
    /// The 95% confidence interval lies wholly outside value ± margin.
    case differs
    /// Neither (too few seeds, too much spread, or straddling the margin).
    case inconclusive
}

/// Our result against our own reference run.
public enum ReferenceVerdict: String, Codable, Sendable {
    case regressed, ok, improved
}

/// The judgement of one metric of one configuration: statistics over seeds and both verdicts.
public struct ComparisonRow: Sendable {
    public var suite: String
    public var configuration: Configuration
    public var metric: MetricSpec
    public var values: [Double]
    public var n: Int { values.count }
    public var mean: Double { Statistics.mean(values) }
    public var standardDeviation: Double { Statistics.standardDeviation(values) }
    public var interval: ConfidenceInterval? { Statistics.studentTInterval(values) }
    public var paperPoint: PaperPoint?
    public var paperVerdict: PaperVerdict?
    public var paperReason: String
    public var referenceValues: [Double]?
    public var referenceVerdict: ReferenceVerdict?
    public var referenceReason: String
}

/// The verdict rules (docs/RESULTS-SCHEMA.md states them for users).
public enum Verdicts {
    /// The paper verdict: *reproduced* when TOST at α = 0.05 shows equivalence within the margin
    /// (the point's, or the metric's practical margin when the point has none); *differs* when the
    /// Student-t 95% CI excludes value ± margin; else *inconclusive* — always so for n < 2.
    /// With zero spread the mean is taken as exact.
    public static func paper(_ values: [Double], point: PaperPoint, metric: MetricSpec) -> (PaperVerdict, String) {
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
        return (.inconclusive, "not shown equivalent within ±\(fmt(margin)) nor different")
    }

    /// The reference verdict, nil for informational metrics or fewer than two values on a side.
    ///
    /// Quality: *regressed* when one-sided Welch p < 0.01 in the bad direction AND the mean moved
    /// the bad way by more than the practical margin; *improved* symmetrically; else *ok*.
    /// Speed: *regressed* when the mean ratio (new/reference, or its inverse when larger is
    /// better) exceeds 1.10 AND the one-sided Mann–Whitney p < 0.01; *improved* when the ratio
    /// is below 1/1.10 with p < 0.01 the other way; else *ok*.
    public static func reference(_ values: [Double], reference: [Double], metric: MetricSpec) -> (ReferenceVerdict?, String) {
        guard metric.kind != .informational else { return (nil, "informational") }
        guard values.count > 1, reference.count > 1 else {
            return (nil, "n=\(values.count) vs reference n=\(reference.count): too few seeds to test")
        }
        let smaller = metric.polarity == .smallerIsBetter
        let (new, old) = (Statistics.mean(values), Statistics.mean(reference))
        switch metric.kind {
        case .quality:
            let test = HypothesisTests.welch(values, reference)!
            // "worse" is larger when smaller is better.
            let worseBy = smaller ? new - old : old - new
            let pWorse = smaller ? test.pGreater : test.pLess
            let pBetter = smaller ? test.pLess : test.pGreater
            let detail = "Δmean \(signed(new - old)) (margin \(fmt(metric.practicalMargin))), Welch p_worse=\(fmt(pWorse)) p_better=\(fmt(pBetter))"
            if pWorse < 0.01 && worseBy > metric.practicalMargin { return (.regressed, detail) }
            if pBetter < 0.01 && -worseBy > metric.practicalMargin { return (.improved, detail) }
            return (.ok, detail)
        case .speed:
            let ratio = smaller ? new / old : old / new
            let (test, _) = HypothesisTests.mannWhitney(values, reference)!
            let pWorse = smaller ? test.pGreater : test.pLess
            let pBetter = smaller ? test.pLess : test.pGreater
            let detail = "ratio \(fmt(ratio)) (threshold 1.10), Mann–Whitney p_worse=\(fmt(pWorse)) p_better=\(fmt(pBetter))"
            if ratio > 1.10 && pWorse < 0.01 { return (.regressed, detail) }
            if ratio < 1 / 1.10 && pBetter < 0.01 { return (.improved, detail) }
            return (.ok, detail)
        case .informational:
            return (nil, "informational")
        }
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
