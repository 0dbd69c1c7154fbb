import TensorCore

/// Everything one job (suite × configuration × seed) gets from the harness: its identity and
/// settings, its random streams, and a recorder for what it measures.
///
/// A context belongs to one job on one thread. What is recorded here is what the harness
/// stores in the job's HDF5 record: final scalars (``record(_:_:)``), curves per epoch or sweep
/// (``append(_:x:y:)``), arrays such as spectra or trained cores (``record(array:shape:values:attributes:)``),
/// floating-point work (``addFlops(_:)``) and named timers (``measure(_:_:)``, which also returns
/// the seconds it measured).
///
/// Inputs are read through typed accessors that throw ``SuiteInputError``:
/// ``settings`` (the tier's) and ``parameters`` (the configuration's values).
public final class RunContext {
    public let suite: String
    public let tier: Tier
    /// The job's configuration as the suite reads it: without the `implementation` key, so that
    /// every implementation of a configuration gets the same data and random streams.
    public let configuration: Configuration
    /// The implementation that runs the job (``ImplementationManifest/native`` unless the job's
    /// configuration names another).
    public let implementation: String
    /// Where the job runs and with what: its scratch folder, threads and time limit.
    public let execution: JobExecutionSettings
    public let seed: Int
    /// The tier's settings (``TierPlan/settings``), typed and checked.
    public let settings: NamedValues
    /// The configuration's values (`m`, `init`, `D`…), typed and checked.
    public let parameters: NamedValues
    /// Where provisioned data sets live (see `tnbench data`).
    public let dataDirectory: String
    /// The suite's optional axes (``Suite/optionalAxes``), left out of ``randomKey``.
    public let optionalAxisKeys: Set<String>

    /// What the job has recorded so far.
    public private(set) var recorded: RunRecord

    private let progressHandler: (@Sendable (Double, String) -> Void)?
    private let isCancelled: (@Sendable () -> Bool)?

    public init(
        suite: String, tier: Tier, configuration: Configuration, seed: Int,
        settings: [String: ConfigurationValue] = [:], dataDirectory: String, optionalAxisKeys: Set<String> = [],
        execution: JobExecutionSettings = JobExecutionSettings(),
        progress: (@Sendable (Double, String) -> Void)? = nil,
        isCancelled: (@Sendable () -> Bool)? = nil
    ) {
        self.suite = suite
        self.tier = tier
        var configuration = configuration
        implementation = configuration[ImplementationManifest.configurationKey]?.description ?? ImplementationManifest.native
        configuration[ImplementationManifest.configurationKey] = nil
        self.configuration = configuration
        self.execution = execution
        self.seed = seed
        self.settings = NamedValues(suite: suite, role: .setting, values: settings)
        self.parameters = NamedValues(suite: suite, role: .configuration, values: configuration.values)
        self.dataDirectory = dataDirectory
        self.optionalAxisKeys = optionalAxisKeys
        self.progressHandler = progress
        self.isCancelled = isCancelled
        self.recorded = RunRecord()
    }

    // MARK: Randomness

    /// The job's key: a pure function of (suite, configuration name, seed). The tier is not part
    /// of it, so a configuration draws the same initial state at every tier; nor are the optional
    /// axes (``optionalAxisKeys``), so an authors'-choice job draws what the default job of its
    /// seed draws.
    public var randomKey: UInt64 {
        var drawn = configuration
        for key in optionalAxisKeys { drawn[key] = nil }
        return RandomKey.derive(suite, drawn.name, seed)
    }

    /// An independent random stream of this job, named for its use ("init", "shuffle", "data").
    public func rng(_ stream: String) -> Philox {
        Philox(seed: randomKey, stream: RandomKey.derive(stream))
    }

    /// A random stream shared by the configurations that differ from this one only in `keys`:
    /// the stream of the configuration with those keys removed. For paired comparisons — two
    /// training strategies that start from the same data and the same initial network under a
    /// seed — and for adding an axis to a grid without changing the existing configurations' draws.
    public func rng(_ stream: String, sharedAcross keys: Set<String>) -> Philox {
        var shared = configuration
        for key in keys.union(optionalAxisKeys) { shared[key] = nil }
        return Philox(seed: RandomKey.derive(suite, shared.name, seed), stream: RandomKey.derive(stream))
    }

    // MARK: Recording

    /// Records a final value of `metric` (one of ``Suite/metrics``).
    public func record(_ metric: Metric, _ value: Double) { recorded.scalars[metric.name] = value }

    /// Records a final scalar that is not a declared metric (a fact a figure or a reader uses).
    public func record(_ name: String, _ value: Double) { recorded.scalars[name] = value }

    /// The value recorded for `metric`, if any.
    public func recorded(_ metric: Metric) -> Double? { recorded.scalars[metric.name] }

    /// Appends a point (x = epoch, sweep, half-sweep…) to a named curve.
    public func append(_ curve: String, x: Double, y: Double) {
        recorded.curves[curve, default: Curve()].append(x: x, y: y)
    }

    /// Records an array (a spectrum along the chain, a trained core, a decision field…).
    public func record(
        array name: String, shape: [Int], values: [Double], attributes: [String: ConfigurationValue] = [:]
    ) {
        precondition(shape.reduce(1, *) == values.count, "array \(name): shape \(shape) does not hold \(values.count) values")
        recorded.arrays[name] = RecordedArray(shape: shape, data: .float64(values), attributes: attributes)
    }

    /// Records a single-precision array without widening it.
    public func record(
        array name: String, shape: [Int], values: [Float], attributes: [String: ConfigurationValue] = [:]
    ) {
        precondition(shape.reduce(1, *) == values.count, "array \(name): shape \(shape) does not hold \(values.count) values")
        recorded.arrays[name] = RecordedArray(shape: shape, data: .float32(values), attributes: attributes)
    }

    /// Records a tensor as an array.
    public func record<Scalar: BLASScalar>(
        tensor name: String, _ tensor: Tensor<Scalar>, attributes: [String: ConfigurationValue] = [:]
    ) {
        if let floats = tensor.scalars as? [Float] {
            record(array: name, shape: tensor.shape, values: floats, attributes: attributes)
        } else {
            record(array: name, shape: tensor.shape, values: tensor.scalars.map { Double($0) }, attributes: attributes)
        }
    }

    /// Sets a run-level attribute (a fact about the run that is not a metric: "label_site", "feature_map").
    public func setAttribute(_ name: String, _ value: ConfigurationValue) { recorded.attributes[name] = value }

    /// Adds floating-point operations to the job's count.
    public func addFlops(_ count: Double) { recorded.flops += count }

    /// Adds seconds measured elsewhere to the named timer.
    public func addTimer(_ timer: String, _ seconds: Double) { recorded.timers[timer, default: 0] += seconds }

    /// Runs `body`, adds its wall-clock seconds to the named timer, and returns its result
    /// together with those seconds.
    ///
    /// ```swift
    /// let seconds = try context.measure("epoch") { try trainer.trainEpoch() }.seconds
    /// let data = try context.measure("load") { try load() }.value
    /// ```
    @discardableResult
    public func measure<T>(_ timer: String, _ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = monotonicSeconds()
        let value = try body()
        let seconds = monotonicSeconds() - start
        recorded.timers[timer, default: 0] += seconds
        return (value, seconds)
    }

    /// Like ``measure(_:_:)``, and also appends the seconds as the next point of the curve
    /// `sample` (x = 1, 2, …): one per-step sample of a speed metric that names that curve as its
    /// ``Metric/samples``.
    ///
    /// ```swift
    /// timing: { try context.measure("train", sample: "sweep_seconds", $0).value }
    /// ```
    @discardableResult
    public func measure<T>(_ timer: String, sample curve: String, _ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let result = try measure(timer, body)
        append(curve, x: Double((recorded.curves[curve]?.x.count ?? 0) + 1), y: result.seconds)
        return result
    }

    func monotonicSeconds() -> Double { MonotonicClock.seconds() }

    // MARK: Progress and cancellation

    /// Reports progress through the job, `fraction` in [0, 1], with a short message ("sweep 2/3").
    public func progress(_ fraction: Double, _ message: String) {
        progressHandler?(Swift.min(Swift.max(fraction, 0), 1), message)
    }

    /// Throws `CancellationError` when the user interrupted the run; call between epochs or sweeps.
    public func checkCancellation() throws {
        if isCancelled?() == true { throw CancellationError() }
    }

    /// Whether the user interrupted the run (for code that waits on something else: a process).
    public var isCancelledNow: Bool { isCancelled?() == true }

    /// The progress handler, for reports from another thread (a process's output reader).
    public var progressReporter: (@Sendable (Double, String) -> Void)? { progressHandler }

    /// Peak resident memory of processes the job ran (an external implementation), which the
    /// harness records when larger than its own.
    public internal(set) var childPeakResidentBytes: Int?

    // MARK: Checkpoints

    /// Where the job keeps its checkpoint, when it runs in a run directory (nil otherwise: no
    /// checkpoints). A ``TrainingLoop`` given a ``Resumption`` saves and resumes through it.
    public internal(set) var checkpoints: CheckpointStore?

    /// The round after which this job was resumed from its checkpoint; nil when it ran from the start.
    public private(set) var resumedAfterRound: Int?

    /// Wall seconds the job ran in earlier processes, before the checkpoint it resumed from.
    public private(set) var earlierSeconds = 0.0

    /// When the job first started (ISO 8601): this process's start, or the first process's.
    public internal(set) var startTime = Timestamp.now()

    /// The job's wall seconds so far, over every process that ran it.
    var elapsedSeconds: Double { earlierSeconds + (monotonicSeconds() - execution.started) }

    /// Takes over a checkpoint's record and times.
    func resume(from checkpoint: JobCheckpoint) {
        recorded = checkpoint.record
        resumedAfterRound = checkpoint.round
        earlierSeconds = checkpoint.elapsedSeconds
        if !checkpoint.startTime.isEmpty { startTime = checkpoint.startTime }
    }
}

/// Where and with what one job runs, beyond its identity: the harness's choices, not the suite's.
public struct JobExecutionSettings: Sendable {
    /// A folder the job may use for files (exchange with an external implementation); nil: a
    /// temporary folder.
    public var workDirectory: String?
    /// The threads the job may use (the BLAS threads of its process).
    public var threads: Int
    /// The wall-clock seconds the job may take (its time limit on a cluster), counted from
    /// ``started``.
    public var timeLimitSeconds: Double
    /// When the job started (``MonotonicClock``).
    public var started: Double

    public init(workDirectory: String? = nil, threads: Int = 1, timeLimitSeconds: Double = 3600, started: Double = MonotonicClock.seconds()) {
        self.workDirectory = workDirectory
        self.threads = threads
        self.timeLimitSeconds = timeLimitSeconds
        self.started = started
    }

    /// The seconds an external program started now may run: what is left of the job's limit,
    /// less a margin (5%, at least 10 s and at most a minute) for recording its result before a
    /// scheduler that enforces the same limit stops the job — so a slow program ends in a record.
    public var secondsLeftForProgram: Double {
        let margin = Swift.min(60, Swift.max(10, timeLimitSeconds * 0.05))
        return Swift.max(1, timeLimitSeconds - margin - (MonotonicClock.seconds() - started))
    }
}

/// What one job recorded.
public struct RunRecord: Sendable {
    public var scalars: [String: Double] = [:]
    public var curves: [String: Curve] = [:]
    public var arrays: [String: RecordedArray] = [:]
    public var attributes: [String: ConfigurationValue] = [:]
    public var timers: [String: Double] = [:]
    public var flops: Double = 0
    public init() {}
}

/// A curve: y against x (epoch, sweep, half-sweep).
public struct Curve: Sendable, Equatable {
    public var x: [Double] = []
    public var y: [Double] = []
    public init(x: [Double] = [], y: [Double] = []) {
        self.x = x
        self.y = y
    }
    public mutating func append(x: Double, y: Double) {
        self.x.append(x)
        self.y.append(y)
    }
}

/// An array recorded by a run, in single or double precision.
public struct RecordedArray: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
    }
    public var shape: [Int]
    public var data: Storage
    public var attributes: [String: ConfigurationValue]

    public init(shape: [Int], data: Storage, attributes: [String: ConfigurationValue] = [:]) {
        self.shape = shape
        self.data = data
        self.attributes = attributes
    }

    /// The values widened to `Double`.
    public var doubles: [Double] {
        switch data {
        case .float32(let values): return values.map(Double.init)
        case .float64(let values): return values
        }
    }
}
