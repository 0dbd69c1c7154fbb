import Foundation

/// `Baselines/reference/<tier>/<suite>.json`: our own earlier results of one suite at one tier,
/// the raw per-seed values of every metric of every configuration, with where they were
/// produced, and the per-step samples of speed metrics. Written only by `tnbench baseline update RUN_DIR`.
///
/// Version 2 added ``Entry/samples``; version 1 files are read (their speed verdicts fall back to
/// the per-seed values).
public struct ReferenceBaselines: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var configuration: Configuration
        public var metric: String
        /// One value per completed seed.
        public var values: [Double]
        public var seeds: [Int]
        /// For a speed metric that declares ``MetricSpec/samples``: each seed's per-step samples,
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

    /// The version this tool writes.
    public static let currentSchemaVersion = 2

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
    public var entries: [Entry]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", suite, tier, created, run
        case hostName = "host_name", cpuModel = "cpu_model", gitCommit = "git_commit"
        case blasConfiguration = "blas_configuration", entries
    }

    public init(
        suite: String, tier: Tier, created: String, run: String, hostName: String, cpuModel: String,
        gitCommit: String, blasConfiguration: String, entries: [Entry]
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.suite = suite
        self.tier = tier
        self.created = created
        self.run = run
        self.hostName = hostName
        self.cpuModel = cpuModel
        self.gitCommit = gitCommit
        self.blasConfiguration = blasConfiguration
        self.entries = entries
    }

    public static func path(suite: String, tier: Tier, in baselines: String) -> String {
        "\(baselines)/reference/\(tier.rawValue)/\(suite).json"
    }

    /// Loads a reference file; nil when there is none.
    ///
    /// - Throws: ``HarnessError`` `.malformedBaseline` naming the file and the decoding problem.
    public static func load(suite: String, tier: Tier, from baselines: String) throws -> ReferenceBaselines? {
        let file = path(suite: suite, tier: tier, in: baselines)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        do {
            let reference = try JSONDecoder().decode(ReferenceBaselines.self, from: data)
            guard reference.suite == suite else {
                throw HarnessError(.malformedBaseline, "\(file): suite: is '\(reference.suite)' but the file belongs to '\(suite)'")
            }
            return reference
        } catch let error as HarnessError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath + [key])): missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath)): null not allowed")
        } catch let DecodingError.dataCorrupted(context) {
            throw HarnessError(.malformedBaseline, "\(file): \(fieldPath(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw HarnessError(.malformedBaseline, "\(file): \(error)")
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
    /// of the speed metrics among `metrics` that declare them.
    public static func make(from results: ResultSet, suite: String, metrics: [MetricSpec] = []) -> ReferenceBaselines {
        let records = results.records.filter { $0.job.suite == suite && $0.status == .completed }
        var entries: [Entry] = []
        let configurations = Array(Set(records.map(\.job.configuration))).sorted { $0.name < $1.name }
        for configuration in configurations {
            let mine = records.filter { $0.job.configuration == configuration }.sorted { $0.job.seed < $1.job.seed }
            for metric in Set(mine.flatMap(\.record.scalars.keys)).sorted() {
                let runs = mine.filter { $0.record.scalars[metric] != nil }
                let spec = metrics.first { $0.name == metric && $0.kind == .speed && $0.samples != nil }
                entries.append(Entry(
                    configuration: configuration, metric: metric, values: runs.map { $0.record.scalars[metric]! },
                    seeds: runs.map(\.job.seed), samples: spec.map { spec in runs.map { $0.samples(of: spec) ?? [] } }))
            }
        }
        let provenance = records.first?.provenance ?? results.provenance
        return ReferenceBaselines(
            suite: suite, tier: results.tier, created: Timestamp.now(), run: results.name, hostName: provenance.hostName,
            cpuModel: provenance.cpuModel, gitCommit: provenance.gitCommit, blasConfiguration: provenance.blasConfiguration,
            entries: entries)
    }

    /// Writes the file atomically (creating `reference/<tier>/`).
    public func write(to baselines: String) throws {
        let file = Self.path(suite: suite, tier: tier, in: baselines)
        do {
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let data = try JSONEncoder.pretty.encode(self)
            try atomicWrite(file) { try data.write(to: URL(fileURLWithPath: $0)) }
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write reference baseline '\(file)': \(error.localizedDescription)")
        }
    }
}
