import Foundation
import Testing
import TensorCore
import _TestSupport
@testable import Harness

/// The speed verdict from per-step samples: the Hodges–Lehmann interval against brute force, and
/// its false-alarm rate and power on synthetic timings with known slowdowns.
@Suite struct SpeedVerdictTests {
    /// P(U ≤ u) by enumerating every way to place the first sample's n ranks among n + m.
    static func bruteForceUCDF(_ n: Int, _ m: Int, _ u: Int) -> Double {
        var count = 0, total = 0
        func place(_ start: Int, _ left: Int, _ chosen: [Int]) {
            if left == 0 {
                // U₁ = Σ ranks − n(n+1)/2, ranks 1-based.
                let statistic = chosen.map { $0 + 1 }.reduce(0, +) - n * (n + 1) / 2
                total += 1
                if statistic <= u { count += 1 }
                return
            }
            guard start < n + m else { return }
            for position in start..<(n + m) { place(position + 1, left - 1, chosen + [position]) }
        }
        place(0, n, [])
        return Double(count) / Double(total)
    }

    @Test(arguments: [(4, 5, 0.05), (6, 6, 0.01), (5, 8, 0.01), (3, 3, 0.01), (3, 3, 0.1)])
    func criticalRankMatchesTheEnumeratedNullDistribution(n: Int, m: Int, alpha: Double) {
        let k = ShiftEstimate.criticalRank(n, m, alpha: alpha)
        // k is admissible (P(U ≤ k − 1) ≤ α/2) and k + 1 is not.
        if k >= 1 { #expect(Self.bruteForceUCDF(n, m, k - 1) <= alpha / 2 + 1e-12) }
        #expect(Self.bruteForceUCDF(n, m, k) > alpha / 2)
    }

    @Test func estimateIsTheMedianOfPairwiseDifferencesAndTheIntervalTheirOrderStatistics() throws {
        let a = [3.1, 4.7, 2.2, 5.9, 4.4, 3.8], b = [1.0, 2.5, 1.9, 3.3, 2.8]
        let shift = try #require(ShiftEstimate(a, b, level: 0.95))
        let differences = a.flatMap { x in b.map { x - $0 } }.sorted()
        // 30 differences: the median is the mean of the 15th and 16th.
        #expect(shift.estimate == (differences[14] + differences[15]) / 2)
        let k = ShiftEstimate.criticalRank(6, 5, alpha: 0.05)
        let interval = try #require(shift.interval)
        #expect(k >= 1 && interval.low == differences[k - 1] && interval.high == differences[30 - k])
        #expect(interval.level == 0.95)
    }

    @Test func threeAgainstThreeValuesHaveNoNinetyNinePercentInterval() {
        let spec = Metric("epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", description: "")
        let (verdict, reason) = Verdicts.speed([[2.0], [2.1], [2.2]], reference: [[1.0], [1.05], [1.1]], metric: spec)
        #expect(verdict == nil)
        #expect(reason.contains("too few for a 99% interval"))
        // Per-step samples of the same three seeds (eight each) decide it.
        var rng = Philox(seed: 1, stream: 2)
        let new = (0..<3).map { _ in (0..<8).map { _ in 2.0 * exp(0.03 * rng.nextNormal()) } }
        let old = (0..<3).map { _ in (0..<8).map { _ in 1.0 * exp(0.03 * rng.nextNormal()) } }
        #expect(Verdicts.speed(new, reference: old, metric: spec).0 == .regressed)
        #expect(Verdicts.speed(old, reference: new, metric: spec).0 == .improved)
        // Larger-is-better metrics (GFLOP/s) are inverted: a lower rate is the regression.
        let rate = Metric("gflops", .largerIsBetter, kind: .speed, unit: "GFLOP/s", description: "")
        #expect(Verdicts.speed(old, reference: new, metric: rate).0 == .regressed)
    }

    /// Synthetic timings: `seeds` jobs per side, `steps` samples per job; each sample is
    /// base · slowdown · exp(σ_job·z_job + σ_step·z) (a job-level effect such as a neighbour's load, and
    /// step-to-step noise). Returns the fraction of `trials` judged regressed and improved.
    static func rates(
        slowdown: Double, trials: Int, seeds: Int = 3, steps: Int = 10, stepNoise: Double = 0.05, jobNoise: Double = 0.02,
        key: UInt64
    ) -> (regressed: Double, improved: Double) {
        let spec = Metric("epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "epoch_seconds", description: "")
        var rng = Philox(seed: key, stream: RandomKey.derive("speed-power"))
        func side(_ factor: Double) -> [[Double]] {
            (0..<seeds).map { _ -> [Double] in
                let job = jobNoise * rng.nextNormal()
                return (0..<steps).map { _ in 1.7 * factor * exp(job + stepNoise * rng.nextNormal()) }
            }
        }
        var regressed = 0, improved = 0
        for _ in 0..<trials {
            let reference = side(1), new = side(slowdown)
            switch Verdicts.speed(new, reference: reference, metric: spec).0 {
            case .regressed: regressed += 1
            case .improved: improved += 1
            default: break
            }
        }
        return (Double(regressed) / Double(trials), Double(improved) / Double(trials))
    }

    /// 3 seeds × 10 steps per side, 5% step noise. Expected from the rule before running: the HL
    /// log-shift has a standard error of about 1.02 · 0.05 · √(2/30) ≈ 0.013; the between-job term,
    /// estimated from three job medians per side, is zero or about as large; with no slowdown the
    /// ratio must pass 1.05 (3.7 standard errors) and the interval exclude 1: almost never
    /// (< 0.5%). At ×1.10 the estimate sits ≥ 2.5 standard errors above what the interval needs:
    /// nearly always; at ×1.30 always; at ×1.05, on the threshold: about half.
    @Test func falseAlarmsAreRareAndRealSlowdownsAreCaught() {
        let trials = 300
        let none = Self.rates(slowdown: 1.0, trials: trials, jobNoise: 0, key: 11)
        let five = Self.rates(slowdown: 1.05, trials: trials, jobNoise: 0, key: 12)
        let ten = Self.rates(slowdown: 1.10, trials: trials, jobNoise: 0, key: 13)
        let thirty = Self.rates(slowdown: 1.30, trials: trials, jobNoise: 0, key: 14)
        print("speed verdict, step noise only (\(trials) trials each): regressed at ×1.00 \(none.regressed), ×1.05 \(five.regressed), ×1.10 \(ten.regressed), ×1.30 \(thirty.regressed); improved at ×1.00 \(none.improved)")
        #expect(none.regressed <= 0.005 && none.improved <= 0.005)
        #expect(thirty.regressed == 1)
        #expect(ten.regressed >= 0.95)
        #expect(five.regressed > 0.2 && five.regressed < 0.8)
        #expect(thirty.improved == 0 && ten.improved == 0)
    }

    /// The same with a 2% job-level effect (a neighbour's load for a whole job): the estimate's
    /// standard error grows to ≈ √(0.013² + 0.02²·2/3) ≈ 0.021. The pooled Moses interval alone
    /// would not see it (its false alarms: the ratio past 1.05, 2.3 standard errors, ≈ 1%); the
    /// between-job term widens the interval to ≈ ±0.054, so a false alarm needs 2.6 standard errors
    /// (≈ 0.5%), and a 10% slowdown, 1.9 standard errors above that, is caught ≈ 97% of the time
    /// when τ̂ is right (less when three jobs per side overestimate it). Bounds: those rates with
    /// the binomial spread of 300 trials.
    @Test func betweenJobSpreadWidensTheInterval() {
        let trials = 300
        let none = Self.rates(slowdown: 1.0, trials: trials, jobNoise: 0.02, key: 21)
        let ten = Self.rates(slowdown: 1.10, trials: trials, jobNoise: 0.02, key: 23)
        print("speed verdict, step and 2% job noise (\(trials) trials each): regressed at ×1.00 \(none.regressed), ×1.10 \(ten.regressed)")
        #expect(none.regressed <= 0.015 && none.improved <= 0.015)
        #expect(ten.regressed >= 0.8)
    }

    /// A job's timing spikes (a preempted step ten times slower) leave its median's sampling
    /// noise, and so τ̂, as they were: the scale is the median absolute deviation.
    @Test func spikesDoNotHideTheSpreadBetweenJobs() throws {
        var rng = Philox(seed: 5, stream: 6)
        let jobs = [-0.1, 0, 0.1].map { shift in (0..<300).map { i in shift + 0.05 * rng.nextNormal() + (i % 20 == 0 ? 2.3 : 0) } }
        // Three jobs 10% apart, 5% step noise, every 20th step 10× slower: τ̂ ≈ 0.1.
        let tau = try #require(SpeedRatio.betweenJobVariance(jobs)).squareRoot()
        #expect(tau > 0.08 && tau < 0.12)
    }

    @Test func jobSpreadIsTheVarianceOfJobMediansBeyondTheirSamplingNoise() throws {
        // Identical jobs: no spread. Jobs shifted by ±10%: about that.
        let job = [1.0, 1.1, 0.9, 1.05, 0.95].map { Foundation.log($0) }
        #expect(SpeedRatio.betweenJobVariance([job, job, job]) == 0)
        let shifted = [job.map { $0 + 0.1 }, job, job.map { $0 - 0.1 }]
        let scale = 1.4826 * Statistics.median(job.map { abs($0 - Statistics.median(job)) })
        let expected = Statistics.variance([0.1, 0, -0.1]) - Double.pi / 2 * scale * scale / 5
        expectClose(try #require(SpeedRatio.betweenJobVariance(shifted)), expected, relativeTolerance: 1e-12)
        #expect(SpeedRatio.betweenJobVariance([job]) == nil && SpeedRatio.betweenJobVariance([job, [0.1]]) == nil)
        // The widened interval contains the pooled one and reports the spread.
        let ratio = try #require(SpeedRatio(new: shifted.map { $0.map(exp) }, reference: [job, job, job].map { $0.map(exp) }))
        let pooled = try #require(SpeedRatio(new: [shifted.joined().map(exp)], reference: [job.map(exp) + job.map(exp) + job.map(exp)]))
        #expect(ratio.ratio == pooled.ratio)
        #expect(ratio.interval!.low < pooled.interval!.low && ratio.interval!.high > pooled.interval!.high)
        expectClose(ratio.jobSpread, (expected / 2).squareRoot(), relativeTolerance: 1e-12)  // the reference side has none
    }
}
