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
    /// When both samples are constant: equal means give p = 1 everywhere (no evidence), unequal
    /// means give p = 0 in the direction of the difference (the difference is certain).
    /// Returns nil when either sample has fewer than two values.
    public static func welch(_ a: [Double], _ b: [Double]) -> TestResult? {
        guard a.count > 1, b.count > 1 else { return nil }
        let na = Double(a.count), nb = Double(b.count)
        let va = Statistics.variance(a) / na, vb = Statistics.variance(b) / nb
        let difference = Statistics.mean(a) - Statistics.mean(b)
        let standardError = (va + vb).squareRoot()
        guard standardError > 0 else {
            if difference == 0 { return TestResult(statistic: 0, degreesOfFreedom: na + nb - 2, pTwoSided: 1, pLess: 1, pGreater: 1) }
            return TestResult(
                statistic: difference > 0 ? .infinity : -.infinity, degreesOfFreedom: na + nb - 2, pTwoSided: 0,
                pLess: difference < 0 ? 0 : 1, pGreater: difference > 0 ? 0 : 1)
        }
        let t = difference / standardError
        let df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1))
        let cdf = SpecialFunctions.studentTCDF(t, degreesOfFreedom: df)
        let sf = SpecialFunctions.studentTCDF(-t, degreesOfFreedom: df)
        return TestResult(statistic: t, degreesOfFreedom: df, pTwoSided: min(1, 2 * min(cdf, sf)), pLess: cdf, pGreater: sf)
    }

    /// The Mann–Whitney U test (scipy `mannwhitneyu(a, b, method='auto')`): U₁ = R₁ − nₐ(nₐ+1)/2.
    /// Exact null distribution when there are no ties and min(nₐ, n_b) ≤ 8 (scipy's rule);
    /// otherwise the normal approximation with tie correction and continuity correction:
    /// σ = √(nₐn_b/12 · ((n+1) − Σ(t³−t)/(n(n−1)))). Returns nil for an empty sample.
    public static func mannWhitney(_ a: [Double], _ b: [Double]) -> (result: TestResult, method: MannWhitneyMethod)? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
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
    /// Returns nil when the standard error is not a positive finite number.
    public static func tost(
        difference: Double, standardError: Double, degreesOfFreedom: Double, lower: Double, upper: Double
    ) -> Double? {
        guard standardError > 0, standardError.isFinite, degreesOfFreedom > 0 else { return nil }
        let p1 = SpecialFunctions.studentTCDF(-(difference - lower) / standardError, degreesOfFreedom: degreesOfFreedom)
        let p2 = SpecialFunctions.studentTCDF((difference - upper) / standardError, degreesOfFreedom: degreesOfFreedom)
        return max(p1, p2)
    }

    /// One-sample TOST: is the mean of `values` within `margin` of `reference`? The reference
    /// may carry its own σ and n (a paper's mean ± σ over n runs), which widen the standard error
    /// Welch-style; otherwise it is a fixed number. Returns nil for fewer than two values or σ = 0.
    public static func tost(
        _ values: [Double], reference: Double, margin: Double, referenceSigma: Double? = nil, referenceCount: Int? = nil
    ) -> Double? {
        guard values.count > 1 else { return nil }
        let n = Double(values.count)
        let va = Statistics.variance(values) / n
        var standardError = va.squareRoot(), df = n - 1
        if let sigma = referenceSigma, let m = referenceCount, m > 1 {
            let vb = sigma * sigma / Double(m)
            standardError = (va + vb).squareRoot()
            df = (va + vb) * (va + vb) / (va * va / (n - 1) + vb * vb / Double(m - 1))
        }
        return tost(
            difference: Statistics.mean(values) - reference, standardError: standardError, degreesOfFreedom: df,
            lower: -margin, upper: margin)
    }
}
