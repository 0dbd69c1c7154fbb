import Datasets
import Harness
import NeuralLayers
import TensorCore
import TNNProtocol

/// The data sets, as configuration values spell them.
enum Dataset: String, ConfigurationAxis {
    case blobs, spirals
    static let key = "dataset"
}

/// Jahromi & Orús's classification problem (Sec. IV): Gaussian blobs or three-arm spirals, the
/// protocol's settings, and the accuracies of an implementation's class scores on the training
/// and held-out points, with the decision field over the plane (see ``TNNClassificationSuite``).
public struct TNNClassificationProblem: Problem {
    /// What an implementation trains on. Predictions are asked for on the sets `train`
    /// (``train``), `test` (``test``) and, at the end, `field` (``field``).
    public struct Inputs {
        let dataset: Dataset
        let strategy: Strategy
        /// D, the bond dimension of the TN layer.
        public let bondDimension: Int
        /// α, the plain gradient-descent step.
        public let learningRate: Double
        public let sweeps: Int
        public let train: TabularSet
        public let test: TabularSet
        public let classes: Int
        /// The loss the paper prints for the data set.
        public let loss: Loss
        /// The one-hot targets of ``train``.
        public let targets: Tensor<Double>
        /// The decision field's grid points `[resolution², 2]`, row by row from the lower left.
        public let field: Tensor<Double>
        let resolution: Int
        let box: (Double, Double)
    }

    let suite = "TNNClassification"

    public func inputs(for context: RunContext) throws -> Inputs {
        let dataset = try context.parameters.choice(Dataset.self)
        let bondDimension = try context.parameters.int(bondDimensionKey, in: 1...)
        let strategy = try context.parameters.choice(Strategy.self)
        let learningRate = try context.settings.double("learning_rate", above: 0)
        let sweeps = try context.settings.int("\(dataset.rawValue)_sweeps", in: 1...)
        let resolution = try context.settings.int("field_resolution", in: 2...)

        // Data; the streams are shared by PaL and LbL, so the two start from the same data and
        // network under a seed (and PaL's draws are those of the grid without `strategy`).
        var dataRNG = context.rng("data", sharedAcross: [Strategy.key])
        let train: TabularSet, test: TabularSet, classes: Int, loss: Loss, box: (Double, Double)
        switch dataset {
        case .blobs:
            let trainCount = try context.settings.int("blobs_train_count", in: 1...)
            let testCount = try context.settings.int("blobs_test_count", in: 1...)
            let all = Synthetic.gaussianBlobs(count: trainCount + testCount, rng: &dataRNG)
            train = all.subset(Array(0..<trainCount))
            test = all.subset(Array(trainCount..<(trainCount + testCount)))
            (classes, loss, box) = (2, .binaryCrossEntropy, (-0.05, 1.05))
        case .spirals:
            train = Synthetic.spirals(count: try context.settings.int("spirals_train_count", in: 1...), rng: &dataRNG)
            var testRNG = context.rng("test-data", sharedAcross: [Strategy.key])
            test = Synthetic.spirals(count: try context.settings.int("spirals_test_count", in: 1...), rng: &testRNG)
            (classes, loss, box) = (3, .categoricalCrossEntropy, (-1.1, 1.1))
        }
        let step = (box.1 - box.0) / Double(resolution - 1)
        var grid: [Double] = []
        for iy in 0..<resolution { for ix in 0..<resolution { grid += [box.0 + Double(ix) * step, box.0 + Double(iy) * step] } }
        return Inputs(
            dataset: dataset, strategy: strategy, bondDimension: bondDimension, learningRate: learningRate, sweeps: sweeps,
            train: train, test: test, classes: classes, loss: loss,
            targets: Tensor<Double>.oneHot(labels: train.labels, classes: classes),
            field: Tensor(shape: [resolution * resolution, 2], scalars: grid), resolution: resolution, box: box)
    }

    /// Train and test accuracy from the `train` and `test` scores: curve points at a round,
    /// finals (with the decision field from the `field` scores, and the data) at the end.
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        let train = try accuracy(predictions, "train", inputs.train.labels)
        let test = try accuracy(predictions, "test", inputs.test.labels)
        switch checkpoint {
        case .round(_, let x):
            context.append(Metric.trainAccuracy.name, x: x, y: train)
            context.append(Metric.testAccuracy.name, x: x, y: test)
        case .step:
            break
        case .final:
            context.record(.trainAccuracy, train)
            context.record(.testAccuracy, test)
            let field = try predictions.scores("field", suite: suite)
            guard field.count == inputs.resolution * inputs.resolution else {
                throw SuiteInputError(suite: suite, "the implementation returned \(field.count) field predictions for \(inputs.resolution * inputs.resolution) points")
            }
            let box = inputs.box
            context.record(array: "decision_field", shape: [inputs.resolution, inputs.resolution],
                           values: field.predictedClasses.map(Double.init),
                           attributes: ["x_min": .double(box.0), "x_max": .double(box.1), "y_min": .double(box.0), "y_max": .double(box.1)])
            context.record(array: "points", shape: [inputs.train.count, 3], values: Self.points(inputs.train))
            context.record(array: "test_points", shape: [inputs.test.count, 3], values: Self.points(inputs.test))
        }
        return [.trainAccuracy: train, .testAccuracy: test]
    }

    func accuracy(_ predictions: Predictions, _ set: String, _ labels: [Int]) throws -> Double {
        let scores = try predictions.scores(set, suite: suite)
        guard scores.count == labels.count else {
            throw SuiteInputError(suite: suite, "the implementation returned \(scores.count) \(set) predictions for \(labels.count) points")
        }
        return scores.accuracy(labels: labels)
    }

    /// `[x1, x2, label]` per point.
    static func points(_ set: TabularSet) -> [Double] {
        (0..<set.count).flatMap { [set.features[$0, 0], set.features[$0, 1], Double(set.labels[$0])] }
    }
}
