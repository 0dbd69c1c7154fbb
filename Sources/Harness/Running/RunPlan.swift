import Foundation

/// One job of a planned run, addressable by its ``index`` from any machine that sees the run
/// directory (`tnbench run-job DIR INDEX`).
public struct PlanEntry: Codable, Sendable, Equatable {
    /// The job's index in the plan: assigned once, never changed (see ``RunPlan/add(_:request:)``).
    public var index: Int
    public var suite: String
    public var configuration: Configuration
    public var seed: Int
    /// The settings the job runs with: the tier's, with the `--set` overrides applied.
    public var settings: [String: ConfigurationValue]
    /// The `--set` values among ``settings``.
    public var overrides: [String: ConfigurationValue]
    /// What the job asks a cluster scheduler for.
    public var resources: JobResources

    public init(
        index: Int, suite: String, configuration: Configuration, seed: Int, settings: [String: ConfigurationValue],
        overrides: [String: ConfigurationValue] = [:], resources: JobResources
    ) {
        self.index = index
        self.suite = suite
        self.configuration = configuration
        self.seed = seed
        self.settings = settings
        self.overrides = overrides
        self.resources = resources
    }

    public var job: Job { Job(suite: suite, configuration: configuration, seed: seed) }

    enum CodingKeys: String, CodingKey {
        case index, suite, configuration, seed, settings, overrides, resources
        case doubleKeys = "double_keys"
    }

    /// The keys whose values are floating-point numbers. JSON does not keep `1.0` apart from `1`
    /// (JSONEncoder writes both as `1`), yet `lr=1.0` and `lr=1` are different configurations (other
    /// names, other random streams): the plan lists the floating-point keys and restores them.
    struct DoubleKeys: Codable, Equatable {
        var configuration: [String]
        var settings: [String]
        var overrides: [String]
    }

    static func doubleKeys(_ values: [String: ConfigurationValue]) -> [String] {
        values.filter { if case .double = $0.value { true } else { false } }.keys.sorted()
    }

    static func restoring(_ values: [String: ConfigurationValue], doubles: [String]) -> [String: ConfigurationValue] {
        var result = values
        for key in doubles { if case .int(let i)? = result[key] { result[key] = .double(Double(i)) } }
        return result
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let doubles = try container.decodeIfPresent(DoubleKeys.self, forKey: .doubleKeys)
            ?? DoubleKeys(configuration: [], settings: [], overrides: [])
        index = try container.decode(Int.self, forKey: .index)
        suite = try container.decode(String.self, forKey: .suite)
        configuration = Configuration(Self.restoring(
            try container.decode(Configuration.self, forKey: .configuration).values, doubles: doubles.configuration))
        seed = try container.decode(Int.self, forKey: .seed)
        settings = Self.restoring(try container.decode([String: ConfigurationValue].self, forKey: .settings), doubles: doubles.settings)
        overrides = Self.restoring(
            try container.decodeIfPresent([String: ConfigurationValue].self, forKey: .overrides) ?? [:], doubles: doubles.overrides)
        resources = try container.decode(JobResources.self, forKey: .resources)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(suite, forKey: .suite)
        try container.encode(configuration, forKey: .configuration)
        try container.encode(seed, forKey: .seed)
        try container.encode(settings, forKey: .settings)
        try container.encode(overrides, forKey: .overrides)
        try container.encode(resources, forKey: .resources)
        try container.encode(
            DoubleKeys(
                configuration: Self.doubleKeys(configuration.values), settings: Self.doubleKeys(settings),
                overrides: Self.doubleKeys(overrides)),
            forKey: .doubleKeys)
    }
}

/// One planning command (`tnbench plan` or `run`) that added jobs to a plan, kept so the plan
/// says how it came about.
public struct PlanRequest: Codable, Sendable, Equatable {
    /// The suites as named on the command line (`all` included).
    public var suites: [String]
    /// `--seeds`, when given.
    public var seeds: Int?
    /// The `--config key=value` arguments.
    public var configurations: [String]
    /// The `--set key=value` arguments.
    public var settings: [String]
    /// The `--implementation` arguments (absent: `native` alone).
    public var implementations: [String]?
    /// ISO 8601 UTC.
    public var time: String

    public init(
        suites: [String], seeds: Int? = nil, configurations: [String] = [], settings: [String] = [],
        implementations: [String]? = nil, time: String = Timestamp.now()
    ) {
        self.suites = suites
        self.seeds = seeds
        self.configurations = configurations
        self.settings = settings
        self.implementations = implementations
        self.time = time
    }
}

/// The jobs of a run directory, each with a stable index: `<run dir>/plan.json`.
///
/// A plan only grows. Planning again into the same directory (a resumed `run`, more seeds, another
/// suite) keeps every existing job at its index and appends new jobs after the last one, so an
/// index that a scheduler was given keeps naming the same job. A job planned again with other
/// settings (a different `--set`) is refused: its record, if any, was made with the old ones.
public struct RunPlan: Codable, Sendable, Equatable {
    /// The version of the plan file's format.
    public static let formatVersion = 1
    public static let fileName = "plan.json"

    public var formatVersion: Int
    public var tier: Tier
    public var created: String
    public var requests: [PlanRequest]
    public var jobs: [PlanEntry]

    public init(tier: Tier, created: String = Timestamp.now()) {
        self.formatVersion = Self.formatVersion
        self.tier = tier
        self.created = created
        self.requests = []
        self.jobs = []
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", tier, created, requests, jobs
    }

    /// The suites of the plan, in the order their first job was planned.
    public var suites: [String] {
        var seen: [String] = []
        for entry in jobs where !seen.contains(entry.suite) { seen.append(entry.suite) }
        return seen
    }

    /// The entry of a job, when the plan has it. Linear in the plan: for many look-ups build
    /// ``indexByJob()`` once.
    public func entry(for job: Job) -> PlanEntry? {
        let identity = JobIdentity(job)
        return jobs.first { JobIdentity($0.job) == identity }
    }

    /// The index of every job, by its identity (a numeric configuration value matches across
    /// int/double, as ``Configuration/matchesExactly(_:)``): the planner's O(1) look-up.
    public func indexByJob() -> [JobIdentity: Int] {
        var result: [JobIdentity: Int] = [:]
        result.reserveCapacity(jobs.count)
        for entry in jobs { result[JobIdentity(entry.job)] = result[JobIdentity(entry.job)] ?? entry.index }
        return result
    }

    /// The entry at `index`.
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` saying that `index` is outside the plan's
    ///   range (or that the plan is empty).
    public func entry(at index: Int) throws -> PlanEntry {
        guard !jobs.isEmpty else {
            throw HarnessError(.invalidArgument, "no job \(index): the plan has no jobs; plan some with `tnbench plan SUITES --tier T --out DIR`")
        }
        guard jobs.indices.contains(index), jobs[index].index == index else {
            throw HarnessError(
                .invalidArgument,
                "no job \(index): index \(index) is outside the plan's \(jobs.count) job(s), whose indices are 0…\(jobs.count - 1)")
        }
        return jobs[index]
    }

    /// Adds the jobs the plan lacks at the next indices and records the request.
    ///
    /// - Returns: the index of every job of `planned`, in order.
    /// - Throws: ``HarnessError`` `.invalidConfiguration` when a planned job is already in the plan
    ///   with other settings.
    @discardableResult
    public mutating func add(_ planned: [PlannedJob], request: PlanRequest) throws -> [Int] {
        var indices: [Int] = []
        var known = indexByJob()
        for job in planned {
            let identity = JobIdentity(job.job)
            if let existingIndex = known[identity] {
                let existing = jobs[existingIndex]
                guard existing.settings == job.settings else {
                    let changed = Set(existing.settings.keys).union(job.settings.keys).sorted()
                        .filter { existing.settings[$0] != job.settings[$0] }
                        .map { "\($0) = \(existing.settings[$0]?.description ?? "unset") then, \(job.settings[$0]?.description ?? "unset") now" }
                    throw HarnessError(
                        .invalidConfiguration,
                        "job \(existing.index) (\(job.job)) was planned with other settings (\(changed.joined(separator: "; "))): a different --set, or the suite's tier settings changed since; plan it with the same settings or choose another --out")
                }
                indices.append(existing.index)
            } else {
                let index = jobs.count
                known[identity] = index
                jobs.append(PlanEntry(
                    index: index, suite: job.job.suite, configuration: job.job.configuration, seed: job.job.seed,
                    settings: job.settings, overrides: job.overrides, resources: job.resources))
                indices.append(index)
            }
        }
        requests.append(request)
        return indices
    }

    /// The runnable job of an entry.
    ///
    /// - Throws: ``HarnessError`` `.unknownSuite` when this tool has no such suite (a plan made by
    ///   another build).
    public func plannedJob(_ entry: PlanEntry, registry: [any Suite]) throws -> PlannedJob {
        guard let suite = registry.first(where: { $0.name == entry.suite }) else {
            throw HarnessError(
                .unknownSuite,
                "job \(entry.index) is of suite '\(entry.suite)', which this tnbench does not have (valid suites: \(registry.map(\.name).joined(separator: ", ")))")
        }
        return PlannedJob(
            suite: suite, job: entry.job, settings: entry.settings, overrides: entry.overrides, resources: entry.resources)
    }
}

extension ResultDirectory {
    public var planPath: String { path + "/" + RunPlan.fileName }

    /// The run's plan.
    ///
    /// - Throws: ``HarnessError`` `.invalidResults` when the directory has no plan or it is malformed.
    public func readPlan() throws -> RunPlan {
        guard let data = FileManager.default.contents(atPath: planPath) else {
            throw HarnessError(
                .invalidResults,
                "'\(path)' has no \(RunPlan.fileName): plan it first with `tnbench plan SUITES --tier T --out \(path)` (or `tnbench run`)")
        }
        let plan: RunPlan
        do { plan = try JSONDecoder().decode(RunPlan.self, from: data) } catch {
            throw HarnessError(.invalidResults, "\(planPath): malformed plan (\(Self.describe(error)))")
        }
        if let problem = plan.problem() { throw HarnessError(.invalidResults, "\(planPath): \(problem)") }
        if let manifest = try? readManifest(), manifest.tier != plan.tier {
            throw HarnessError(
                .invalidResults, "\(planPath): the plan is of tier \(plan.tier.rawValue) but \(manifestPath) says \(manifest.tier.rawValue)")
        }
        return plan
    }

    /// A decoding error in one line: what is wrong and where (`jobs[3].seed`), not the
    /// `DecodingError` dump.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "the top level" : text)
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): no '\(key.stringValue)'"
        @unknown default:
            return String(describing: error)
        }
    }

    /// Creates the directory when needed (checking its tier, see ``prepare(tier:)``) and adds
    /// `planned` to its plan. Returns the plan and the index of every planned job.
    @discardableResult
    ///
    /// The read-modify-write of `plan.json` holds the directory's plan lock
    /// (``RunDirectoryLock/Kind/plan``), so two planners into one directory add their jobs one
    /// after the other and neither loses any.
    public func extendPlan(with planned: [PlannedJob], tier: Tier, request: PlanRequest) throws -> (plan: RunPlan, indices: [Int]) {
        try prepare(tier: tier)
        let lock = try RunDirectoryLock.acquire(.plan, in: path, wait: RunDirectoryLock.waitSeconds)
        defer { lock.release() }
        try prepare(tier: tier)
        var plan = FileManager.default.fileExists(atPath: planPath) ? try readPlan() : RunPlan(tier: tier)
        guard plan.tier == tier else {
            throw HarnessError(.invalidArgument, "'\(path)' was planned at tier \(plan.tier.rawValue); resume it with --tier \(plan.tier.rawValue) or choose another --out")
        }
        let indices = try plan.add(planned, request: request)
        let data = try JSONEncoder.pretty.encode(plan)
        try atomicWrite(planPath, bytes: Array(data))
        return (plan, indices)
    }

    /// The state of every planned job from the records in the directory.
    public func states(of plan: RunPlan) -> [PlannedJobState] {
        plan.jobs.map { entry in
            guard let record = existingRecord(entry.job) else { return PlannedJobState(entry: entry, status: nil, message: "") }
            return PlannedJobState(entry: entry, status: record.status, message: record.message, provenance: record.provenance)
        }
    }
}

/// A planned job and its record's status (nil when it has no record yet).
public struct PlannedJobState: Sendable {
    public var entry: PlanEntry
    public var status: JobStatus?
    public var message: String
    public var provenance: Provenance?

    public init(entry: PlanEntry, status: JobStatus?, message: String, provenance: Provenance? = nil) {
        self.entry = entry
        self.status = status
        self.message = message
        self.provenance = provenance
    }

    /// Whether a scheduler should (re)run it: no record, or a failed one when `retryFailed`.
    public func needsRun(retryFailed: Bool) -> Bool {
        status == nil || (retryFailed && status == .failed)
    }
}
