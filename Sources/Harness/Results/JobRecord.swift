import Foundation

/// One (suite, configuration, seed) job of a benchmark run.
public struct Job: Hashable, Sendable, CustomStringConvertible {
    public var suite: String
    public var configuration: Configuration
    public var seed: Int

    public init(suite: String, configuration: Configuration, seed: Int) {
        self.suite = suite
        self.configuration = configuration
        self.seed = seed
    }

    public var description: String { "\(suite) [\(configuration.name)] seed \(seed)" }
}

/// How a job ended.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    /// Ran to the end and every recorded scalar is finite.
    case completed
    /// Threw an error (recorded in the message).
    case failed
    /// Threw ``Divergence`` or recorded a non-finite scalar.
    case diverged
}

/// Everything stored about one job: its identity, status, what it recorded and where it ran.
public struct JobRecord: Sendable {
    public var job: Job
    public var tier: Tier
    public var status: JobStatus
    /// The error's description for failed or diverged jobs; empty otherwise.
    public var message: String
    public var record: RunRecord
    public var settings: [String: ConfigurationValue]
    /// The settings changed from the tier's by `--set` (a subset of ``settings``).
    public var overrides: [String: ConfigurationValue]
    public var provenance: Provenance
    /// ISO 8601 UTC.
    public var startTime: String
    public var endTime: String
    public var wallSeconds: Double
    /// The job's peak resident memory in bytes (see ``PeakMemory``); nil when not measured
    /// (records written before it was, or a worker that died).
    public var peakResidentBytes: Double?
    /// The round (epoch, sweep) after which the job was resumed from its checkpoint, having been
    /// stopped there (a kill, a preemption); nil when it ran in one go. Its numbers are those of
    /// an uninterrupted run; its timings are partly the earlier process's.
    public var resumedAfterRound: Int?

    public init(
        job: Job, tier: Tier, status: JobStatus, message: String, record: RunRecord,
        settings: [String: ConfigurationValue], provenance: Provenance, startTime: String,
        endTime: String, wallSeconds: Double, overrides: [String: ConfigurationValue] = [:]
    ) {
        self.overrides = overrides
        self.job = job
        self.tier = tier
        self.status = status
        self.message = message
        self.record = record
        self.settings = settings
        self.provenance = provenance
        self.startTime = startTime
        self.endTime = endTime
        self.wallSeconds = wallSeconds
    }

    /// The per-step samples of a metric that declares them (``Metric/samples``): the finite
    /// y values of that curve; nil when the metric declares none or the record has no such curve.
    /// The message as progress lines show it: with the round a resumed job went on after.
    public var displayMessage: String {
        guard let round = resumedAfterRound else { return message }
        return (message.isEmpty ? "" : message + "; ") + "resumed from its checkpoint after round \(round)"
    }

    public func samples(of metric: Metric) -> [Double]? {
        guard let name = metric.samples, let curve = record.curves[name] else { return nil }
        return curve.y.filter(\.isFinite)
    }

    /// The seconds of timed work: the sum of the suite's timers, or the wall time when it has none.
    public var timedSeconds: Double {
        let timers = record.timers.values.reduce(0, +)
        return timers > 0 ? timers : wallSeconds
    }
}

/// The HDF5 encoding of a job record (see docs/RESULTS-SCHEMA.md).
enum JobRecordCodec {
    /// The group path of a job inside a result file: `/<suite>/<configuration>/seed_<n>`.
    static func groupPath(_ job: Job) -> String {
        "/\(escape(job.suite))/\(escape(job.configuration.name.isEmpty ? "default" : job.configuration.name))/seed_\(job.seed)"
    }

    /// Group names may not contain `/`; `%` and `/` are percent-encoded.
    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    static func write(_ record: JobRecord, into group: HDF5Group) throws {
        var attributes = record.provenance.attributes
        attributes["suite"] = .string(record.job.suite)
        attributes["tier"] = .string(record.tier.rawValue)
        attributes["seed"] = .int(Int64(record.job.seed))
        attributes["configuration"] = .string(record.job.configuration.name)
        attributes["status"] = .string(record.status.rawValue)
        attributes["message"] = .string(record.message)
        attributes["start_time"] = .string(record.startTime)
        attributes["end_time"] = .string(record.endTime)
        attributes["wall_seconds"] = .double(record.wallSeconds)
        attributes["flops"] = .double(record.record.flops)
        if let peak = record.peakResidentBytes { attributes["peak_rss_bytes"] = .double(peak) }
        if let round = record.resumedAfterRound { attributes["resumed_after_round"] = .int(Int64(round)) }
        try group.setAttributes(attributes)

        try group.createGroup("configuration").setAttributes(record.job.configuration.values.mapValues(HDF5AttributeValue.init))
        try group.createGroup("settings").setAttributes(record.settings.mapValues(HDF5AttributeValue.init))
        try group.createGroup("overrides").setAttributes(record.overrides.mapValues(HDF5AttributeValue.init))
        try group.createGroup("scalars").setAttributes(record.record.scalars.mapValues { .double($0) })
        try group.createGroup("timers").setAttributes(record.record.timers.mapValues { .double($0) })
        try group.createGroup("attributes").setAttributes(record.record.attributes.mapValues(HDF5AttributeValue.init))
        let curves = try group.createGroup("curves")
        for name in record.record.curves.keys.sorted() {
            let curve = record.record.curves[name]!
            let g = try curves.createGroup(escape(name))
            try g.writeDataset("x", shape: [curve.x.count], data: .float64(curve.x))
            try g.writeDataset("y", shape: [curve.y.count], data: .float64(curve.y))
        }
        let arrays = try group.createGroup("arrays")
        for name in record.record.arrays.keys.sorted() {
            let array = record.record.arrays[name]!
            // Schema 2: `mps/core_000` is the dataset core_000 in the group mps.
            var parts = name.split(separator: "/", omittingEmptySubsequences: true).map { escape(String($0)) }
            let leaf = parts.popLast() ?? escape(name)
            var parent = arrays
            for part in parts { parent = parent.exists(part) ? try parent.group(part) : try parent.createGroup(part) }
            try parent.writeDataset(leaf, shape: array.shape, data: array.data)
            try parent.setDatasetAttributes(leaf, array.attributes.mapValues(HDF5AttributeValue.init))
        }
    }

    static func read(from group: HDF5Group) throws -> JobRecord {
        let a = try group.attributes()
        func string(_ key: String) throws -> String {
            guard let value = a[key]?.stringValue else { throw HDF5Error("\(group.path): missing attribute '\(key)'") }
            return value
        }
        guard let tier = Tier(rawValue: try string("tier")) else { throw HDF5Error("\(group.path): bad tier") }
        guard let status = JobStatus(rawValue: try string("status")) else { throw HDF5Error("\(group.path): bad status") }
        func typed(_ child: String) throws -> [String: ConfigurationValue] {
            guard group.exists(child) else { return [:] }
            return try group.group(child).attributes().mapValues(\.configurationValue)
        }
        func numbers(_ child: String) throws -> [String: Double] {
            guard group.exists(child) else { return [:] }
            return try group.group(child).attributes().compactMapValues(\.doubleValue)
        }
        var run = RunRecord()
        run.scalars = try numbers("scalars")
        run.timers = try numbers("timers")
        run.attributes = try typed("attributes")
        run.flops = a["flops"]?.doubleValue ?? 0
        if group.exists("curves") {
            let curves = try group.group("curves")
            for child in curves.children() where child.isGroup {
                let g = try curves.group(child.name)
                run.curves[unescape(child.name)] = Curve(x: try g.readDataset("x").doubles, y: try g.readDataset("y").doubles)
            }
        }
        if group.exists("arrays") {
            // Schema 2 nests slash-separated names as groups; schema 1 escaped the slash (`%2F`)
            // in one dataset name. Both read back as `mps/core_000`.
            func readArrays(_ parent: HDF5Group, prefix: String) throws {
                for child in parent.children() {
                    let name = prefix + unescape(child.name)
                    if child.isGroup {
                        try readArrays(try parent.group(child.name), prefix: name + "/")
                    } else {
                        run.arrays[name] = try parent.readDataset(child.name)
                    }
                }
            }
            try readArrays(try group.group("arrays"), prefix: "")
        }
        // The seed is read as the integer it was written as, never through a Double (which
        // rounds a seed near 2⁶³ up past Int.max and traps).
        func seed() throws -> Int {
            switch a["seed"] {
            case .int(let i)?: return Int(i)
            case .double(let d)?: if let i = Int(exactly: d) { return i }
            default: break
            }
            throw HDF5Error("\(group.path): missing or malformed attribute 'seed'")
        }
        let job = Job(
            suite: try string("suite"), configuration: Configuration(try typed("configuration")),
            seed: try seed())
        var record = JobRecord(
            job: job, tier: tier, status: status, message: a["message"]?.stringValue ?? "", record: run,
            settings: try typed("settings"), provenance: Provenance(attributes: a),
            startTime: a["start_time"]?.stringValue ?? "", endTime: a["end_time"]?.stringValue ?? "",
            wallSeconds: a["wall_seconds"]?.doubleValue ?? 0, overrides: try typed("overrides"))
        record.peakResidentBytes = a["peak_rss_bytes"]?.doubleValue
        record.resumedAfterRound = a["resumed_after_round"]?.doubleValue.flatMap { Int(exactly: $0) }
        return record
    }

    static func unescape(_ name: String) -> String {
        name.replacingOccurrences(of: "%2F", with: "/").replacingOccurrences(of: "%25", with: "%")
    }
}
