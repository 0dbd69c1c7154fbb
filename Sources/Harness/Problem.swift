import Foundation
import TensorCore

/// What a model outputs for the samples of one set, row by row: class scores (logits,
/// probabilities, any monotone scores: the arg max is the prediction) or regression outputs,
/// `[samples, outputs]`, in the precision the model computed them.
public enum Scores: Sendable {
    case float(Tensor<Float>)
    case double(Tensor<Double>)

    /// The number of samples (rows).
    public var count: Int {
        switch self {
        case .float(let t): t.shape[0]
        case .double(let t): t.shape[0]
        }
    }

    /// The predicted class of each row: the index of its largest score (the first on ties).
    public var predictedClasses: [Int] {
        switch self {
        case .float(let t): t.argmaxRows()
        case .double(let t): t.argmaxRows()
        }
    }

    /// The fraction of rows whose predicted class is the label; NaN for no rows.
    public func accuracy(labels: [Int]) -> Double {
        precondition(labels.count == count, "Scores: \(count) rows for \(labels.count) labels")
        return Classification.accuracy(predicted: predictedClasses, labels: labels)
    }

    /// The fraction of rows whose predicted class is not the label; NaN for no rows.
    public func errorRate(labels: [Int]) -> Double {
        precondition(labels.count == count, "Scores: \(count) rows for \(labels.count) labels")
        return Classification.errorRate(predicted: predictedClasses, labels: labels)
    }
}

/// An implementation's outputs at one moment of training, by the problem's set names
/// ("test", "validation", "train"…). The problem computes every quality metric from these —
/// never from what the implementation says of itself.
public struct Predictions: Sendable {
    public var sets: [String: Scores]

    public init(_ sets: [String: Scores] = [:]) { self.sets = sets }

    /// The scores of `set`.
    /// - Throws: ``SuiteInputError`` naming the missing set (an implementation that did not
    ///   predict what the problem asks for).
    public func scores(_ set: String, suite: String) throws(SuiteInputError) -> Scores {
        guard let scores = sets[set] else {
            throw SuiteInputError(suite: suite, "the implementation returned no predictions for the \(set) set (has: \(sets.keys.sorted().joined(separator: ", ")))")
        }
        return scores
    }
}

/// When predictions were taken.
public enum Checkpoint: Sendable, Equatable {
    /// After round `round` (an epoch, a sweep or part of one); `x` is where a curve puts it.
    case round(Int, x: Double)
    /// Within a round, after `step` steps over the run (an evaluation every so many steps).
    case step(Int)
    /// After training: the model the run keeps.
    case final
}

/// The paper's problem: the data and split of a job, the protocol's settings, and the evaluation
/// of an implementation's predictions. One per suite; the implementations share it.
///
/// `inputs(for:)` reads the job's tier settings and configuration (typed, throwing
/// ``SuiteInputError``), loads and splits the data with the job's random streams, and returns
/// everything an implementation trains on. `evaluate(_:at:of:in:)` turns predictions into the
/// suite's quality metrics — curve points at rounds, finals at ``Checkpoint/final`` — and
/// returns the values it computed, for observers (best-of, early stopping).
public protocol Problem: Sendable {
    /// What an implementation gets: data, labels, the protocol's settings, typed.
    associatedtype Inputs

    func inputs(for context: RunContext) throws -> Inputs

    @discardableResult
    func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]

    /// Whether the problem hands itself to external implementations (``exchange(_:in:)``).
    var isExchangeable: Bool { get }

    /// Whether its evaluation reads non-finite scores (as errors, say); when false, non-finite
    /// scores from an external implementation make the job *diverged*.
    var acceptsNonFiniteScores: Bool { get }

    /// What an external implementation gets for this job (docs/IMPLEMENTATIONS.md): the sets'
    /// arrays — without the labels the problem keeps back — the resolved protocol, and when to
    /// predict which sets. The default throws: a problem not yet exported.
    func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange
}

extension Problem {
    public var isExchangeable: Bool { false }

    public var acceptsNonFiniteScores: Bool { false }

    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        throw HarnessError(.unknownImplementation, "\(context.suite) does not hand its problem to external implementations yet")
    }
}

/// One way of training a suite's model: TNBench's own Swift code (`native`) or another
/// library's. It trains on the problem's inputs under the harness's ``TrainingLoop`` and hands
/// its predictions to the problem (through ``Problem/evaluate(_:at:of:in:)``) at the checkpoints
/// the protocol names; what it records itself is about its own work (speed, flops, spectra),
/// never the suite's quality metrics.
public protocol Implementation<Target>: Sendable {
    associatedtype Target: Problem
    /// The implementation's name: `native`, `torch`, `tn4ml`.
    var name: String { get }
    /// Trains on `inputs` and returns the final predictions.
    func train(_ inputs: Target.Inputs, for problem: Target, in context: RunContext) throws -> Predictions
}

/// A suite built as a problem and its implementations. `run(_:)` is provided: the problem's
/// inputs, the implementation's training, the problem's evaluation of the final predictions.
public protocol ProblemSuite: Suite {
    associatedtype SuiteProblem: Problem
    var problem: SuiteProblem { get }
    /// The implementations, the default first (`native`).
    var implementations: [any Implementation<SuiteProblem>] { get }
    /// Where the suite's external implementations are found (default: ``ImplementationCatalogue/default``).
    var catalogue: ImplementationCatalogue { get }
}

extension ProblemSuite {
    public var catalogue: ImplementationCatalogue { .default }

    /// Runs the job with the implementation its context names: `native` is the first of
    /// ``implementations``; another name, one of them or, when the problem is exchangeable, an
    /// external one from ``catalogue`` that supports the job's tier and configuration.
    public func run(_ context: RunContext) throws {
        if context.implementation == ImplementationManifest.native {
            return try run(context, implementation: implementations[0])
        }
        if let own = implementation(named: context.implementation) {
            return try run(context, implementation: own)
        }
        guard problem.isExchangeable else {
            throw HarnessError(.unknownImplementation, "\(name) has no implementation '\(context.implementation)' and takes no external ones yet")
        }
        var manifest = try catalogue.manifest(suite: name, name: context.implementation)
        let environment = ProcessInfo.processInfo.environment
        if let pins = environment[ImplementationManifest.requirementsVariable], !pins.isEmpty,
           environment[ImplementationManifest.requirementsVariable + "_FOR"] == manifest.name {
            manifest = try manifest.overriding(pins.split(separator: " ").map(String.init))
        }
        guard manifest.supports(context.configuration, at: context.tier) else {
            throw HarnessError(
                .unknownImplementation,
                "\(manifest.name) does not run \(name) [\(context.configuration.name)] at the \(context.tier.rawValue) tier (its manifest: \(manifest.directory)/implementation.json)")
        }
        // What the harness records itself is not the program's to say.
        let own: Set = [Metric.epochs.name, Metric.trainLoss.name, "process_seconds"]
        let reportable = Set(metrics.filter { $0.kind == .informational }.map(\.name)).subtracting(own)
        try run(context, implementation: ExternalImplementation<SuiteProblem>(manifest: manifest, reportable: reportable))
    }

    /// The names of the implementations the suite runs: its own, then the catalogue's external
    /// ones when its problem is exchangeable.
    public func implementationNames(in catalogue: ImplementationCatalogue) -> [String] {
        implementations.map(\.name) + (problem.isExchangeable ? catalogue.names(of: name) : [])
    }

    /// Runs one job with `implementation`.
    public func run(_ context: RunContext, implementation: any Implementation<SuiteProblem>) throws {
        let inputs = try problem.inputs(for: context)
        let predictions = try implementation.train(inputs, for: problem, in: context)
        try problem.evaluate(predictions, at: .final, of: inputs, in: context)
    }

    /// The implementation named `name`, if the suite has one.
    public func implementation(named name: String) -> (any Implementation<SuiteProblem>)? {
        implementations.first { $0.name == name }
    }
}
