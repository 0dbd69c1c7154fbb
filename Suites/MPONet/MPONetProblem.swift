import Datasets
import Harness
import NeuralLayers
import TensorCore

/// Gao et al.'s MNIST problem: the job's network and its protocol (the tier's settings), the
/// first images of each MNIST set, and the evaluation — the test accuracy of an implementation's
/// class scores after every epoch, every `evaluation_interval` steps (for the best) and after
/// the last step.
public struct MPONetProblem: Problem {
    public init() {}

    /// What an implementation of MPO-Net trains on: one network of the `network` axis, the
    /// MNIST images shaped for it, and the authors' protocol.
    public struct Inputs: Sendable {
        public let network: MPONetSuite.Network
        /// The bond dimension D of MPO-FC2's first layer; nil for the other networks.
        public let bondDimension: Int?
        /// The training images, `[N, 784]` (FC2 pair) or `[N, 28, 28, 1]` (LeNet-5 pair), in [0, 1].
        public let train: LabeledSamples<Float>
        public let test: LabeledSamples<Float>
        public let batchSize: Int
        public let epochs: Int
        /// lr₀ of the network, decayed continuously as lr₀·decayRate^(step/decaySteps).
        public let learningRate: Double
        public let decayRate: Double
        public let decaySteps: Int
        public let momentum: Double
        /// α of the L2 term (α/2)·Σw².
        public let l2: Double
        /// Steps between the test evaluations of the best accuracy (0: only after each epoch).
        public let evaluationInterval: Int
        public let contraction: MPONetSuite.ContractionSetting
    }

    public func inputs(for context: RunContext) throws -> Inputs {
        let settings = context.settings
        let network = try context.parameters.choice(MPONetSuite.Network.self)
        let bond = network == .mpoFC2 ? try context.parameters.int(MPONetSuite.bondKey, in: 1...) : nil
        let trainCount = try settings.int("train_count", in: 1...60_000)
        let testCount = try settings.int("test_count", in: 1...10_000)
        let batch = try settings.int("batch_size", in: 1...)
        let epochs = try settings.int(network.isLeNet ? "epochs_lenet5" : "epochs_fc2", in: 0...)
        let rate = try settings.double("learning_rate_\(network.rawValue)", in: 0...)
        let momentum = try settings.double("momentum", in: 0..<1)
        let decayRate = try settings.double("decay_rate", in: 0...1)
        let decaySteps = try settings.int("decay_steps", in: 1...)
        let l2 = try settings.double("l2", in: 0...)
        let interval = try settings.int("evaluation_interval", in: 0...)
        let contraction = try settings.choice(MPONetSuite.ContractionSetting.self)

        // Data: the first images of each set (all of them at the ci and paper tiers), 28×28 in [0, 1].
        var unused = context.rng("data")
        let (train, test) = try context.measure("load") {
            try PooledImages.load(.mnist, PooledImages.Selection(train: .first(trainCount), testCount: testCount, pooling: 1),
                                  dataDirectory: context.dataDirectory, rng: &unused)
        }.value
        let sampleShape = network.isLeNet ? [train.rows, train.columns, 1] : [train.rows * train.columns]
        let trainSet = LabeledSamples(inputs: train.pixels.reshaped([train.count] + sampleShape), labels: train.labels)
        let testSet = LabeledSamples(inputs: test.pixels.reshaped([test.count] + sampleShape), labels: test.labels)
        guard trainSet.count >= batch else {
            throw SuiteInputError(suite: context.suite, key: "batch_size",
                                  "batch_size \(batch) exceeds the \(trainSet.count) training images")
        }
        return Inputs(
            network: network, bondDimension: bond, train: trainSet, test: testSet, batchSize: batch, epochs: epochs,
            learningRate: rate, decayRate: decayRate, decaySteps: decaySteps, momentum: momentum, l2: l2,
            evaluationInterval: interval, contraction: contraction)
    }

    /// The test accuracy of the scores of the `test` set: at ``Checkpoint/step(_:)`` (the
    /// authors' evaluation every `evaluation_interval` steps) a candidate for
    /// `best_test_accuracy`; at ``Checkpoint/round(_:x:)`` the epoch's point of the
    /// `test_accuracy` curve only (our curve, not one of the authors' evaluations, so not a
    /// candidate); at ``Checkpoint/final`` `test_accuracy`, and `best_test_accuracy` as the
    /// maximum over the step evaluations and this last one (what the authors' code prints:
    /// test-set selection).
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        let accuracy = try predictions.scores("test", suite: context.suite).accuracy(labels: inputs.test.labels)
        var best = context.recorded(.bestTestAccuracy) ?? -.infinity
        switch checkpoint {
        case .step:
            best = Swift.max(best, accuracy)
            context.record(.bestTestAccuracy, best)
        case .round(_, let x):
            context.append(Metric.testAccuracy.name, x: x, y: accuracy)
        case .final:
            best = Swift.max(best, accuracy)
            context.record(.bestTestAccuracy, best)
            context.record(.testAccuracy, accuracy)
        }
        return [.testAccuracy: accuracy, .bestTestAccuracy: best]
    }
}

extension MPONetProblem {
    public var isExchangeable: Bool { true }

    /// The training images with their labels and the test images without theirs, shaped for
    /// the network; the protocol of the network; test scores after every epoch, every
    /// `evaluation_interval` steps and at the end.
    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        var protocolValues: [String: ConfigurationValue] = [
            MPONetSuite.Network.key: .string(inputs.network.rawValue), "epochs": .int(inputs.epochs),
            "batch_size": .int(inputs.batchSize), "learning_rate": .double(inputs.learningRate),
            "decay_rate": .double(inputs.decayRate), "decay_steps": .int(inputs.decaySteps), "momentum": .double(inputs.momentum),
            "l2": .double(inputs.l2), "evaluation_interval": .int(inputs.evaluationInterval),
            MPONetSuite.ContractionSetting.key: .string(inputs.contraction.rawValue),
        ]
        if let bond = inputs.bondDimension { protocolValues["bond_dimension"] = .int(bond) }
        return ProblemExchange(
            sets: [
                "train": ["inputs": .float(inputs.train.inputs), "labels": .labels(inputs.train.labels)],
                "test": ["inputs": .float(inputs.test.inputs)],
            ],
            protocolValues: protocolValues,
            schedule: PredictionSchedule(
                epoch: ["test"], stepInterval: inputs.evaluationInterval, step: ["test"], final: ["test"],
                totalSteps: inputs.epochs * (inputs.train.count / inputs.batchSize)))
    }
}
