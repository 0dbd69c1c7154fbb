import Datasets
import Harness
import TensorCore
import TensorNetworks

/// The `embedding` axis: the local feature map of every site.
enum Embedding: String, ConfigurationAxis {
    case polynomial, trigonometric, fourier, legendre
    case gaussianRBF = "gaussian_rbf"
    static let key = "embedding"

    var featureMap: FeatureMap {
        switch self {
        case .polynomial: return .polynomial(degree: 2)
        case .trigonometric: return .trigonometric
        case .fourier: return .fourier(3)
        case .legendre: return .legendre(degree: 2)
        case .gaussianRBF: return .gaussianRBF(centers: [0, 0.5, 1], gamma: 8)
        }
    }
}

/// The `optimizer` axis: tn4ml's two ways to train.
enum OptimizerName: String, ConfigurationAxis {
    case gradient, sweeps
    static let key = "optimizer"
}

/// The `gauge` axis: what follows every optimizer step.
enum Gauge: String, ConfigurationAxis {
    /// Normalize and re-canonicalize around the label site (tn4ml's `normalize=True, canonize=(True, 15)`).
    case canonical
    /// Nothing: plain Adam on the cores (for comparison; not tn4ml's protocol).
    case none
    static let key = "gauge"
}

/// The `split` axis.
enum SplitName: String, ConfigurationAxis {
    case tn4ml, stratified
    static let key = "split"
}

/// The configuration key of the bond dimension D.
let bondDimensionKey = "D"

extension Metric {
    static let validationAccuracy = Metric(
        "val_accuracy", .largerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.011,
        description: "accuracy on the validation rows after the last epoch")
    static let validationLoss = Metric(
        "val_loss", .smallerIsBetter, kind: .informational, unit: "nats",
        description: "validation cross-entropy after the last epoch")
    static let epochsRun = Metric(
        "epochs_run", .smallerIsBetter, kind: .informational, unit: "epochs",
        description: "epochs until early stopping (or the maximum)")
    static let samplesPerSecond = Metric(
        "samples_per_second", .largerIsBetter, kind: .informational, unit: "samples/s", measuredByClock: true,
        description: "training samples per second of the training pass (median epoch)")
    static let gaugeFraction = Metric(
        "gauge_fraction", .smallerIsBetter, kind: .informational, unit: "fraction", measuredByClock: true,
        description: "share of the training time in factorizations (gradient: the per-step canonicalization; sweeps: the SVDs)")
}

/// tn4ml's breast-cancer problem: the table min-max scaled on all rows, malignant → 1, split
/// into training, validation and test rows (tn4ml's scikit-learn split or a seeded stratified
/// one), every row's product state under the configuration's embedding normalized to ‖Φ(x)‖ = 1;
/// the protocol's settings; and the evaluation — the accuracy of an implementation's class
/// scores on the validation rows after every epoch, on all three parts after training.
public struct TN4MLProblem: Problem {
    static let suite = "TN4ML"

    /// One part of the table: site-major features [L, rows, d] and labels; the scaled rows
    /// `[rows, 30]` they were embedded from.
    public struct Part {
        public var features: Tensor<Double>
        public var labels: [Int]
        public var scaled: Tensor<Double>
    }

    /// What an implementation trains on.
    public struct Inputs {
        public var train: Part, validation: Part, test: Part
        /// The embedding, normalized per row as tn4ml's `embed` does.
        public var featureMap: FeatureMap
        public var bondDimension: Int
        var optimizer: OptimizerName
        var gauge: Gauge
        public var maxEpochs: Int, patience: Int, batchSize: Int
        public var learningRate: Double, adamEpsilon: Double, initStandardDeviation: Double
        /// The output leg's site and the orthogonality centre of the gauge fixing (0-based).
        public var labelSite: Int, canonicalCenter: Int
    }

    public init() {}

    public func inputs(for context: RunContext) throws -> Inputs {
        let settings = context.settings
        let bond = try context.parameters.int(bondDimensionKey, in: 1...)
        let embedding = try context.parameters.choice(Embedding.self)
        let optimizer = try context.parameters.choice(OptimizerName.self)
        let splitName = try context.parameters.choice(SplitName.self)
        let maxEpochs = try settings.int("max_epochs", in: 1...)
        let patience = try settings.int("patience", in: 1...)
        let batchSize = try settings.int("batch_size", in: 1...)
        let learningRate = try settings.double("learning_rate", in: 0...)
        let epsilon = try settings.double("adam_epsilon", in: 0...)
        let initStd = try settings.double("init_std", in: 0...)
        let labelSite = try settings.int("label_site", in: 0...29)
        let center = try settings.int("canonical_center", in: 0...29)
        let gauge = try context.parameters.choice(Gauge.self)

        // Data: the full table scaled, malignant → 1 (tn4ml's labels; scikit-learn's file has 0).
        let table = try context.measure("load") { try TabularSet.breastCancer(dataDirectory: context.dataDirectory) }.value
        let scaled = table.minMaxScaled()
        let labels = table.labels.map { 1 - $0 }
        var splitRNG = context.rng("split")
        let split = try Self.split(splitName, labels: labels, settings: settings, rng: &splitRNG)
        // tn4ml's `embed` divides every product state Φ(x) by its norm: unit local vectors.
        let map = FeatureMap.normalized(embedding.featureMap)
        func part(_ rows: [Int]) -> Part {
            let subset = scaled.subset(rows).features
            return Part(features: map.siteFeatures(subset, as: Double.self), labels: rows.map { labels[$0] }, scaled: subset)
        }
        context.setAttribute("train_rows", .int(split.train.count))
        context.setAttribute("validation_rows", .int(split.validation.count))
        context.setAttribute("test_rows", .int(split.test.count))
        context.record(array: "split_test_rows", shape: [split.test.count], values: split.test.map(Double.init))
        return Inputs(
            train: part(split.train), validation: part(split.validation), test: part(split.test), featureMap: map,
            bondDimension: bond, optimizer: optimizer, gauge: gauge, maxEpochs: maxEpochs, patience: patience,
            batchSize: batchSize, learningRate: learningRate, adamEpsilon: epsilon, initStandardDeviation: initStd,
            labelSite: labelSite, canonicalCenter: center)
    }

    /// The table split into training, validation and test rows (indices into the 569 rows).
    struct Split {
        var train: [Int], validation: [Int], test: [Int]
    }

    static func split(_ name: SplitName, labels: [Int], settings: NamedValues, rng: inout Philox) throws -> Split {
        let testFraction = try settings.double("test_fraction", in: 0...1)
        let validationFraction = try settings.double("validation_fraction", in: 0...1)
        switch name {
        case .tn4ml:
            let state = UInt32(try settings.int("random_state", in: 0...Int(UInt32.max)))
            let outer = Splits.scikitLearnTrainTest(count: labels.count, testFraction: testFraction, randomState: state)
            let inner = Splits.scikitLearnTrainTest(count: outer.train.count, testFraction: validationFraction, randomState: state)
            return Split(train: inner.train.map { outer.train[$0] }, validation: inner.test.map { outer.train[$0] }, test: outer.test)
        case .stratified:
            let outer = Splits.stratified(labels: labels, validationFraction: testFraction, rng: &rng)
            let rest = outer.train
            let inner = Splits.stratified(labels: rest.map { labels[$0] }, validationFraction: validationFraction, rng: &rng)
            return Split(train: inner.train.map { rest[$0] }, validation: inner.validation.map { rest[$0] }, test: outer.validation)
        }
    }

    /// The accuracy of the class scores in `predictions`: the validation rows' ("validation") as
    /// a curve point after an epoch; after training, the finals of all three parts ("train",
    /// "validation", "test").
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        func accuracy(_ set: String, _ part: Part) throws -> Double {
            try predictions.scores(set, suite: Self.suite).accuracy(labels: part.labels)
        }
        switch checkpoint {
        case .round(_, let x):
            let validation = try accuracy("validation", inputs.validation)
            context.append(Metric.validationAccuracy.name, x: x, y: validation)
            return [.validationAccuracy: validation]
        case .final:
            let values: [Metric: Double] = [
                .testAccuracy: try accuracy("test", inputs.test), .trainAccuracy: try accuracy("train", inputs.train),
                .validationAccuracy: try accuracy("validation", inputs.validation),
            ]
            for (metric, value) in values { context.record(metric, value) }
            return values
        case .step:
            return [:]
        }
    }
}

extension TN4MLProblem {
    public var isExchangeable: Bool { true }

    /// The three parts' scaled rows and embedded product states (sample-major, `[rows, 30, d]`),
    /// the labels of training and validation (never the test labels), tn4ml's protocol; the
    /// validation scores after every epoch, and all three parts' at the end.
    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        func arrays(_ part: Part, labels: Bool) -> [String: NpyArray] {
            var result: [String: NpyArray] = ["inputs": .double(part.scaled), "features": .double(part.features.permuted([1, 0, 2]))]
            if labels { result["labels"] = .labels(part.labels) }
            return result
        }
        let values: [String: ConfigurationValue] = [
            "bond_dimension": .int(inputs.bondDimension), Embedding.key: .string(try context.parameters.choice(Embedding.self).rawValue),
            OptimizerName.key: .string(inputs.optimizer.rawValue), Gauge.key: .string(inputs.gauge.rawValue),
            "max_epochs": .int(inputs.maxEpochs), "patience": .int(inputs.patience), "batch_size": .int(inputs.batchSize),
            "learning_rate": .double(inputs.learningRate), "adam_epsilon": .double(inputs.adamEpsilon),
            "init_std": .double(inputs.initStandardDeviation), "label_site": .int(inputs.labelSite),
            "canonical_center": .int(inputs.canonicalCenter),
        ]
        return ProblemExchange(
            sets: [
                "train": arrays(inputs.train, labels: true), "validation": arrays(inputs.validation, labels: true),
                "test": arrays(inputs.test, labels: false),
            ],
            protocolValues: values,
            schedule: PredictionSchedule(epoch: ["validation"], final: ["train", "validation", "test"]),
            epochSpan: "the epoch's training pass and its validation-loss pass (tn4ml's early-stopping monitor), as native times them")
    }
}
