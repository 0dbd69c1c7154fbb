/// How a suite's final numbers are declared: their names, polarity, kind and margins.
/// Which way a metric improves.
public enum Polarity: String, Codable, Sendable {
    case smallerIsBetter = "smaller_is_better"
    case largerIsBetter = "larger_is_better"
}

/// What a metric measures, which decides how regressions are tested.
public enum MetricKind: String, Codable, Sendable {
    /// Accuracy-like: regressed when one-sided Welch p < 0.01 and the change exceeds the margin.
    case quality
    /// Time-like: judged by the ratio of the run's per-step samples to the reference's
    /// (Hodges–Lehmann on the logarithms with its 99% interval, ``Verdicts/reference(_:reference:metric:)``).
    case speed
    /// Recorded and reported, never a regression (parameter counts, GFLOP/s, spectra summaries).
    case informational
}

/// A final scalar a suite records once per run, declared once as a value and referred to by that
/// symbol wherever it is recorded, drawn, judged or found: a misspelled metric is a compile error,
/// not an empty figure.
///
/// ```swift
/// extension Metric {
///     static let testError = Metric("test_error", .smallerIsBetter, kind: .quality, unit: "fraction",
///                                   practicalMargin: 0.005, description: "misclassified fraction of the test set")
/// }
/// context.record(.testError, 0.031)
/// ```
///
/// A metric is identified by its ``name`` (what the HDF5 record and the baseline files hold).
public struct Metric: Codable, Sendable, Hashable {
    /// snake_case; errors and accuracies as fractions; times in seconds with a `_seconds` suffix.
    public var name: String
    public var polarity: Polarity
    public var kind: MetricKind
    /// "fraction", "seconds", "GFLOP/s", "parameters", "nats"…
    public var unit: String
    /// The smallest change that matters in practice: absolute, in `unit`, for quality metrics;
    /// relative for speed metrics (0.05 is 5% slower), where 0 means the default
    /// ``Verdicts/defaultSpeedThreshold``.
    public var practicalMargin: Double
    public var description: String
    /// For a speed metric: the curve holding its per-step samples (one y value per epoch, sweep or
    /// half-sweep the suite timed), which the speed verdicts pool over seeds. nil: the verdict
    /// has one value per seed only.
    public var samples: String?

    /// Whether the value comes from the clock (a throughput, a share of time) though its kind
    /// is not ``MetricKind/speed``: such values differ between any two runs, so exact
    /// comparisons (`tnbench diff`) leave them out, as they leave out speed metrics.
    public var measuredByClock: Bool

    public init(
        _ name: String, _ polarity: Polarity, kind: MetricKind, unit: String,
        practicalMargin: Double = 0, samples: String? = nil, measuredByClock: Bool = false, description: String
    ) {
        self.measuredByClock = measuredByClock || kind == .speed
        self.name = name
        self.polarity = polarity
        self.kind = kind
        self.unit = unit
        self.practicalMargin = practicalMargin
        self.samples = samples
        self.description = description
    }
}

extension Metric {
    /// This metric with some of its declaration changed and its name kept: a suite's reading of a
    /// common metric (its own margin, a more precise description, its per-step samples).
    public func refined(
        kind: MetricKind? = nil, practicalMargin: Double? = nil, samples: String?? = nil, description: String? = nil
    ) -> Metric {
        var metric = self
        if let kind { metric.kind = kind }
        if let practicalMargin { metric.practicalMargin = practicalMargin }
        if let samples { metric.samples = samples }
        if let description { metric.description = description }
        return metric
    }
}

/// The metrics several suites record, declared once. A suite lists them in ``Suite/metrics``
/// (``Metric/refined(kind:practicalMargin:samples:description:)`` where its reading differs) and
/// declares its own beside them.
extension Metric {
    public static let testAccuracy = Metric(
        "test_accuracy", .largerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.005,
        description: "correctly classified fraction of the test set")
    public static let trainAccuracy = Metric(
        "train_accuracy", .largerIsBetter, kind: .informational, unit: "fraction",
        description: "correctly classified fraction of the training set")
    public static let testError = Metric(
        "test_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.005,
        description: "misclassified fraction of the test set")
    public static let trainError = Metric(
        "train_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.005,
        description: "misclassified fraction of the training set")
    public static let validationError = Metric(
        "val_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.005,
        description: "misclassified fraction of the validation set")
    public static let trainLoss = Metric(
        "train_loss", .smallerIsBetter, kind: .informational, unit: "nats",
        description: "mean training loss of the last epoch")
    public static let epochSeconds = Metric(
        "epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "epoch_seconds",
        description: "wall-clock seconds of one epoch's training steps, evaluation excluded (median over epochs)")
    public static let gflops = Metric(
        "gflops", .largerIsBetter, kind: .informational, unit: "GFLOP/s", measuredByClock: true,
        description: "counted floating-point work of training per second of training")
    public static let parameterCount = Metric(
        "param_count", .smallerIsBetter, kind: .informational, unit: "parameters",
        description: "trainable scalars of the model")
    public static let epochs = Metric(
        "epochs", .largerIsBetter, kind: .informational, unit: "epochs",
        description: "epochs of the protocol")
    public static let nonFiniteBatches = Metric(
        "nonfinite_batches", .smallerIsBetter, kind: .informational, unit: "batches",
        description: "batches whose loss or gradient was not finite (skipped)")
}
