import Harness
import NeuralLayers
import TensorCore
import TNNProtocol

extension Metric {
    static let stabilityRatioInit = Metric(
        "stability_ratio_init", .smallerIsBetter, kind: .informational, unit: "1",
        description: "α·λ_max of the MSE's Hessian in the output layer's weights and bias at initialization; > 2 means plain gradient descent on that layer overshoots")
    static let stabilityRatioFinal = Metric(
        "stability_ratio_final", .smallerIsBetter, kind: .informational, unit: "1",
        description: "the same after the last sweep (≈ 2α when every feature has saturated to 0)")
}

/// TNBench's own implementation of ``TNNRegressionProblem``: the hybrid networks of Tables
/// III/IV (a ``Sequential`` of a frozen `Dense`, one or three `TNLayer`s and an output `Dense`)
/// trained by ``TNNTrainer`` sweeps under the harness's ``TrainingLoop``, one round per sweep
/// (``SweepTraining``, shared with TNNClassification).
///
/// It records its own work: the training MSE and entropy per sweep, the output layer's
/// stability ratio before and after training, entropies, speed, flops and size; the fit's
/// quality is the problem's, from its predictions.
public struct NativeTNNRegression: Implementation {
    public init() {}

    public var name: String { "native" }

    public func train(
        _ inputs: TNNRegressionProblem.Inputs, for problem: TNNRegressionProblem, in context: RunContext
    ) throws -> Predictions {
        let network = try Self.network(inputs, context: context)
        var training = SweepTraining(network: network, learningRate: inputs.learningRate, loss: .meanSquaredError,
                                     strategy: inputs.strategy)
        // Recorded before training, so a diverged run keeps it.
        context.record(.stabilityRatioInit,
                       try Self.outputStabilityRatio(network, inputs: inputs.data.features, learningRate: inputs.learningRate))
        try training.run(sweeps: inputs.sweeps, inputs: inputs.data.features, targets: inputs.targets, in: context)
        let trained = training.network
        context.record(.stabilityRatioFinal,
                       try Self.outputStabilityRatio(trained, inputs: inputs.data.features, learningRate: inputs.learningRate))

        var predictions = Predictions(["train": .double(training.trainer.output ?? trained(inputs.data.features)),
                                       "grid": .double(trained(inputs.grid))])
        if let lineGrid = inputs.lineGrid { predictions.sets["line"] = .double(trained(lineGrid)) }
        return predictions
    }

    /// The network of Table III (line: one ReLU TN layer, linear output) or Table IV (sine:
    /// linear → sigmoid → sigmoid TN layers, the configured output), from a stream shared by
    /// PaL and LbL.
    static func network(_ inputs: TNNRegressionProblem.Inputs, context: RunContext) throws -> Sequential<Double> {
        var initRNG = context.rng("init", sharedAcross: [Strategy.key])
        var layers: [any NeuralLayer<Double>] = [Dense(inputSize: 1, units: 64, activation: .linear, trainable: false, using: &initRNG)]
        func tnLayer(_ activation: Activation) throws -> TNLayer {
            try TNLayer(siteCount: 6, physicalDimension: 2, maxBondDimension: inputs.bondDimension,
                        activation: activation, using: &initRNG)
        }
        switch inputs.dataset {
        case .line:
            layers += [try tnLayer(.relu), Dense(inputSize: 64, units: 1, activation: .linear, using: &initRNG)]
        case .sine:
            layers += [try tnLayer(.linear), try tnLayer(.sigmoid), try tnLayer(.sigmoid),
                       Dense(inputSize: 64, units: 1, activation: (inputs.output ?? .linear).activation, using: &initRNG)]
        }
        return Sequential(layers)
    }

    /// `α·λ_max` of the Hessian of the batch-mean squared error in the last layer's weights and
    /// bias, taken as linear in its pre-activation (exact for a linear output; for a ReLU output,
    /// an upper bound, reached when every sample is active): `λ_max = (2/N)·σ_max([h 1])²`
    /// for the `[N, m]` features `h` that enter the layer (one output unit).
    ///
    /// Plain gradient descent on that quadratic converges only if the ratio is below 2.
    /// - Throws: ``LinearAlgebraError`` if the SVD fails.
    static func outputStabilityRatio(_ network: Sequential<Double>, inputs: Tensor<Double>, learningRate: Double) throws -> Double {
        let features = Sequential(Array(network.layers.dropLast()))(inputs)
        return try outputStabilityRatio(features: features, learningRate: learningRate)
    }

    /// ``outputStabilityRatio(_:inputs:learningRate:)`` from the features `h` (`[N, m]`).
    public static func outputStabilityRatio(features: Tensor<Double>, learningRate: Double) throws -> Double {
        precondition(features.rank == 2, "outputStabilityRatio: features must be [N, m], got \(features.shape)")
        let n = features.shape[0], m = features.shape[1]
        let h = features.scalars
        let augmented = Tensor<Double>(shape: [n, m + 1], scalars: (0..<n).flatMap { row in
            Array(h[(row * m)..<((row + 1) * m)]) + [1]
        })
        let top = try augmented.svd(truncation: .none).s.max() ?? 0
        return learningRate * 2 * top * top / Double(n)
    }
}
