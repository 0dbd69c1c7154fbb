import Harness
import NeuralLayers
import TensorCore
import TNNProtocol

/// TNBench's own implementation of ``TNNClassificationProblem``: the hybrid network of
/// Tables I/II (frozen `Dense` → `TNLayer` ReLU → `Dense` softmax, a ``Sequential``) trained
/// by ``TNNTrainer`` sweeps under the harness's ``TrainingLoop``, one round per sweep
/// (``SweepTraining``, shared with TNNRegression).
///
/// It records its own work: the loss and entropy per sweep, the final loss, entropy, bond
/// spectra, speed, flops and size; the accuracies are the problem's, from its predictions.
public struct NativeTNNClassification: Implementation {
    public init() {}

    public var name: String { "native" }

    public func train(
        _ inputs: TNNClassificationProblem.Inputs, for problem: TNNClassificationProblem, in context: RunContext
    ) throws -> Predictions {
        // Model (Tables I/II), from a stream shared by PaL and LbL.
        var initRNG = context.rng("init", sharedAcross: [Strategy.key])
        let network = Sequential<Double>([
            Dense(inputSize: 2, units: 64, activation: .linear, trainable: false, using: &initRNG),
            try TNLayer(siteCount: 6, physicalDimension: 2, maxBondDimension: inputs.bondDimension,
                        activation: .relu, using: &initRNG),
            Dense(inputSize: 64, units: inputs.classes, activation: .softmax, using: &initRNG),
        ])
        var training = SweepTraining(network: network, learningRate: inputs.learningRate, loss: inputs.loss,
                                     strategy: inputs.strategy)
        context.setAttribute("loss_function", .string(inputs.loss.rawValue))

        // Training: after each sweep the problem evaluates the training output and the test points.
        let outcome = try training.run(sweeps: inputs.sweeps, inputs: inputs.train.features, targets: inputs.targets,
                                       in: context) { sweep, network, trainer in
            try problem.evaluate(Self.predictions(network, trainer, inputs), at: .round(sweep, x: Double(sweep)),
                                 of: inputs, in: context)
        }

        // Finals of the training beside those ``SweepTraining`` records.
        context.record(.loss, outcome.reports.last?.loss ?? .nan)
        let bonds = training.trainer.bonds[0]
        context.record(array: "singular_values", shape: [bonds.count, inputs.bondDimension], values: bonds.flatMap { split in
            (0..<inputs.bondDimension).map { $0 < split.singularValues.count ? split.singularValues[$0] : 0 }
        })
        var predictions = Self.predictions(training.network, training.trainer, inputs)
        predictions.sets["field"] = .double(training.network(inputs.field))
        return predictions
    }

    /// The training output of the last sweep and the scores of the test points.
    static func predictions(_ network: Sequential<Double>, _ trainer: TNNTrainer, _ inputs: TNNClassificationProblem.Inputs) -> Predictions {
        Predictions(["train": .double(trainer.output ?? network(inputs.train.features)), "test": .double(network(inputs.test.features))])
    }
}
