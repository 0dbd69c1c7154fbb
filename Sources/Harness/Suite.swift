import TensorCore

/// A published result that TNBench reproduces: what it runs at each tier, what it records, how it
/// is judged and which figures it draws.
///
/// A suite is one readable file that maps a paper to code. It knows nothing about processes,
/// HDF5 or gnuplot: the harness expands its ``plan(for:)`` into (configuration, seed) jobs, calls
/// ``run(_:)`` once per job with a fresh ``RunContext``, stores what the run recorded, aggregates
/// over seeds, compares with `Baselines/<name>.json` and the reference runs, and renders
/// ``figures``.
///
/// `run(_:)` must be deterministic in (suite, tier, configuration, seed, BLAS thread count): all
/// randomness comes from ``RunContext/rng(_:)``.
public protocol Suite: Sendable {
    /// The suite's name, which is also its target's and its baseline file's: `"StoudenmireMPS"`.
    var name: String { get }
    /// One line saying what the suite reproduces.
    var summary: String { get }
    /// The paper whose result this is.
    var paper: PaperReference { get }
    /// Every metric the suite records as a final scalar, with its polarity and margins.
    var metrics: [Metric] { get }
    /// The figures the harness draws from the records.
    var figures: [FigureSpec] { get }

    /// The configurations, seeds and settings of a tier.
    func plan(for tier: Tier) -> TierPlan

    /// Runs one job: trains and evaluates one configuration under one seed, recording through
    /// `context`. Throwing records the job with the error's description and the other jobs go
    /// on: ``SuiteInputError`` (a bad configuration value or setting) as *failed*, ``Divergence``
    /// (non-finite numbers in training) as *diverged*, anything else as *failed*.
    func run(_ context: RunContext) throws

    /// Cross-configuration statements the paper makes (for example "copy-node trains where Glorot
    /// plateaus"), checked on the aggregated results. The default has none.
    func findings(_ results: [MetricSummary]) -> [Finding]

    /// The valid values of integer tier settings and configuration values, by key: those that
    /// size a job (examples drawn from a data set, epochs, bond dimensions). The planner checks
    /// them before any job starts, so `--set train_count=9223372036854775807` is one line, not an
    /// allocation that aborts every job; a key not listed is held to
    /// ``PlanLimits/defaultRange``. The default declares none.
    var limits: [String: ClosedRange<Int>] { get }

    /// The implementations a job of this suite can run with (`native` first), external ones from
    /// `catalogue` included where the suite takes them (docs/IMPLEMENTATIONS.md).
    func implementationNames(in catalogue: ImplementationCatalogue) -> [String]

    /// Axes no tier's grid holds, each an alternative to what the suite does by default
    /// (``OptionalConfigurationAxis``): `--config pooling=tnml_uint8` adds it to every planned
    /// configuration. The default has none.
    var optionalAxes: [OptionalAxis] { get }
}

extension Suite {
    public func findings(_ results: [MetricSummary]) -> [Finding] { [] }

    public var limits: [String: ClosedRange<Int>] { [:] }

    public func implementationNames(in catalogue: ImplementationCatalogue) -> [String] { [ImplementationManifest.native] }

    public var optionalAxes: [OptionalAxis] { [] }

    /// The spec of a metric by name.
    public func metric(named name: String) -> Metric? { metrics.first { $0.name == name } }
}

/// How much of a paper's protocol to run.
public enum Tier: String, CaseIterable, Codable, Sendable {
    /// Seconds: tiny data, used by the tests.
    case smoke
    /// Minutes: meaningful statistics on reduced data; what CI runs and regressions are checked against.
    case ci
    /// The paper's own protocol: hours, for a big machine or a cluster.
    case paper
}

/// Thrown by a suite when training diverges (a non-finite loss, say): the job is recorded as
/// *diverged* with this message and whatever it recorded before.
public struct Divergence: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The bibliographic anchor of a suite.
public struct PaperReference: Codable, Sendable, Hashable {
    public var title: String
    public var authors: String
    public var year: Int
    /// The arXiv identifier, when there is one: `"1605.05775"`.
    public var arxiv: String?
    /// The result's id in the paper-baseline catalogue (`Baselines/papers/paper-baselines.json`).
    public var baselineID: String

    public init(title: String, authors: String, year: Int, arxiv: String? = nil, baselineID: String) {
        self.title = title
        self.authors = authors
        self.year = year
        self.arxiv = arxiv
        self.baselineID = baselineID
    }
}

/// What a tier of a suite runs.
public struct TierPlan: Sendable {
    /// The configurations (the grid) of this tier.
    public var configurations: [Configuration]
    /// The default number of seeds (seeds are 0..<seeds unless the user says otherwise).
    public var seeds: Int
    /// A line for `tnbench list` and reports: "10,000 training images, 3 sweeps, m ∈ {10, 20}".
    public var summary: String
    /// Tier-wide settings (data sizes, epochs, learning rate…), stored with every record.
    public var settings: [String: ConfigurationValue]
    /// What one job needs on a cluster (`tnbench submit`); nil takes ``JobResources/default(for:)``.
    public var resources: JobResources?

    public init(
        configurations: [Configuration], seeds: Int, summary: String,
        settings: [String: ConfigurationValue] = [:], resources: JobResources? = nil
    ) {
        precondition(!configurations.isEmpty && seeds >= 1, "a tier plan needs configurations and seeds")
        self.configurations = configurations
        self.seeds = seeds
        self.summary = summary
        self.settings = settings
        self.resources = resources
    }
}

/// What one job asks a cluster scheduler for: CPUs (also its BLAS threads), memory and a time
/// limit. `tnbench submit` takes the largest over the jobs it submits; flags override each.
public struct JobResources: Codable, Sendable, Equatable {
    public var cpus: Int
    public var memoryMegabytes: Int
    public var timeMinutes: Int
    /// GPUs (`--gres=gpu:N`): 1 for an external implementation whose manifest asks for one.
    public var gpus: Int

    enum CodingKeys: String, CodingKey {
        case cpus, memoryMegabytes = "memory_megabytes", timeMinutes = "time_minutes", gpus
    }

    public init(cpus: Int, memoryMegabytes: Int, timeMinutes: Int, gpus: Int = 0) {
        precondition(cpus >= 1 && memoryMegabytes >= 1 && timeMinutes >= 1 && gpus >= 0, "job resources must be positive")
        self.cpus = cpus
        self.memoryMegabytes = memoryMegabytes
        self.timeMinutes = timeMinutes
        self.gpus = gpus
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cpus = try container.decode(Int.self, forKey: .cpus)
        memoryMegabytes = try container.decode(Int.self, forKey: .memoryMegabytes)
        timeMinutes = try container.decode(Int.self, forKey: .timeMinutes)
        gpus = try container.decodeIfPresent(Int.self, forKey: .gpus) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cpus, forKey: .cpus)
        try container.encode(memoryMegabytes, forKey: .memoryMegabytes)
        try container.encode(timeMinutes, forKey: .timeMinutes)
        // Absent when none, so plans without GPU jobs read as before.
        if gpus > 0 { try container.encode(gpus, forKey: .gpus) }
    }

    /// What a job of a tier needs when its suite says nothing: smoke 1 CPU, 1 GB, 10 minutes;
    /// ci 2 CPUs, 2 GB, 1 hour; paper 2 CPUs, 4 GB, 12 hours.
    public static func `default`(for tier: Tier) -> JobResources {
        switch tier {
        case .smoke: JobResources(cpus: 1, memoryMegabytes: 1024, timeMinutes: 10)
        case .ci: JobResources(cpus: 2, memoryMegabytes: 2048, timeMinutes: 60)
        case .paper: JobResources(cpus: 2, memoryMegabytes: 4096, timeMinutes: 720)
        }
    }

    /// The largest of each resource over `resources` (nil when empty).
    public static func maximum(_ resources: [JobResources]) -> JobResources? {
        guard let first = resources.first else { return nil }
        return resources.dropFirst().reduce(first) {
            JobResources(
                cpus: max($0.cpus, $1.cpus), memoryMegabytes: max($0.memoryMegabytes, $1.memoryMegabytes),
                timeMinutes: max($0.timeMinutes, $1.timeMinutes), gpus: max($0.gpus, $1.gpus))
        }
    }
}
