import Foundation

/// `Baselines/reference/<tier>/<suite>.json`: our own earlier results of one suite at one tier,
/// the raw per-seed values of every metric of every configuration, with where they were
/// produced, and the per-step samples of speed metrics. Written only by `tnbench baseline update RUN_DIR`.
///
/// Version 2 added ``Entry/samples``; version 1 files are read (their speed verdicts fall back to
/// the per-seed values). The optional ``machine`` (CPU, logical cores, BLAS) came later within
/// version 2; files without it are matched on ``cpuModel`` and ``blasConfiguration``.
///
/// Loading validates the file (``load(suite:tier:from:metrics:)``): a file that would silently
/// turn a check off — an unknown metric, an entry without values — is an error, not a gap.
public struct ReferenceBaselines: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var configuration: Configuration
        public var metric: String
        /// One value per completed seed.
        public var values: [Double]
        public var seeds: [Int]
        /// For a speed metric that declares ``Metric/samples``: each seed's per-step samples,
        /// in the order of ``seeds``.
        public var samples: [[Double]]?

        public init(configuration: Configuration, metric: String, values: [Double], seeds: [Int], samples: [[Double]]? = nil) {
            self.configuration = configuration
            self.metric = metric
            self.values = values
            self.seeds = seeds
            self.samples = samples
        }
    }

    /// What the jobs of one configuration cost when the reference was recorded: each seed's wall
    /// seconds and peak resident memory, and the BLAS threads a job ran with. `list` and `plan`
    /// estimate a tier's cost from it (``CostEstimate``).
    public struct JobCost: Codable, Sendable, Equatable {
        public var configuration: Configuration
        public var seeds: [Int]
        /// One per seed: the job's wall time, loading and evaluation included.
        public var seconds: [Double]
        /// The BLAS threads of the jobs (the most of any seed).
        public var threads: Int
        /// The peak resident memory of the seeds that measured it.
        public var peakResidentBytes: [Double]

        enum CodingKeys: String, CodingKey {
            case configuration, seeds, seconds, threads, peakResidentBytes = "peak_resident_bytes"
        }

        public init(configuration: Configuration, seeds: [Int], seconds: [Double], threads: Int, peakResidentBytes: [Double]) {
            self.configuration = configuration
            self.seeds = seeds
            self.seconds = seconds
            self.threads = threads
            self.peakResidentBytes = peakResidentBytes
        }
    }

    /// The version this tool writes.
    public static let currentSchemaVersion = 2
    /// The versions this tool reads.
    public static let supportedSchemaVersions = [1, 2]

    public var schemaVersion: Int
    public var suite: String
    public var tier: Tier
    /// When `baseline update` wrote the file (ISO 8601 UTC) and the run it came from.
    public var created: String
    public var run: String
    public var hostName: String
    public var cpuModel: String
    public var gitCommit: String
    public var blasConfiguration: String
    /// The machine the reference ran on; nil in files written before it was recorded (see
    /// ``recordedMachine``).
    public var machine: MachineFingerprint?
    public var entries: [Entry]
    /// What each configuration's jobs cost; nil in files written before it was recorded.
    public var jobs: [JobCost]?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", suite, tier, created, run
        case hostName = "host_name", cpuModel = "cpu_model", gitCommit = "git_commit"
        case blasConfiguration = "blas_configuration", machine, entries, jobs
    }

    public init(
        suite: String, tier: Tier, created: String, run: String, hostName: String, cpuModel: String,
        gitCommit: String, blasConfiguration: String, machine: MachineFingerprint? = nil, entries: [Entry], jobs: [JobCost]? = nil
    ) {
        self.jobs = jobs
        self.schemaVersion = Self.currentSchemaVersion
        self.suite = suite
        self.tier = tier
        self.created = created
        self.run = run
        self.hostName = hostName
        self.cpuModel = cpuModel
        self.gitCommit = gitCommit
        self.blasConfiguration = blasConfiguration
        self.machine = machine
        self.entries = entries
    }

    /// The machine the reference ran on: ``machine``, or for older files the CPU model and BLAS
    /// configuration they always stored (core count unknown).
    public var recordedMachine: MachineFingerprint {
        machine ?? MachineFingerprint(cpuModel: cpuModel, logicalCores: nil, blasConfiguration: blasConfiguration)
    }

    public static func path(suite: String, tier: Tier, in baselines: String) -> String {
        "\(baselines)/reference/\(tier.rawValue)/\(suite).json"
    }

    /// Loads and validates a reference file; nil when there is none.
    ///
    /// - Parameter metrics: the suite's metric names (nil for a suite that is not registered);
    ///   an entry naming another metric is an error, since its check would silently be off.
    /// - Throws: ``HarnessError`` `.malformedBaseline`, one line naming the file and the problem
    ///   (see ``validate(file:suite:tier:metrics:)``).
    public static func load(suite: String, tier: Tier, from baselines: String, metrics: [String]? = nil) throws -> ReferenceBaselines? {
        let file = path(suite: suite, tier: tier, in: baselines)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try parse(data, file: file, suite: suite, tier: tier, metrics: metrics)
    }

    /// Decodes and validates a reference file's contents, with errors naming `file`.
    ///
    /// - Throws: ``HarnessError`` `.malformedBaseline`.
    public static func parse(_ data: Data, file: String, suite: String, tier: Tier, metrics: [String]? = nil) throws -> ReferenceBaselines {
        // The version first: a file of an unknown version is named as such, not as a field error.
        struct Version: Decodable {
            var schemaVersion: Int?
            enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
        }
        let version: Version
        do {
            version = try JSONDecoder().decode(Version.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw HarnessError(.malformedBaseline, "\(file): schema_version: not an integer; supported versions: \(versions)")
        } catch {
            throw HarnessError(.malformedBaseline, "\(file): (file): not a JSON object (a reference file written by `tnbench baseline update`)")
        }
        guard let number = version.schemaVersion else {
            throw HarnessError(.malformedBaseline, "\(file): schema_version: missing; supported versions: \(versions)")
        }
        guard supportedSchemaVersions.contains(number) else {
            throw HarnessError(
                .malformedBaseline,
                "\(file): schema_version: \(number) is not supported; supported versions: \(versions) (a newer tnbench may read it)")
        }
        let reference: ReferenceBaselines
        do {
            reference = try JSONDecoder().decode(ReferenceBaselines.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath + [key])): missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath)): \(oneLine(context.debugDescription))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath)): null not allowed")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw HarnessError(.malformedBaseline, "\(file): (file): not valid JSON (\(oneLine(context.debugDescription)))")
        } catch let DecodingError.dataCorrupted(context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath)): \(oneLine(context.debugDescription))")
        } catch {
            throw HarnessError(.malformedBaseline, "\(file): \(oneLine(String(describing: error)))")
        }
        try reference.validate(file: file, suite: suite, tier: tier, metrics: metrics)
        return reference
    }

    private static var versions: String { supportedSchemaVersions.map(String.init).joined(separator: ", ") }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Checks what decoding cannot: the file belongs to `suite` and to the `tier` directory it
    /// lies in; every entry names one of `metrics` (when given), has at least one value, all
    /// finite, one seed per value, no seed twice, one list of samples per seed (finite, when
    /// stored); and no (configuration, metric) appears twice.
    ///
    /// - Throws: ``HarnessError`` `.malformedBaseline` naming `file`, the entry and the problem.
    public func validate(file: String, suite expectedSuite: String, tier expectedTier: Tier, metrics: [String]? = nil) throws {
        func fail(_ field: String, _ problem: String) -> HarnessError {
            HarnessError(.malformedBaseline, "\(file): \(field): \(problem)")
        }
        guard suite == expectedSuite else { throw fail("suite", "is '\(suite)' but the file belongs to '\(expectedSuite)'") }
        guard tier == expectedTier else {
            throw fail("tier", "is '\(tier.rawValue)' but the file lies in reference/\(expectedTier.rawValue)/ (move it, or re-record it with `tnbench baseline update`)")
        }
        struct Key: Hashable { var configuration: Configuration, metric: String }
        var seen: [Key: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let at = "entries[\(index)] (\(entry.metric), \(entry.configuration.name))"
            if let metrics, !metrics.contains(entry.metric) {
                throw fail(at, "'\(entry.metric)' is not a metric of \(suite); known metrics: \(metrics.joined(separator: ", "))")
            }
            guard !entry.values.isEmpty else { throw fail(at, "values: empty (an entry needs a value per seed)") }
            if let bad = entry.values.firstIndex(where: { !$0.isFinite }) {
                throw fail(at, "values[\(bad)]: \(entry.values[bad]) is not a finite number")
            }
            guard entry.seeds.count == entry.values.count else {
                throw fail(at, "\(entry.seeds.count) seed(s) for \(entry.values.count) value(s); there must be one seed per value")
            }
            if let repeated = entry.seeds.enumerated().first(where: { entry.seeds[..<$0.offset].contains($0.element) }) {
                throw fail(at, "seeds: seed \(repeated.element) appears twice")
            }
            if let samples = entry.samples {
                guard samples.count == entry.seeds.count else {
                    throw fail(at, "samples: \(samples.count) list(s) for \(entry.seeds.count) seed(s); there must be one per seed")
                }
                for (seed, list) in samples.enumerated() where list.contains(where: { !$0.isFinite }) {
                    throw fail(at, "samples[\(seed)]: holds a value that is not a finite number")
                }
            }
            let key = Key(configuration: entry.configuration, metric: entry.metric)
            if let first = seen[key] {
                throw fail(at, "duplicates entries[\(first)]: one entry per (configuration, metric)")
            }
            seen[key] = index
        }
        var costed = Set<Configuration>()
        for (index, cost) in (jobs ?? []).enumerated() {
            let at = "jobs[\(index)] (\(cost.configuration.name))"
            guard !cost.seeds.isEmpty, cost.seconds.count == cost.seeds.count else {
                throw fail(at, "\(cost.seconds.count) time(s) for \(cost.seeds.count) seed(s); there must be one per seed, at least one")
            }
            if let bad = (cost.seconds + cost.peakResidentBytes).first(where: { !$0.isFinite || $0 < 0 }) {
                throw fail(at, "\(bad) is not a finite number ≥ 0")
            }
            guard cost.peakResidentBytes.count <= cost.seeds.count else {
                throw fail(at, "peak_resident_bytes: \(cost.peakResidentBytes.count) value(s) for \(cost.seeds.count) seed(s)")
            }
            guard cost.threads >= 1 else { throw fail(at, "threads: \(cost.threads) is not ≥ 1") }
            guard costed.insert(cost.configuration).inserted else { throw fail(at, "a second entry for this configuration") }
        }
    }

    private static func fieldPath(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "(root)" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }

    /// The reference values of a configuration's metric.
    public func values(for metric: String, _ configuration: Configuration) -> [Double]? {
        entries.first { $0.metric == metric && $0.configuration == configuration }?.values
    }

    /// Each seed's per-step samples of a configuration's speed metric (nil when not stored).
    public func samples(for metric: String, _ configuration: Configuration) -> [[Double]]? {
        entries.first { $0.metric == metric && $0.configuration == configuration }?.samples
    }

    /// Builds the reference of one suite from a run's completed jobs, with the per-step samples
    /// of the speed metrics among `metrics` that declare them, and the machine they ran on.
    /// When `metrics` is given, only those metrics are kept (loading rejects any other name).
    public static func make(from results: ResultSet, suite: String, metrics: [Metric] = []) -> ReferenceBaselines {
        let records = results.records.filter { $0.job.suite == suite && $0.status == .completed }
        var entries: [Entry] = []
        let configurations = Array(Set(records.map(\.job.configuration))).sorted { $0.name < $1.name }
        for configuration in configurations {
            let mine = records.filter { $0.job.configuration == configuration }.sorted { $0.job.seed < $1.job.seed }
            let declared = Set(metrics.map(\.name))
            for metric in Set(mine.flatMap(\.record.scalars.keys)).sorted() where declared.isEmpty || declared.contains(metric) {
                // Only finite values are judged (as `compare` does), and only they can be written as JSON.
                let runs = mine.filter { $0.record.scalars[metric]?.isFinite == true }
                guard !runs.isEmpty else { continue }
                let spec = metrics.first { $0.name == metric && $0.kind == .speed && $0.samples != nil }
                entries.append(Entry(
                    configuration: configuration, metric: metric, values: runs.map { $0.record.scalars[metric]! },
                    seeds: runs.map(\.job.seed), samples: spec.map { spec in runs.map { $0.samples(of: spec) ?? [] } }))
            }
        }
        let jobs = configurations.map { configuration in
            let mine = records.filter { $0.job.configuration == configuration }.sorted { $0.job.seed < $1.job.seed }
            return JobCost(
                configuration: configuration, seeds: mine.map(\.job.seed), seconds: mine.map { $0.wallSeconds.isFinite ? Swift.max(0, $0.wallSeconds) : 0 },
                threads: Swift.max(1, mine.map(\.provenance.blasThreads).max() ?? 1),
                peakResidentBytes: mine.compactMap(\.peakResidentBytes).filter { $0.isFinite && $0 >= 0 })
        }
        let provenance = records.first?.provenance ?? results.provenance
        return ReferenceBaselines(
            suite: suite, tier: results.tier, created: Timestamp.now(), run: results.name, hostName: provenance.hostName,
            cpuModel: provenance.cpuModel, gitCommit: provenance.gitCommit, blasConfiguration: provenance.blasConfiguration,
            machine: provenance.machine, entries: entries, jobs: jobs)
    }

    /// Writes the file atomically (creating `reference/<tier>/`), after checking it as loading
    /// will (``validate(file:suite:tier:metrics:)``), so no file is written that a later
    /// `compare` would reject.
    ///
    /// - Throws: ``HarnessError`` `.malformedBaseline` for a reference that would not load,
    ///   `.unwritableOutput` when the file cannot be written.
    public func write(to baselines: String) throws {
        let file = Self.path(suite: suite, tier: tier, in: baselines)
        try validate(file: file, suite: suite, tier: tier)
        do {
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let data = try JSONEncoder.pretty.encode(self)
            try atomicWrite(file, bytes: Array(data))
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write reference baseline '\(file)': \(error.localizedDescription)")
        }
    }
}
