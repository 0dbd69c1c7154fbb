import Testing
import _TestSupport
@testable import Harness

/// Statistics against scipy 1.17.1 reference values (the call that produced each is beside it).
@Suite struct StatisticsTests {
    let a = [0.051, 0.048, 0.055, 0.050, 0.047]
    let b = [0.060, 0.058, 0.065, 0.061, 0.059, 0.063]

    @Test func descriptive() {
        expectClose(Statistics.mean(a), 0.0502, relativeTolerance: 1e-14)  // np.mean(a)
        expectClose(Statistics.standardDeviation(a), 0.003114482300479487, relativeTolerance: 1e-12)  // np.std(a, ddof=1)
        expectClose(Statistics.median(b), 0.0605, relativeTolerance: 1e-14)  // np.median(b)
        expectClose(Statistics.median(a), 0.050, relativeTolerance: 1e-14)
        #expect(Statistics.standardDeviation([1]).isNaN)
    }

    @Test(arguments: [
        (0.975, 4.0, 2.7764451051977934),  // stats.t.ppf(0.975, 4)
        (0.975, 2.5, 3.5746548420036817),  // stats.t.ppf(0.975, 2.5)
        (0.01, 10.0, -2.763769458112696),  // stats.t.ppf(0.01, 10)
    ])
    func studentTQuantile(p: Double, df: Double, expected: Double) {
        expectClose(SpecialFunctions.studentTQuantile(p, degreesOfFreedom: df), expected, relativeTolerance: 1e-10)
    }

    @Test func distributionFunctions() {
        expectClose(SpecialFunctions.studentTCDF(1.3, degreesOfFreedom: 7), 0.8826160823038114, relativeTolerance: 1e-12)  // stats.t.cdf(1.3, 7)
        expectClose(SpecialFunctions.studentTCDF(-2.1, degreesOfFreedom: 3.5), 0.05676291261039907, relativeTolerance: 1e-11)  // stats.t.cdf(-2.1, 3.5)
        expectClose(SpecialFunctions.regularizedIncompleteBeta(0.3, a: 2.5, b: 4), 0.3521975859067672, relativeTolerance: 1e-12)  // stats.beta.cdf(0.3, 2.5, 4.0)
        expectClose(SpecialFunctions.regularizedIncompleteBeta(0.9, a: 0.5, b: 7), 0.9999999780702157, relativeTolerance: 1e-13)  // stats.beta.cdf(0.9, 0.5, 7.0)
    }

    @Test func studentTInterval() throws {
        // stats.t.interval(0.95, 4, loc=np.mean(a), scale=stats.sem(a))
        let ci = try #require(Statistics.studentTInterval(a))
        expectClose(ci.low, 0.046332859454451786, relativeTolerance: 1e-10)
        expectClose(ci.high, 0.05406714054554822, relativeTolerance: 1e-10)
        #expect(Statistics.studentTInterval([1]) == nil)
    }

    @Test func bootstrapIntervalIsSeededAndSane() throws {
        let first = try #require(Statistics.bootstrapInterval(a, resamples: 4000, seed: 7))
        let again = try #require(Statistics.bootstrapInterval(a, resamples: 4000, seed: 7))
        #expect(first == again)
        #expect(first.low < Statistics.mean(a) && Statistics.mean(a) < first.high)
        #expect(first.low >= a.min()! && first.high <= a.max()!)
        // The percentile bootstrap is narrower than the t interval for n = 5 (it ignores the n−1 and t tails).
        let t = try #require(Statistics.studentTInterval(a))
        #expect(first.high - first.low < t.high - t.low)
    }

    @Test func welch() throws {
        let r = try #require(HypothesisTests.welch(a, b))
        expectClose(r.statistic, -6.160541993791357, relativeTolerance: 1e-10)  // stats.ttest_ind(a, b, equal_var=False).statistic
        expectClose(r.degreesOfFreedom!, 7.885678240461594, relativeTolerance: 1e-10)  // .df
        expectClose(r.pTwoSided, 0.0002871838852972651, relativeTolerance: 1e-8)  // .pvalue
        expectClose(r.pLess, 0.00014359194264863256, relativeTolerance: 1e-8)  // alternative='less'
        expectClose(r.pGreater, 0.9998564080573513, relativeTolerance: 1e-10)  // alternative='greater'
    }

    @Test func mannWhitneyExact() throws {
        let (r, method) = try #require(HypothesisTests.mannWhitney(a, b))
        #expect(method == .exact)
        #expect(r.statistic == 0)  // stats.mannwhitneyu(a, b).statistic
        expectClose(r.pTwoSided, 0.004329004329004329, relativeTolerance: 1e-12)  // .pvalue
        expectClose(r.pLess, 0.0021645021645021645, relativeTolerance: 1e-12)  // alternative='less'
        expectClose(r.pGreater, 1.0, relativeTolerance: 1e-12)  // alternative='greater'

        let c = [1.1, 2.3, 3.7, 4.2, 6.6], d = [2.0, 3.0, 5.5, 6.1, 7.3, 0.5]
        let (s, _) = try #require(HypothesisTests.mannWhitney(c, d))
        #expect(s.statistic == 14)
        expectClose(s.pTwoSided, 0.9307359307359306, relativeTolerance: 1e-12)  // stats.mannwhitneyu(c, d)
        expectClose(s.pLess, 0.4653679653679653, relativeTolerance: 1e-12)  // alternative='less'
        expectClose(s.pGreater, 0.6038961038961039, relativeTolerance: 1e-12)  // alternative='greater'
    }

    @Test func mannWhitneyAsymptotic() throws {
        let c: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], d = [3.5, 4.5, 5, 6, 7, 8, 11, 12, 13, 14, 15]
        let (r, method) = try #require(HypothesisTests.mannWhitney(c, d))
        #expect(method == .asymptotic)  // ties (5, 6, 7, 8 appear in both)
        #expect(r.statistic == 29)  // stats.mannwhitneyu(c, d).statistic
        expectClose(r.pTwoSided, 0.07217819812617317, relativeTolerance: 1e-10)  // .pvalue
        expectClose(r.pLess, 0.036089099063086584, relativeTolerance: 1e-10)  // alternative='less'

        let e: [Double] = [1, 2, 2, 3, 3, 3], f: [Double] = [2, 3, 4, 4, 5]
        let (t, tiedMethod) = try #require(HypothesisTests.mannWhitney(e, f))
        #expect(tiedMethod == .asymptotic)
        #expect(t.statistic == 5.5)
        expectClose(t.pTwoSided, 0.08871369199677616, relativeTolerance: 1e-10)  // stats.mannwhitneyu(e, f)
        expectClose(t.pGreater, 0.970711726568604, relativeTolerance: 1e-10)  // alternative='greater'
    }

    @Test func tost() throws {
        // max(stats.ttest_1samp(a, 0.045, alternative='greater').pvalue,
        //     stats.ttest_1samp(a, 0.055, alternative='less').pvalue)
        let p = try #require(HypothesisTests.tost(a, reference: 0.05, margin: 0.005))
        expectClose(p, 0.013072552629371664, relativeTolerance: 1e-9)
        #expect(HypothesisTests.tost([0.05], reference: 0.05, margin: 0.01) == nil)
    }

    @Test func exactDistributionSumsToOne() {
        for (n1, n2) in [(1, 1), (3, 4), (8, 20)] {
            let distribution = HypothesisTests.exactUDistribution(n1, n2)
            #expect(distribution.count == n1 * n2 + 1)
            expectClose(distribution.reduce(0, +), 1, relativeTolerance: 1e-12)
        }
    }

    /// The Welch interval of a difference of means: [1, 2, 3] − [4, 5, 6] is −3 with standard error
    /// √(2/3) on ν = 4 (the textbook case), so ±t(0.975, 4)·√(2/3); constant samples give a
    /// point; fewer than two values, none.
    @Test func welchIntervalOfADifference() throws {
        let interval = try #require(Statistics.welchInterval([1, 2, 3], [4, 5, 6], level: 0.95))
        let half = 2.7764451051977934 * (2.0 / 3).squareRoot()  // stats.t.ppf(0.975, 4)
        expectClose(interval.low, -3 - half, relativeTolerance: 1e-12)
        expectClose(interval.high, -3 + half, relativeTolerance: 1e-12)
        #expect(Statistics.welchInterval([2, 2], [1, 1]) == ConfidenceInterval(low: 1, high: 1, level: 0.95))
        #expect(Statistics.welchInterval([1], [1, 2]) == nil)
        #expect(Statistics.welchInterval([1, .nan], [1, 2]) == nil)
    }

    /// Equivalence within a margin by the 90% interval: inside → holds, wholly outside → fails,
    /// across a bound → undecided (a wide spread never "matches"), too few seeds → not testable.
    @Test func equivalenceWithinAMargin() {
        func summary(_ values: [Double]) -> MetricSummary { MetricSummary(configuration: [:], metric: "e", values: values) }
        let mps = summary([0.052, 0.056, 0.060, 0.055, 0.057])
        #expect(summary([0.053, 0.057, 0.059, 0.054, 0.058]).equivalence(to: mps, margin: 0.01).verdict == .holds)
        #expect(summary([0.30, 0.31, 0.29, 0.30, 0.32]).equivalence(to: mps, margin: 0.01).verdict == .fails)
        let (verdict, interval) = summary([0.06, 0.07, 0.90, 0.88, 0.05]).equivalence(to: mps, margin: 0.01)
        #expect(verdict == .undecided && interval.map { $0.low < -0.01 && $0.high > 0.01 } == true)
        #expect(summary([0.05]).equivalence(to: mps, margin: 0.01).verdict == .notTestable)
    }

    /// Non-inferiority ("reaches FC2's accuracy"): one-sided, either polarity.
    @Test func nonInferiorityWithinAMargin() {
        func summary(_ values: [Double]) -> MetricSummary { MetricSummary(configuration: [:], metric: "a", values: values) }
        let fc2 = summary([0.9850, 0.9852, 0.9853])
        // Better than FC2 by any amount holds; equivalence would not.
        #expect(summary([0.9900, 0.9905, 0.9910]).nonInferiority(to: fc2, margin: 0.002, largerIsBetter: true).verdict == .holds)
        #expect(summary([0.9900, 0.9905, 0.9910]).equivalence(to: fc2, margin: 0.002).verdict == .fails)
        #expect(summary([0.9700, 0.9705, 0.9710]).nonInferiority(to: fc2, margin: 0.002, largerIsBetter: true).verdict == .fails)
        // 0.0032 below with a spread that reaches across −0.002: undecided.
        #expect(summary([0.9808, 0.9820, 0.9831]).nonInferiority(to: fc2, margin: 0.002, largerIsBetter: true).verdict == .undecided)
        // Errors: smaller is better, so 0.003 more error than the reference fails a 0.001 margin.
        let error = summary([0.0148, 0.0150, 0.0152])
        #expect(summary([0.0180, 0.0181, 0.0179]).nonInferiority(to: error, margin: 0.001, largerIsBetter: false).verdict == .fails)
        #expect(summary([0.0140, 0.0141, 0.0139]).nonInferiority(to: error, margin: 0.001, largerIsBetter: false).verdict == .holds)
    }

}
