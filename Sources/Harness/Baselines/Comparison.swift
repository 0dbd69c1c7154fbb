import Foundation

/// A run judged against the paper baselines and the reference runs: one row per (suite,
/// configuration, metric), the suites' findings, the failed jobs, and the exit status.
public struct Comparison: Sendable {
    public var results: ResultSet
    /// The tier whose reference runs were used.
    public var referenceTier: Tier
    public var rows: [ComparisonRow]
    public var findings: [String: [Finding]]
    /// Failed or diverged jobs.
    public var unsuccessful: [JobRecord]
    /// Suites with no reference file for ``referenceTier``.
    public var missingReference: [String]
    /// Suites whose speed was not judged because the reference was recorded on another machine,
    /// with the sentence saying so (``speedNotJudged(reference:run:)``); their speed rows are
    /// informational and do not count towards the exit status.
    public var speedNotJudged: [String: String] = [:]
    /// Other implementations beside `native` (``ImplementationRow``); empty when only native ran.
    public var implementationRows: [ImplementationRow] = []
    /// The suites' findings on another implementation's results, by suite and implementation
    /// (``findings`` are native's).
    public var implementationFindings: [String: [String: [Finding]]] = [:]
    /// Where each suite's paper claims stand on the committed paper-tier reference, whatever
    /// this run's tier (``PaperStanding``); suites without a paper file have none.
    public var standings: [String: PaperStanding] = [:]
    /// Per registered suite, how much of its tier's grid this run holds (its own configurations
    /// and seeds, other implementations aside), when less than the whole: a declared subset.
    public var coverage: [String: Coverage] = [:]

    /// How much of a tier's grid a run holds.
    public struct Coverage: Sendable, Equatable {
        public var configurations: Int, plannedConfigurations: Int
        public var jobs: Int, plannedJobs: Int

        /// "13 of the tier's 95 jobs (5 of 19 configurations)".
        public var description: String {
            "\(jobs) of the tier's \(plannedJobs) jobs (\(configurations) of \(plannedConfigurations) configurations)"
        }
    }

    /// Judges `results`.
    ///
    /// - Parameters:
    ///   - suites: the registry (for metric specs and findings); suites of the results that are
    ///     not registered are judged with their scalars as informational metrics.
    ///   - baselines: the `Baselines/` directory.
    ///   - referenceTier: defaults to the run's tier.
    /// - Throws: ``HarnessError`` `.malformedBaseline` for a bad baseline file.
    public init(results: ResultSet, suites: [any Suite], baselines: String, referenceTier: Tier? = nil) throws {
        self.results = results
        self.referenceTier = referenceTier ?? results.tier
        rows = []
        findings = [:]
        unsuccessful = results.records.filter { $0.status != .completed }
        missingReference = []
        for suiteName in results.suites {
            let suite = suites.first { $0.name == suiteName }
            let records = results.records.filter { $0.job.suite == suiteName }
            let completed = records.filter { $0.status == .completed }
            let specs = suite?.metrics ?? Set(completed.flatMap(\.record.scalars.keys)).sorted().map {
                Metric($0, .smallerIsBetter, kind: .informational, unit: "", description: "not declared by a registered suite")
            }
            let paper = try PaperBaselines.load(suite: suiteName, from: baselines, metrics: suite?.metrics.map(\.name))
            let reference = try ReferenceBaselines.load(
                suite: suiteName, tier: self.referenceTier, from: baselines, metrics: suite?.metrics.map(\.name))
            if reference == nil { missingReference.append(suiteName) }
            if let suite {
                let plan = suite.plan(for: results.tier)
                let native = records.filter { $0.job.configuration[ImplementationManifest.configurationKey] == nil }
                let planned = Set(plan.configurations)
                let held = native.filter { planned.contains($0.job.configuration) && $0.job.seed < plan.seeds }
                let shown = Coverage(
                    configurations: Set(held.map(\.job.configuration)).count, plannedConfigurations: planned.count,
                    jobs: held.count, plannedJobs: planned.count * plan.seeds)
                if shown.jobs < shown.plannedJobs { coverage[suiteName] = shown }
            }
            if let paper {
                let paperReference = self.referenceTier == .paper
                    ? reference : try ReferenceBaselines.load(suite: suiteName, tier: .paper, from: baselines, metrics: suite?.metrics.map(\.name))
                standings[suiteName] = PaperStanding(suite: suiteName, paper: paper, reference: paperReference, metrics: specs)
            }
            let otherMachine = reference.flatMap {
                Self.speedNotJudged(reference: $0.recordedMachine, run: Set(completed.map(\.provenance.machine)))
            }
            if let otherMachine { speedNotJudged[suiteName] = otherMachine }
            let configurations = Array(Set(records.map(\.job.configuration))).sorted(by: Configuration.inReadingOrder)
            var summaries: [MetricSummary] = []
            for configuration in configurations {
                let mine = completed.filter { $0.job.configuration == configuration }.sorted { $0.job.seed < $1.job.seed }
                for metric in Set(mine.flatMap(\.record.scalars.keys)).sorted() {
                    summaries.append(MetricSummary(
                        configuration: configuration, metric: metric,
                        values: mine.compactMap { $0.record.scalars[metric] }.filter(\.isFinite)))
                }
                for spec in specs {
                    let values = mine.compactMap { $0.record.scalars[spec.name] }.filter(\.isFinite)
                    let point = paper?.point(for: spec.name, configuration)
                    var row = ComparisonRow(
                        suite: suiteName, configuration: configuration, metric: spec, values: values,
                        samples: spec.kind == .speed ? mine.compactMap { $0.samples(of: spec) } : [],
                        paperPoint: point, paperVerdict: nil, paperReason: point == nil ? "no paper point" : "", referenceValues: nil,
                        referenceVerdict: nil, referenceReason: reference == nil ? "no reference for tier \(self.referenceTier.rawValue)" : "")
                    if values.isEmpty && point == nil { continue }
                    if let point {
                        (row.paperVerdict, row.paperReason) = Verdicts.paper(values, point: point, metric: spec, tier: results.tier)
                    }
                    if let reference {
                        if let old = reference.values(for: spec.name, configuration) {
                            row.referenceValues = old
                            row.referenceSamples = reference.samples(for: spec.name, configuration)
                            if spec.kind == .speed, let otherMachine {
                                row.referenceReason = "informational: \(otherMachine)"
                            } else {
                                (row.referenceVerdict, row.referenceReason) = Verdicts.reference(
                                    values, reference: old, metric: spec,
                                    samples: row.referenceSamples.map { (row.samples, $0) })
                            }
                        } else {
                            row.referenceReason = "no reference values for this configuration"
                        }
                    }
                    rows.append(row)
                }
            }
            // A suite's findings read one implementation's results at a time: native's as
            // ``findings``, each other's (its configurations without the key) beside them.
            let key = ImplementationManifest.configurationKey
            var byImplementation: [String: [MetricSummary]] = [:]
            for summary in summaries {
                var summary = summary
                let name = summary.configuration[key]?.description ?? ImplementationManifest.native
                summary.configuration[key] = nil
                byImplementation[name, default: []].append(summary)
            }
            findings[suiteName] = suite?.findings(byImplementation[ImplementationManifest.native] ?? []) ?? []
            for name in byImplementation.keys.sorted() where name != ImplementationManifest.native {
                implementationFindings[suiteName, default: [:]][name] = suite?.findings(byImplementation[name]!) ?? []
            }
        }
        implementationRows = ImplementationRow.rows(results, suites: suites)
    }

    public var regressions: [ComparisonRow] { rows.filter { $0.referenceVerdict == .regressed } }

    /// Speed is judged against a reference only on the machine it was recorded on: nil when every
    /// machine of the run matches the reference's (``MachineFingerprint/matches(_:)``), else the
    /// sentence that says why speed is informational. Quality is judged everywhere. A run with
    /// no completed job has nothing to judge: nil.
    public static func speedNotJudged(reference: MachineFingerprint, run: Set<MachineFingerprint>) -> String? {
        guard !run.isEmpty, !run.allSatisfy(reference.matches) else { return nil }
        let here = run.map(\.description).sorted().joined(separator: " and ")
        return "recorded on \(reference); this run on \(here): speed not judged"
    }

    /// 1 when anything regressed (informational rows, such as speed measured on another machine
    /// than the reference's, never count), else 3 when a job failed or diverged, else 4 when a suite has
    /// no reference run for the tier, else 0.
    public var exitStatus: ExitStatus {
        if !regressions.isEmpty { return .regression }
        if !unsuccessful.isEmpty { return .jobFailed }
        if !missingReference.isEmpty { return .missingBaseline }
        return .ok
    }

    // MARK: Output

    /// The `compare --json` contract: one array, one object per row, keys in a fixed order.
    public func json() -> String {
        func number(_ x: Double?) -> String {
            guard let x, x.isFinite else { return "null" }
            return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
        }
        func string(_ s: String?) -> String {
            guard let s else { return "null" }
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        func configuration(_ c: Configuration) -> String {
            "{" + c.keys.map { key -> String in
                let value: String
                switch c[key]! {
                case .int(let i): value = String(i)
                case .double(let d): value = number(d)
                case .string(let s): value = string(s)
                }
                return "\(string(key)): \(value)"
            }.joined(separator: ", ") + "}"
        }
        // Another implementation's row carries its comparison with native's (same configuration and seeds).
        let key = ImplementationManifest.configurationKey
        var beside: [String: ImplementationRow] = [:]
        for row in implementationRows {
            var configuration = row.configuration
            configuration[key] = .string(row.implementation)
            beside["\(row.suite)|\(configuration.name)|\(row.metric.name)"] = row
        }
        let objects = rows.map { row -> String in
            let ci = row.interval
            let speed = row.speedRatio
            let native = beside["\(row.suite)|\(row.configuration.name)|\(row.metric.name)"]
            let fields = [
                "\"suite\": \(string(row.suite))",
                "\"configuration\": \(configuration(row.configuration))",
                "\"metric\": \(string(row.metric.name))",
                "\"n\": \(row.n)",
                "\"mean\": \(number(row.n > 0 ? row.mean : nil))",
                "\"std\": \(number(row.n > 1 ? row.standardDeviation : nil))",
                "\"ci_low\": \(number(ci?.low))",
                "\"ci_high\": \(number(ci?.high))",
                "\"paper_value\": \(number(row.paperPoint?.value))",
                "\"paper_confidence\": \(string(row.paperPoint?.confidence.rawValue))",
                "\"paper_verdict\": \(string(row.paperVerdict?.rawValue))",
                "\"reference_verdict\": \(string(row.referenceVerdict?.rawValue))",
                "\"speed_ratio\": \(number(speed?.ratio))",
                "\"speed_ratio_ci_low\": \(number(speed?.interval?.low))",
                "\"speed_ratio_ci_high\": \(number(speed?.interval?.high))",
                "\"native_mean\": \(number(native.flatMap { $0.nativeValues.isEmpty ? nil : Statistics.mean($0.nativeValues) }))",
                "\"vs_native\": \(number(native?.difference?.estimate ?? native?.speedRatio?.ratio))",
                "\"vs_native_ci_low\": \(number(native?.difference?.interval?.low ?? native?.speedRatio?.interval?.low))",
                "\"vs_native_ci_high\": \(number(native?.difference?.interval?.high ?? native?.speedRatio?.interval?.high))",
            ]
            return "  {" + fields.joined(separator: ", ") + "}"
        }
        return objects.isEmpty ? "[]" : "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    /// A human-readable account: per suite the rows, then why anything regressed, the findings,
    /// the failed jobs and the missing references.
    public func text() -> String {
        var lines: [String] = ["run \(results.name) (tier \(results.tier.rawValue)), reference tier \(referenceTier.rawValue)"]
        for suite in results.suites {
            lines.append("")
            lines.append("\(suite)")
            for row in rows where row.suite == suite {
                let stats = row.n == 0 ? "no values" : "\(formatNumber(row.mean)) ± \(formatNumber(row.standardDeviation)) (n=\(row.n))"
                let paper = row.paperPoint.map { "paper \(formatNumber($0.value)) [\($0.confidence.rawValue)]: \(row.paperVerdict?.label ?? "-")" } ?? "paper -"
                let informational = row.metric.kind == .speed && row.referenceValues != nil && speedNotJudged[suite] != nil
                let reference = "reference: \(row.referenceVerdict?.rawValue ?? (informational ? "informational (other machine)" : "-"))"
                lines.append("  \(row.configuration.name)  \(row.metric.name) = \(stats)  \(paper)  \(reference)")
                if row.referenceVerdict == .regressed || row.referenceVerdict == .improved {
                    lines.append("      \(row.referenceVerdict!.rawValue.uppercased()): \(row.referenceReason)")
                }
            }
            if let note = speedNotJudged[suite] {
                lines.append("  speed is informational: reference \(note) (quality is judged)")
            }
            for finding in findings[suite] ?? [] {
                lines.append("  finding (\(finding.verdict.label)): \(finding.statement) — \(finding.detail)")
            }
            lines += sideBySideText(suite)
            for (name, list) in (implementationFindings[suite] ?? [:]).sorted(by: { $0.key < $1.key }) {
                for finding in list {
                    lines.append("  finding on \(name) (\(finding.verdict.label)): \(finding.statement) — \(finding.detail)")
                }
            }
        }
        for record in unsuccessful {
            lines.append("\(record.status.rawValue.uppercased()): \(record.job): \(record.message)")
        }
        if !missingReference.isEmpty {
            lines.append("no reference results at tier \(referenceTier.rawValue) for \(missingReference.joined(separator: ", ")); create them with `tnbench baseline update <run dir>`")
        }
        let regressed = regressions.count
        lines.append(regressed == 0 ? "no regressions" : "\(regressed) metric\(regressed == 1 ? "" : "s") regressed")
        if !speedNotJudged.isEmpty {
            lines[lines.count - 1] += " (speed not judged for \(speedNotJudged.keys.sorted().joined(separator: ", ")): "
                + "their references were recorded on another machine; `tnbench ab` compares speed on one machine)"
        }
        return lines.joined(separator: "\n")
    }
}
