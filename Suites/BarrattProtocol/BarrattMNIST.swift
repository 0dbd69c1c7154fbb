import Harness
import TensorCore
import TensorNetworks

extension Metric {
    /// The training images a job used, recorded by ``BarrattMNIST/evaluate(_:at:in:)`` at the end
    /// (the findings read it to name a reduced protocol); a suite refines the description.
    public static let trainImages = Metric(
        "train_images", .largerIsBetter, kind: .informational, unit: "images", description: "training images per epoch")
}

/// Barratt, Dborin & Wright's MNIST protocol, shared by the CopyNodeInit and RankRegularization
/// problems (no suite imports another): MNIST 14×14 split into training and validation images
/// (the first `train_count` of the file, stratified with `rng("split")`), the first `test_count`
/// test images, Adam's settings, and the evaluation of an implementation's class scores — the
/// validation error after every epoch (the `val_error` curve) and, at the end, the validation and
/// test errors. A row of scores that is not finite counts as an error.
public struct BarrattMNIST: Sendable {
    /// Training, validation and test images as site features, φ = [cos, sin]\(πx/2), row-major.
    public var data: MPSGradientTask
    public var epochs: Int
    public var batchSize: Int
    /// Adam's step size and ε (Keras form, β = 0.9/0.999).
    public var learningRate: Double
    public var adamEpsilon: Double
    /// The suite whose job this is; it names the input errors.
    public let suite: String

    /// Reads the protocol's tier settings (`epochs`, `batch_size`, `learning_rate`,
    /// `adam_epsilon`, `train_count`, `test_count`, `validation_fraction`, in that order) and
    /// loads the data, the split drawn from `rng("split")`, timed as `load`.
    /// - Throws: ``SuiteInputError`` naming `suite` for a missing or out-of-range setting, or a
    ///   split that leaves no training or no validation image; what loading MNIST throws.
    public init(for context: RunContext, suite: String) throws {
        let settings = context.settings
        let epochs = try settings.int("epochs", in: 1...), batchSize = try settings.int("batch_size", in: 1...)
        let learningRate = try settings.double("learning_rate", in: 0...)
        let adamEpsilon = try settings.double("adam_epsilon", in: 0...)
        let trainCount = try settings.int("train_count", in: 1...), testCount = try settings.int("test_count", in: 1...)
        let validationFraction = try settings.double("validation_fraction", in: 0...1)
        var splitRNG = context.rng("split")
        let data = try context.measure("load") {
            try MPSGradientTask.load(trainCount: trainCount, testCount: testCount, validationFraction: validationFraction,
                                     dataDirectory: context.dataDirectory, splitRNG: &splitRNG)
        }.value
        guard data.train.count > 0 && data.validation.count > 0 else {
            throw SuiteInputError(suite: suite, "train_count \(trainCount) with validation_fraction \(validationFraction) "
                                  + "leaves \(data.train.count) training and \(data.validation.count) validation images; both need at least one")
        }
        (self.data, self.epochs, self.batchSize, self.learningRate, self.adamEpsilon, self.suite)
            = (data, epochs, batchSize, learningRate, adamEpsilon, suite)
    }

    /// The validation error of the "validation" scores: a curve point at a round; at the end
    /// also the test error of the "test" scores, recorded with the protocol's size
    /// (`train_images`, `epochs`).
    /// - Throws: ``SuiteInputError`` when a set the checkpoint needs is missing.
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, in context: RunContext) throws -> [Metric: Double] {
        let validationError = try errorRate(predictions, "validation", data.validation)
        switch checkpoint {
        case .round(_, let x):
            context.append(Metric.validationError.name, x: x, y: validationError)
            return [.validationError: validationError]
        case .final:
            let testError = try errorRate(predictions, "test", data.test)
            context.record(.validationError, validationError)
            context.record(.testError, testError)
            context.record(.trainImages, Double(data.train.count))
            context.record(.epochs, Double(epochs))
            return [.validationError: validationError, .testError: testError]
        case .step:
            return [.validationError: validationError]
        }
    }

    /// 1 − (finite rows whose arg max is the label) / rows; 1 for no rows.
    private func errorRate(_ predictions: Predictions, _ set: String, _ part: MPSGradientTask.Part) throws -> Double {
        let correct = try predictions.scores(set, suite: suite).finiteCorrectCount(labels: part.labels)
        return 1 - Double(correct) / Double(Swift.max(part.count, 1))
    }
}

extension BarrattMNIST {
    /// What an external implementation gets (docs/IMPLEMENTATIONS.md): the three parts' site
    /// features, the labels of training and validation (never the test labels), Adam's protocol,
    /// the validation scores after every epoch and the validation and test scores at the end.
    /// `protocolValues` are the suite's own (bond dimension, initialization…).
    public func exchange(adding protocolValues: [String: ConfigurationValue]) -> ProblemExchange {
        let common: [String: ConfigurationValue] = [
            "epochs": .int(epochs), "batch_size": .int(batchSize), "learning_rate": .double(learningRate),
            "adam_epsilon": .double(adamEpsilon),
        ]
        // The task holds features site-major, [L, N, d]; the contract hands them sample-major.
        func features(_ part: MPSGradientTask.Part) -> NpyArray { .float(part.features.permuted([1, 0, 2])) }
        return ProblemExchange(
            sets: [
                "train": ["features": features(data.train), "labels": .labels(data.train.labels)],
                "validation": ["features": features(data.validation), "labels": .labels(data.validation.labels)],
                "test": ["features": features(data.test)],
            ],
            protocolValues: common.merging(protocolValues) { $1 },
            schedule: PredictionSchedule(epoch: ["validation"], final: ["validation", "test"]))
    }
}
