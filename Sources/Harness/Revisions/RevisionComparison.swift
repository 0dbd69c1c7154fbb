import Foundation

/// Two builds' runs of the same jobs on one machine, judged metric by metric (`tnbench ab`).
///
/// Both runs hold the same (suite, configuration, seed) jobs with the same settings. Because a
/// job is deterministic in its seed, a quality metric that differs between the two runs for one
/// seed is a change in the numerics, not noise: each such configuration is named. Speed is judged
/// from the per-step samples pooled over seeds (``Verdicts/speed(_:reference:metric:what:)``), so
/// the machine's state, shared by the interleaved runs, cancels out.
public struct RevisionComparison: Sendable {
    /// What happened to one metric of one configuration between the base and the head build.
    public enum Verdict: String, Codable, Sendable {
        /// Speed slower beyond the threshold with its interval above 1, or quality worse beyond
        /// the practical margin with paired one-sided t p < 0.01.
        case regressed
        case improved
        /// Quality values differ for some seeds, but not a regression or improvement.
        case changed
        /// Every seed's value is bit-identical (quality), or speed within the threshold.
        case ok
        /// Speed not judged: the machine was loaded by other work during the A/B
        /// (``LoadAssessment``); the ratio is shown, no verdict drawn.
        case undecided
    }

    public struct Row: Sendable {
        public var suite: String
        public var configuration: Configuration
        public var metric: Metric
        /// Per seed present in both runs, in seed order.
        public var seeds: [Int]
        public var base: [Double]
        public var head: [Double]
        /// For speed metrics: head against base, worse above 1.
        public var speed: SpeedRatio?
        /// Seeds whose quality value differs between the builds.
        public var changedSeeds: [Int]
        public var verdict: Verdict?
        public var reason: String
    }

    public var base: ResultSet
    public var head: ResultSet
    public var rows: [Row]
    /// Jobs recorded by only one of the runs (a configuration added or removed between the revisions).
    public var unmatched: [Job]
    /// Failed or diverged jobs of either run.
    public var unsuccessful: [JobRecord]
    /// The load on the machine that was not the A/B's own, when it was measured.
    public var load: LoadAssessment?

    /// Judges `head` against `base` with the metric specs of `suites` (the head's registry).
    /// When `load` says the machine was loaded, every speed verdict is *undecided* (and cannot
    /// fail the A/B); quality is judged as always (same-seed runs are deterministic).
    public init(base: ResultSet, head: ResultSet, suites: [any Suite], load: LoadAssessment? = nil) {
        self.base = base
        self.head = head
        self.load = load
        rows = []
        unsuccessful = (base.records + head.records).filter { $0.status != .completed }
        let baseJobs = Set(base.records.map(\.job)), headJobs = Set(head.records.map(\.job))
        unmatched = baseJobs.symmetricDifference(headJobs).sorted { $0.description < $1.description }
        for suiteName in head.suites where base.suites.contains(suiteName) {
            let specs = suites.first { $0.name == suiteName }?.metrics ?? []
            let ofSuite = { (set: ResultSet) in set.records.filter { $0.job.suite == suiteName && $0.status == .completed } }
            let (baseRecords, headRecords) = (ofSuite(base), ofSuite(head))
            let configurations = Array(Set(headRecords.map(\.job.configuration))).sorted(by: Configuration.inReadingOrder)
            for configuration in configurations {
                let headRuns = Dictionary(headRecords.filter { $0.job.configuration == configuration }.map { ($0.job.seed, $0) }) { a, _ in a }
                let baseRuns = Dictionary(baseRecords.filter { $0.job.configuration == configuration }.map { ($0.job.seed, $0) }) { a, _ in a }
                let seeds = Set(headRuns.keys).intersection(baseRuns.keys).sorted()
                guard !seeds.isEmpty else { continue }
                for spec in specs where spec.kind != .informational {
                    let paired = seeds.compactMap { seed -> (Int, Double, Double)? in
                        guard let b = baseRuns[seed]!.record.scalars[spec.name], let h = headRuns[seed]!.record.scalars[spec.name] else { return nil }
                        return (seed, b, h)
                    }
                    guard !paired.isEmpty else { continue }
                    var row = Row(
                        suite: suiteName, configuration: configuration, metric: spec, seeds: paired.map(\.0),
                        base: paired.map(\.1), head: paired.map(\.2), speed: nil, changedSeeds: [], verdict: nil, reason: "")
                    if spec.kind == .speed {
                        let pairedSeeds = Set(row.seeds)
                        let samples = { (runs: [Int: JobRecord]) in pairedSeeds.sorted().compactMap { runs[$0]!.samples(of: spec) } }
                        let data = Verdicts.speedData(values: row.head, reference: row.base, samples: (samples(headRuns), samples(baseRuns)))
                        row.speed = SpeedRatio(
                            new: data.new, reference: data.reference, worseIsLarger: spec.polarity == .smallerIsBetter, level: Verdicts.speedLevel)
                        let (verdict, reason) = Verdicts.speed(data.new, reference: data.reference, metric: spec, what: data.what)
                        row.verdict = verdict.map(Self.verdict)
                        row.reason = reason
                        if let load, load.isLoaded {
                            row.verdict = .undecided
                            row.reason = "undecided: the machine was loaded (\(load.summary)); measured \(reason)"
                        }
                    } else {
                        (row.verdict, row.reason, row.changedSeeds) = Self.quality(row, metric: spec)
                    }
                    rows.append(row)
                }
            }
        }
    }

    static func verdict(_ reference: ReferenceVerdict) -> Verdict {
        switch reference {
        case .regressed: .regressed
        case .improved: .improved
        case .ok: .ok
        }
    }

    /// Quality: *ok* when every seed is bit-identical; otherwise the paired differences d = head −
    /// base decide: *regressed* when their mean is worse than the practical margin and the
    /// one-sided paired t-test gives p < 0.01 (all d equal and nonzero: certain), *improved*
    /// symmetrically, else *changed*.
    static func quality(_ row: Row, metric: Metric) -> (Verdict, String, [Int]) {
        let changed = zip(row.seeds, zip(row.base, row.head)).filter { $0.1.0 != $0.1.1 }.map(\.0)
        guard !changed.isEmpty else { return (.ok, "identical for every seed (\(row.seeds.count))", []) }
        // Scaled by one power of two (exact), so differences of values near ±1e308 do not overflow.
        let (small, k) = Statistics.scaled(row.head + row.base)
        let mean = scalbn(Statistics.mean(zip(small.prefix(row.head.count), small.suffix(row.base.count)).map { $0 - $1 }), k)
        let worseBy = metric.polarity == .smallerIsBetter ? mean : -mean
        var pWorse = 1.0, pBetter = 1.0
        if let test = HypothesisTests.pairedT(row.head, row.base) {
            (pWorse, pBetter) = metric.polarity == .smallerIsBetter ? (test.pGreater, test.pLess) : (test.pLess, test.pGreater)
        }
        let detail = "seeds \(changed.map(String.init).joined(separator: ", ")) of \(row.seeds.count) changed; mean paired Δ \(Verdicts.signed(mean)) "
            + "(margin \(Verdicts.fmt(metric.practicalMargin))), paired t p_worse=\(Verdicts.fmt(pWorse)) p_better=\(Verdicts.fmt(pBetter))"
        if pWorse < 0.01 && worseBy > metric.practicalMargin { return (.regressed, detail, changed) }
        if pBetter < 0.01 && -worseBy > metric.practicalMargin { return (.improved, detail, changed) }
        return (.changed, detail, changed)
    }

    public var regressions: [Row] { rows.filter { $0.verdict == .regressed } }

    /// 1 when a metric regressed, else 3 when a job failed or diverged, else 0 (as `compare`).
    public var exitStatus: ExitStatus {
        if !regressions.isEmpty { return .regression }
        if !unsuccessful.isEmpty { return .jobFailed }
        return .ok
    }

    // MARK: Output

    /// The builds compared, from the records.
    var builds: (base: String, head: String) {
        (Set(base.records.map(\.provenance.buildID)).sorted().joined(separator: ", "),
         Set(head.records.map(\.provenance.buildID)).sorted().joined(separator: ", "))
    }

    /// A readable account: speed per configuration with its ratio and interval, the configurations
    /// whose numerics changed (by seed), failures, and the outcome.
    public func text() -> String {
        var lines = ["A/B on one machine, tier \(head.tier.rawValue): base \(builds.base) vs head \(builds.head)"]
        if let load {
            lines.append(load.isLoaded
                ? "speed undecided: the machine was loaded by other work (\(load.summary)); rerun on a quiet machine"
                : "machine: \(load.summary)")
        }
        for suite in head.suites {
            let mine = rows.filter { $0.suite == suite }
            guard !mine.isEmpty else { continue }
            lines.append("")
            lines.append(suite)
            for row in mine where row.metric.kind == .speed {
                let ratio = row.speed.map { r in
                    "×\(Verdicts.fmt(r.ratio))" + (r.interval.map { " [\(Verdicts.fmt($0.low)), \(Verdicts.fmt($0.high))]" } ?? "")
                } ?? "-"
                lines.append("  \(row.configuration.name)  \(row.metric.name) \(ratio): \(row.verdict?.rawValue ?? "no verdict") — \(row.reason)")
            }
            let quality = mine.filter { $0.metric.kind == .quality }
            let changed = quality.filter { !$0.changedSeeds.isEmpty }
            if changed.isEmpty {
                lines.append("  quality: all \(quality.count) metric(s) bit-identical for every seed")
            }
            for row in changed {
                lines.append("  \(row.configuration.name)  \(row.metric.name): \(row.verdict!.rawValue.uppercased()) — \(row.reason)")
            }
        }
        for job in unmatched { lines.append("only in one run: \(job)") }
        for record in unsuccessful { lines.append("\(record.status.rawValue.uppercased()): \(record.job): \(record.message)") }
        let regressed = regressions.count
        lines.append(regressed == 0 ? "no regressions" : "\(regressed) metric\(regressed == 1 ? "" : "s") regressed")
        return lines.joined(separator: "\n")
    }

    /// One JSON array, one object per row: suite, configuration, metric, kind, seeds, base, head,
    /// ratio, ratio_ci_low, ratio_ci_high (speed), changed_seeds (quality), verdict, reason.
    public func json() -> String {
        struct Object: Encodable {
            var suite: String
            var configuration: Configuration
            var metric: String
            var kind: MetricKind
            var seeds: [Int]
            var base: [Double]
            var head: [Double]
            var ratio: Double?
            var ratio_ci_low: Double?
            var ratio_ci_high: Double?
            var changed_seeds: [Int]
            var verdict: Verdict?
            var reason: String
        }
        let objects = rows.map {
            Object(
                suite: $0.suite, configuration: $0.configuration, metric: $0.metric.name, kind: $0.metric.kind, seeds: $0.seeds,
                base: $0.base, head: $0.head, ratio: $0.speed?.ratio, ratio_ci_low: $0.speed?.interval?.low,
                ratio_ci_high: $0.speed?.interval?.high, changed_seeds: $0.changedSeeds, verdict: $0.verdict, reason: $0.reason)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(objects)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
