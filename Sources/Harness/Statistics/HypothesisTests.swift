import Foundation

/// The outcome of a two-sample or equivalence test.
///
/// One-sided p-values follow scipy's `alternative` convention for samples (a, b):
/// ``pLess`` tests "a is smaller than b" (alternative='less'), ``pGreater`` "a is greater".
public struct TestResult: Sendable, Equatable {
    /// t for Welch, U₁ (the statistic of the first sample) for Mann–Whitney.
    public var statistic: Double
    /// Welch–Satterthwaite degrees of freedom; nil for rank tests.
    public var degreesOfFreedom: Double?
    public var pTwoSided: Double
    public var pLess: Double
    public var pGreater: Double
}

/// Whether a Mann–Whitney p-value came from the exact null distribution or the normal approximation.
public enum MannWhitneyMethod: String, Sendable {
    case exact, asymptotic
}

/// Two-sample and equivalence tests over seeds.
public enum HypothesisTests {
    /// Welch's unequal-variance t-test (scipy `ttest_ind(a, b, equal_var=False)`):
    /// t = (ā − b̄)/√(s²ₐ/nₐ + s²_b/n_b) with Welch–Satterthwaite degrees of freedom
    /// ν = (s²ₐ/nₐ + s²_b/n_b)² / ((s²ₐ/nₐ)²/(nₐ−1) + (s²_b/n_b)²/(n_b−1)).
    ///
    /// Both statistics are unchanged by scaling the data, so they are computed from the values
    /// divided by a power of two (``Statistics/scaled(_:)``, exact) and ν from the variances
    /// divided by the larger's power of two: no square overflows or underflows, whatever the
    /// magnitude (values near 1e81 used to square their variances to infinity and ν to NaN).
    ///
    /// When both samples are constant: equal means give p = 1 everywhere (no evidence), unequal
    /// means give p = 0 in the direction of the difference (the difference is certain).
    /// Returns nil — the test is not decidable — when either sample has fewer than two values
    /// or holds a value that is not finite.
    public static func welch(_ a: [Double], _ b: [Double]) -> TestResult? {
        guard a.count > 1, b.count > 1, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        let na = Double(a.count), nb = Double(b.count)
        let (small, _) = Statistics.scaled(a + b)
        let (sa, sb) = (Array(small.prefix(a.count)), Array(small.suffix(b.count)))
        let va = Statistics.scaledVariance(sa) / na, vb = Statistics.scaledVariance(sb) / nb
        let difference = Statistics.mean(sa) - Statistics.mean(sb)
        let standardError = (va + vb).squareRoot()
        guard standardError > 0 else {
            if difference == 0 { return TestResult(statistic: 0, degreesOfFreedom: na + nb - 2, pTwoSided: 1, pLess: 1, pGreater: 1) }
            return TestResult(
                statistic: difference > 0 ? .infinity : -.infinity, degreesOfFreedom: na + nb - 2, pTwoSided: 0,
                pLess: difference < 0 ? 0 : 1, pGreater: difference > 0 ? 0 : 1)
        }
        let t = difference / standardError
        guard let df = welchDegreesOfFreedom(va, count: na, vb, count: nb) else { return nil }
        let cdf = SpecialFunctions.studentTCDF(t, degreesOfFreedom: df)
        let sf = SpecialFunctions.studentTCDF(-t, degreesOfFreedom: df)
        return TestResult(statistic: t, degreesOfFreedom: df, pTwoSided: min(1, 2 * min(cdf, sf)), pLess: cdf, pGreater: sf)
    }

    /// The Welch–Satterthwaite ν for the squared standard errors va (of na values) and vb (of nb),
    /// computed after dividing both by the larger's power of two, so that neither their squares
    /// overflow nor underflow (exact: ν does not change). Nil when ν is undefined: a variance
    /// negative or not finite, both zero, or a count below 2.
    static func welchDegreesOfFreedom(_ va: Double, count na: Double, _ vb: Double, count nb: Double) -> Double? {
        guard va >= 0, vb >= 0, va.isFinite, vb.isFinite, na > 1, nb > 1, va + vb > 0 else { return nil }
        let k = Int(max(va, vb).exponent)
        let (ra, rb) = (scalbn(va, -k), scalbn(vb, -k))
        let df = (ra + rb) * (ra + rb) / (ra * ra / (na - 1) + rb * rb / (nb - 1))
        return df.isFinite && df > 0 ? df : nil
    }

    /// The paired t-test of `a` against `b` (scipy `ttest_rel(a, b)`): t = d̄/(s_d/√n) over the
    /// differences d = a − b, n − 1 degrees of freedom; ``TestResult/pGreater`` tests "a is
    /// greater". Computed from the values divided by a common power of two, so differences of
    /// values near ±1e308 do not overflow. All differences equal and nonzero: p = 0 in their
    /// direction (certain). Nil when the samples' lengths differ, n < 2, or a value is not finite.
    public static func pairedT(_ a: [Double], _ b: [Double]) -> TestResult? {
        guard a.count == b.count, a.count > 1, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        let n = Double(a.count)
        let (small, _) = Statistics.scaled(a + b)
        let differences = zip(small.prefix(a.count), small.suffix(b.count)).map { $0 - $1 }
        let mean = Statistics.mean(differences)
        let standardError = Statistics.scaledVariance(differences).squareRoot() / n.squareRoot()
        guard standardError > 0 else {
            if mean == 0 { return TestResult(statistic: 0, degreesOfFreedom: n - 1, pTwoSided: 1, pLess: 1, pGreater: 1) }
            return TestResult(
                statistic: mean > 0 ? .infinity : -.infinity, degreesOfFreedom: n - 1, pTwoSided: 0,
                pLess: mean < 0 ? 0 : 1, pGreater: mean > 0 ? 0 : 1)
        }
        let t = mean / standardError
        let cdf = SpecialFunctions.studentTCDF(t, degreesOfFreedom: n - 1)
        let sf = SpecialFunctions.studentTCDF(-t, degreesOfFreedom: n - 1)
        return TestResult(statistic: t, degreesOfFreedom: n - 1, pTwoSided: min(1, 2 * min(cdf, sf)), pLess: cdf, pGreater: sf)
    }

    /// The Mann–Whitney U test (scipy `mannwhitneyu(a, b, method='auto')`): U₁ = R₁ − nₐ(nₐ+1)/2.
    /// Exact null distribution when there are no ties and min(nₐ, n_b) ≤ 8 (scipy's rule);
    /// otherwise the normal approximation with tie correction and continuity correction:
    /// σ = √(nₐn_b/12 · ((n+1) − Σ(t³−t)/(n(n−1)))). Returns nil for an empty sample or a value
    /// that is not finite (NaN has no rank).
    public static func mannWhitney(_ a: [Double], _ b: [Double]) -> (result: TestResult, method: MannWhitneyMethod)? {
        guard !a.isEmpty, !b.isEmpty, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        let n1 = a.count, n2 = b.count
        let (ranks, tieTerm) = Statistics.ranks(a + b)
        let r1 = ranks.prefix(n1).reduce(0, +)
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        if tieTerm == 0 && (n1 <= 8 || n2 <= 8) {
            let distribution = exactUDistribution(n1, n2)
            // P(U ≥ u) under H0 (U is symmetric, so the first sample's tail serves both ways).
            func sf(_ u: Double) -> Double {
                let start = max(0, Int(u.rounded(.up)))
                return start >= distribution.count ? 0 : distribution[start...].reduce(0, +)
            }
            let greater = min(1, sf(u1)), less = min(1, sf(u2))
            return (TestResult(statistic: u1, degreesOfFreedom: nil, pTwoSided: min(1, 2 * sf(max(u1, u2))), pLess: less, pGreater: greater), .exact)
        }
        let n = Double(n1 + n2)
        let mu = Double(n1 * n2) / 2
        let sigma = (Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
        func p(_ u: Double) -> Double {
            guard sigma > 0 else { return u > mu ? 0 : 1 }
            return SpecialFunctions.normalSF((u - mu - 0.5) / sigma)
        }
        return (TestResult(
            statistic: u1, degreesOfFreedom: nil, pTwoSided: min(1, 2 * p(max(u1, u2))), pLess: min(1, p(u2)),
            pGreater: min(1, p(u1))), .asymptotic)
    }

    /// The probabilities P(U = u), u = 0…n₁n₂, under H0: the coefficients of the Gaussian binomial
    /// [n₁+n₂ choose n₁]_q = Π_{i=1}^{n₁} (1 − q^{n₂+i})/(1 − q^i), divided by C(n₁+n₂, n₁).
    static func exactUDistribution(_ n1: Int, _ n2: Int) -> [Double] {
        let (small, large) = (min(n1, n2), max(n1, n2))
        let degree = small * large
        var coefficients = [Double](repeating: 0, count: degree + 1)
        coefficients[0] = 1
        for i in 1...small {
            // Multiply by (1 − q^{large+i}), then divide by (1 − q^i) (a running sum with stride i).
            let shift = large + i
            if shift <= degree {
                for k in stride(from: degree, through: shift, by: -1) { coefficients[k] -= coefficients[k - shift] }
            }
            for k in stride(from: i, through: degree, by: 1) { coefficients[k] += coefficients[k - i] }
        }
        let total = coefficients.reduce(0, +)
        return coefficients.map { $0 / total }
    }

    /// The two one-sided tests (TOST) of equivalence: is the true difference within
    /// [lower, upper]? With an estimated difference d̂, its standard error and degrees of freedom,
    /// p₁ = P(T ≥ (d̂ − lower)/se) tests H0: d ≤ lower and p₂ = P(T ≤ (d̂ − upper)/se) tests
    /// H0: d ≥ upper; the equivalence p-value is max(p₁, p₂) (Schuirmann 1987).
    /// Returns nil when the standard error is not a positive finite number or the test is
    /// otherwise undefined (NaN degrees of freedom or statistics).
    public static func tost(
        difference: Double, standardError: Double, degreesOfFreedom: Double, lower: Double, upper: Double
    ) -> Double? {
        guard standardError > 0, standardError.isFinite, degreesOfFreedom > 0 else { return nil }
        let (t1, t2) = (-(difference - lower) / standardError, (difference - upper) / standardError)
        guard !t1.isNaN, !t2.isNaN else { return nil }
        let p1 = SpecialFunctions.studentTCDF(t1, degreesOfFreedom: degreesOfFreedom)
        let p2 = SpecialFunctions.studentTCDF(t2, degreesOfFreedom: degreesOfFreedom)
        return max(p1, p2)
    }

    /// One-sample TOST: is the mean of `values` within `margin` of `reference`? The reference
    /// may carry its own σ and n (a paper's mean ± σ over n runs), which widen the standard error
    /// Welch-style; otherwise it is a fixed number. The values, reference, margin and σ are first
    /// divided by one power of two (the test is scale-free), so any finite magnitude is fine.
    /// Returns nil for fewer than two values, σ = 0, or a value or reference that is not finite.
    public static func tost(
        _ values: [Double], reference: Double, margin: Double, referenceSigma: Double? = nil, referenceCount: Int? = nil
    ) -> Double? {
        guard values.count > 1, values.allSatisfy(\.isFinite), reference.isFinite, !margin.isNaN else { return nil }
        let n = Double(values.count)
        let (small, k) = Statistics.scaled(values + [reference])
        let sample = Array(small.dropLast())
        let va = Statistics.scaledVariance(sample) / n
        var standardError = va.squareRoot(), df = n - 1
        if let sigma = referenceSigma, let m = referenceCount, m > 1 {
            let scaledSigma = scalbn(sigma, -k)
            let vb = scaledSigma * scaledSigma / Double(m)
            standardError = (va + vb).squareRoot()
            guard let welch = welchDegreesOfFreedom(va, count: n, vb, count: Double(m)) else { return nil }
            df = welch
        }
        let scaledMargin = scalbn(margin, -k)
        return tost(
            difference: Statistics.mean(sample) - small.last!, standardError: standardError, degreesOfFreedom: df,
            lower: -scaledMargin, upper: scaledMargin)
    }
}
