import Foundation

/// Other implementations beside `native`, per suite, configuration and metric: each
/// implementation's values, the difference of means from native's with its Welch interval
/// (quality: seeds are few, and their values close to normal), the
/// Hodges–Lehmann ratio of its per-step times to native's with its 99% interval (speed), and both
/// peak memories. Built from one run, in which the implementations' jobs ran interleaved on the
/// same machine with the same seeds (docs/IMPLEMENTATIONS.md).
public struct ImplementationRow: Sendable {
    public var suite: String
    /// The configuration without the implementation key.
    public var configuration: Configuration
    public var implementation: String
    public var metric: Metric
    public var values: [Double]
    public var nativeValues: [Double]
    /// Quality: the implementation's mean minus native's, with its 95% Welch interval.
    public var difference: MeanDifference?
    /// Speed: the implementation's per-step times over native's (99% interval).
    public var speedRatio: SpeedRatio?
    /// The medians of the jobs' peak resident memory, in bytes.
    public var peakMemory: Double?
    public var nativePeakMemory: Double?

    /// The level of the quality differences' intervals.
    public static let differenceLevel = 0.95

    /// The rows of `results`: for every configuration that has `native` and another
    /// implementation, one row per quality and speed metric either recorded.
    public static func rows(_ results: ResultSet, suites: [any Suite]) -> [ImplementationRow] {
        var rows: [ImplementationRow] = []
        let key = ImplementationManifest.configurationKey
        for suiteName in results.suites {
            let completed = results.records.filter { $0.job.suite == suiteName && $0.status == .completed }
            let specs = suites.first { $0.name == suiteName }?.metrics ?? []
            var byBase: [Configuration: [String: [JobRecord]]] = [:]
            for record in completed {
                var base = record.job.configuration
                let name = base[key]?.description ?? ImplementationManifest.native
                base[key] = nil
                byBase[base, default: [:]][name, default: []].append(record)
            }
            for base in byBase.keys.sorted(by: Configuration.inReadingOrder) {
                let groups = byBase[base]!
                guard let native = groups[ImplementationManifest.native] else { continue }
                for name in groups.keys.sorted() where name != ImplementationManifest.native {
                    let mine = groups[name]!
                    for spec in specs where spec.kind == .quality || spec.kind == .speed {
                        let values = mine.compactMap { $0.record.scalars[spec.name] }.filter(\.isFinite)
                        let nativeValues = native.compactMap { $0.record.scalars[spec.name] }.filter(\.isFinite)
                        guard !values.isEmpty || !nativeValues.isEmpty else { continue }
                        var row = ImplementationRow(
                            suite: suiteName, configuration: base, implementation: name, metric: spec, values: values,
                            nativeValues: nativeValues, peakMemory: median(mine.compactMap(\.peakResidentBytes)),
                            nativePeakMemory: median(native.compactMap(\.peakResidentBytes)))
                        if spec.kind == .speed {
                            let samples = mine.compactMap { $0.samples(of: spec) }, nativeSamples = native.compactMap { $0.samples(of: spec) }
                            row.speedRatio = SpeedRatio(
                                new: samples.isEmpty ? values.map { [$0] } : samples,
                                reference: nativeSamples.isEmpty ? nativeValues.map { [$0] } : nativeSamples,
                                worseIsLarger: spec.polarity == .smallerIsBetter)
                        } else {
                            row.difference = MeanDifference(values, nativeValues, level: differenceLevel)
                        }
                        rows.append(row)
                    }
                }
            }
        }
        return rows
    }

    private static func median(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : Statistics.median(values)
    }

    /// "mean ± σ (n)" of a list.
    static func summary(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "—" }
        let mean = Statistics.mean(values)
        return values.count > 1 ? "\(formatNumber(mean)) ± \(formatNumber(Statistics.standardDeviation(values))) (n=\(values.count))"
            : "\(formatNumber(mean)) (n=1)"
    }

    /// The comparison with native in words: "−0.012 [−0.020, −0.004]" or "1.84× [1.61, 2.10] (99%)".
    public var versusNative: String {
        if let speedRatio {
            let interval = speedRatio.interval.map { " [\(formatNumber($0.low)), \(formatNumber($0.high))]" } ?? " (too few samples for a 99% interval)"
            return "\(formatNumber(speedRatio.ratio))×\(interval)"
        }
        if let difference {
            let sign = difference.estimate >= 0 ? "+" : ""
            let interval = difference.interval.map { " [\(formatNumber($0.low)), \(formatNumber($0.high))]" } ?? " (one seed on a side: no interval)"
            return "\(sign)\(formatNumber(difference.estimate))\(interval)"
        }
        return "—"
    }

    /// Peak memory of both, in MiB.
    public var memory: String {
        func mib(_ bytes: Double?) -> String { bytes.map { String(format: "%.0f MiB", $0 / 1_048_576) } ?? "—" }
        return "\(mib(peakMemory)) vs \(mib(nativePeakMemory))"
    }
}

extension Comparison {
    /// The lines of `compare`'s side-by-side section of `suite` (empty when only `native` ran).
    func sideBySideText(_ suite: String) -> [String] {
        let rows = implementationRows.filter { $0.suite == suite }
        guard !rows.isEmpty else { return [] }
        var lines = ["  implementations beside native (quality: difference of means, 95% Welch interval; speed: time ratio, 99% interval; peak memory)"]
        for row in rows {
            lines.append("    \(row.implementation) [\(row.configuration.name)] \(row.metric.name): \(ImplementationRow.summary(row.values)) "
                + "vs native \(ImplementationRow.summary(row.nativeValues)); \(row.versusNative); memory \(row.memory)")
        }
        return lines
    }
}

/// The difference of two samples' means, a − b, with Welch's interval:
/// (ā − b̄) ± t₁₋α/₂,ν·√(s²ₐ/nₐ + s²_b/n_b), ν the Welch–Satterthwaite degrees of freedom
/// (``HypothesisTests/welch(_:_:)``). Two constant samples give the point itself.
public struct MeanDifference: Sendable, Equatable {
    public var estimate: Double
    /// Nil when a side has fewer than two values.
    public var interval: ConfidenceInterval?

    /// Nil when a side is empty or holds a value that is not finite.
    public init?(_ a: [Double], _ b: [Double], level: Double = 0.95) {
        guard !a.isEmpty, !b.isEmpty, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        estimate = Statistics.mean(a) - Statistics.mean(b)
        guard a.count > 1, b.count > 1 else { return }
        let va = Statistics.variance(a) / Double(a.count), vb = Statistics.variance(b) / Double(b.count)
        let standardError = (va + vb).squareRoot()
        guard standardError > 0 else {
            interval = ConfidenceInterval(low: estimate, high: estimate, level: level)
            return
        }
        guard let nu = HypothesisTests.welchDegreesOfFreedom(va, count: Double(a.count), vb, count: Double(b.count)) else { return }
        let half = SpecialFunctions.studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: nu) * standardError
        interval = ConfidenceInterval(low: estimate - half, high: estimate + half, level: level)
    }
}
