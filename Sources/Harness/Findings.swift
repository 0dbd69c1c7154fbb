import Foundation

/// The aggregated values of one metric of one configuration, over seeds (finite values only).
public struct MetricSummary: Sendable {
    public var configuration: Configuration
    public var metric: String
    /// One value per seed that completed.
    public var values: [Double]

    public init(configuration: Configuration, metric: String, values: [Double]) {
        self.configuration = configuration
        self.metric = metric
        self.values = values
    }

    public var n: Int { values.count }
    /// The mean over seeds (``Statistics/mean(_:)``).
    public var mean: Double { Statistics.mean(values) }
    /// The sample standard deviation over seeds, n − 1 (``Statistics/standardDeviation(_:)``); NaN for n < 2.
    public var standardDeviation: Double { Statistics.standardDeviation(values) }
}

/// What our results say of a paper's statement.
public enum FindingVerdict: String, Codable, Sendable {
    /// The results support it.
    case holds
    /// The results contradict it.
    case fails
    /// The run cannot decide it: the configurations it needs were not run, too few seeds, or the
    /// tier runs a reduced protocol the statement does not speak of. Judged either way or not at all.
    case notTestable = "not_testable"
    /// The run has what the statement needs, but its seeds do not decide it: the interval of the
    /// difference reaches both sides of the statement's margin.
    case undecided

    /// How reports print it.
    public var label: String {
        switch self {
        case .holds: "holds"
        case .fails: "fails"
        case .notTestable: "not testable at this tier"
        case .undecided: "undecided by these seeds"
        }
    }
}

/// A cross-configuration statement of the paper checked on our results.
public struct Finding: Codable, Sendable {
    /// The paper's statement: "Glorot/He/LeCun plateau while copy-node trains at every D".
    public var statement: String
    public var verdict: FindingVerdict
    /// The numbers behind the verdict.
    public var detail: String

    public init(statement: String, verdict: FindingVerdict, detail: String) {
        self.statement = statement
        self.verdict = verdict
        self.detail = detail
    }

    /// A finding judged either way: `holds` true → *holds*, false → *fails*, nil → *not testable*
    /// (the run lacks what the statement needs).
    public init(statement: String, holds: Bool?, detail: String) {
        self.init(statement: statement, verdict: holds.map { $0 ? .holds : .fails } ?? .notTestable, detail: detail)
    }

    /// Whether our results support it; nil when not testable.
    public var holds: Bool? {
        switch verdict {
        case .holds: true
        case .fails: false
        case .notTestable, .undecided: nil
        }
    }
}

extension MetricSummary {
    /// "m=10: 0.0312 ± 0.0021 (n=3)": the configuration, the mean and σ (left out for one seed)
    /// with `digits` decimals, and the number of seeds — how findings quote their numbers.
    public func described(digits: Int = 3) -> String {
        let sd = standardDeviation.isNaN ? "" : String(format: " ± %.\(digits)f", standardDeviation)
        return "\(configuration.name): \(String(format: "%.\(digits)f", mean))\(sd) (n=\(n))"
    }
}

extension MetricSummary {
    /// Whether this configuration's mean equals `other`'s within ±`margin`, by the 90% Welch
    /// interval of the difference (this − other; two one-sided tests at 5% each): *holds* when
    /// the interval lies inside [−margin, margin], *fails* when it lies wholly outside (a
    /// difference beyond the margin is established), *undecided* when it reaches across a
    /// bound, *not testable* when either side has fewer than two seeds. A wide spread over seeds
    /// therefore never makes two means "match".
    public func equivalence(to other: MetricSummary, margin: Double) -> (verdict: FindingVerdict, interval: ConfidenceInterval?) {
        guard let interval = Statistics.welchInterval(values, other.values, level: 0.90) else { return (.notTestable, nil) }
        if -margin <= interval.low && interval.high <= margin { return (.holds, interval) }
        if interval.low > margin || interval.high < -margin { return (.fails, interval) }
        return (.undecided, interval)
    }

    /// "; difference +0.3229, 90% interval [+0.0078, +0.6380]" (this − other): how a finding
    /// quotes the interval it was judged by; empty without one.
    public func difference(from other: MetricSummary, _ interval: ConfidenceInterval?) -> String {
        interval.map { String(format: "; difference %+.4f, %.0f%% interval [%+.4f, %+.4f]", mean - other.mean, 100 * $0.level, $0.low, $0.high) } ?? ""
    }

    /// Whether this configuration is at most `margin` worse than `other` (non-inferiority: "D = 16
    /// reaches the accuracy of FC2"), by the same 90% Welch interval of the difference, `worse`
    /// the metric's bad direction: *holds* when the whole interval is better than −margin (one-sided
    /// 5%), *fails* when the whole interval is worse than it, *undecided* across it, *not testable*
    /// with fewer than two seeds on a side.
    public func nonInferiority(to other: MetricSummary, margin: Double, largerIsBetter: Bool) -> (verdict: FindingVerdict, interval: ConfidenceInterval?) {
        guard let interval = Statistics.welchInterval(values, other.values, level: 0.90) else { return (.notTestable, nil) }
        let (worst, best) = largerIsBetter ? (interval.low, interval.high) : (-interval.high, -interval.low)
        if worst > -margin { return (.holds, interval) }
        if best < -margin { return (.fails, interval) }
        return (.undecided, interval)
    }
}

extension Array where Element == MetricSummary {
    /// The summaries of `metric` for the configurations that match `filter` and have at least
    /// one value, in the order given: what a finding looks up.
    public func of(_ metric: Metric, where filter: Configuration = [:]) -> [MetricSummary] {
        self.filter { $0.metric == metric.name && $0.configuration.matches(filter) && $0.n > 0 }
    }
}
