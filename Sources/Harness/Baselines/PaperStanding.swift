import Foundation

/// Where a paper stands: each of a suite's paper claims judged on the committed paper-tier
/// reference (`Baselines/reference/paper/<Suite>.json`), whatever tier a run is at.
///
/// A ci run cannot judge a claim made for the paper's protocol (*not comparable at this tier*);
/// what it can show is the committed paper-tier result beside its own number. The report's
/// overview, each suite's headline and the README's generated results table
/// (``ResultsTable``) read it from here.
public struct PaperStanding: Sendable {
    /// One paper point against one configuration of the paper-tier reference that it judges, or
    /// against none (``values`` empty, ``verdict`` nil) when the reference has no such configuration.
    public struct Claim: Sendable {
        public var point: PaperPoint
        public var metric: Metric
        /// The reference's configuration (the point's own, a subset, when there is none).
        public var configuration: Configuration
        /// The committed paper-tier values, one per seed; empty when not run.
        public var values: [Double]
        public var verdict: PaperVerdict?
        public var reason: String

        public var n: Int { values.count }
        /// "0.9613 ± 0.0049 (5)", "0.9826 (1)", or "not run".
        public var summary: String { Self.summary(values) }

        static func summary(_ values: [Double]) -> String {
            switch values.count {
            case 0: "not run"
            case 1: "\(formatNumber(values[0])) (1)"
            default: "\(formatNumber(Statistics.mean(values))) ± \(formatNumber(Statistics.standardDeviation(values))) (\(values.count))"
            }
        }
    }

    public var suite: String
    /// The paper-tier reference the claims were judged on; nil when none is committed.
    public var reference: ReferenceBaselines?
    /// Every paper point that judges the paper tier, in the order of `Baselines/<Suite>.json`,
    /// each with the reference configurations it judges.
    public var claims: [Claim]

    /// The counts of the claims' verdicts, "2 reproduced, 1 differs, 3 not run"; "—" without claims.
    public var counts: String {
        let verdicts = claims.map { $0.verdict.map(\.label) ?? "not run" }
        let order = [PaperVerdict.reproduced.label, PaperVerdict.differs.label, PaperVerdict.inconclusive.label, "not run"]
        let parts = order.compactMap { label -> String? in
            let n = verdicts.filter { $0 == label }.count
            return n == 0 ? nil : "\(n) \(label)"
        }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }

    /// "build 311e179, recorded 2026-12-02" for the committed reference; nil without one.
    public var recorded: String? {
        reference.map { "build \(String($0.gitCommit.prefix(7))), recorded \(String($0.created.prefix(10)))" }
    }

    /// The standing of `suite` from a baselines directory (`Baselines/`).
    ///
    /// - Parameters:
    ///   - metrics: the suite's declared metrics (a point on an undeclared metric is judged as a
    ///     quality metric with no practical margin of its own).
    /// - Returns: nil when the suite has no paper file.
    /// - Throws: ``HarnessError`` `.malformedBaseline` for a bad paper or reference file.
    public static func load(suite: String, metrics: [Metric], from baselines: String) throws -> PaperStanding? {
        let names = metrics.isEmpty ? nil : metrics.map(\.name)
        guard let paper = try PaperBaselines.load(suite: suite, from: baselines, metrics: names) else { return nil }
        let reference = try ReferenceBaselines.load(suite: suite, tier: .paper, from: baselines, metrics: names)
        return PaperStanding(suite: suite, paper: paper, reference: reference, metrics: metrics)
    }

    /// Judges `paper`'s points that name the paper tier on `reference` (native configurations
    /// only: another implementation's are not the suite's own claim).
    public init(suite: String, paper: PaperBaselines, reference: ReferenceBaselines?, metrics: [Metric]) {
        self.suite = suite
        self.reference = reference
        let configurations = Array(Set((reference?.entries ?? []).map(\.configuration)))
            .filter { $0[ImplementationManifest.configurationKey] == nil }
            .sorted(by: Configuration.inReadingOrder)
        var claims: [Claim] = []
        for point in paper.points where point.tiers.contains(.paper) {
            let metric = metrics.first { $0.name == point.metric }
                ?? Metric(point.metric, .largerIsBetter, kind: .quality, unit: "", description: "not declared by the suite")
            // The configurations this point judges: those whose most specific point it is.
            let judged = configurations.filter { paper.point(for: point.metric, $0) == point }
                .compactMap { configuration in reference?.values(for: point.metric, configuration).map { (configuration, $0) } }
            if judged.isEmpty {
                claims.append(Claim(point: point, metric: metric, configuration: point.configuration, values: [], verdict: nil,
                                    reason: reference == nil ? "no paper-tier reference committed" : "no paper-tier record of this configuration"))
            }
            for (configuration, values) in judged {
                let (verdict, reason) = Verdicts.paper(values, point: point, metric: metric, tier: .paper)
                claims.append(Claim(point: point, metric: metric, configuration: configuration, values: values, verdict: verdict, reason: reason))
            }
        }
        self.claims = claims
    }
}
