import Datasets
import Harness
import Optimization
import TensorCore
import TensorNetworks

extension Metric {
    /// Recorded by ``AdamMPSTraining/run(in:evaluate:)`` before the first epoch.
    public static let initLog10Output = Metric(
        "init_log10_output", .largerIsBetter, kind: .informational, unit: "log10",
        description: "log₁₀ of the median, over the first 256 validation images, of max_ℓ |f^ℓ| at initialization (exact, log-scaled); −400 when that median is 0")
    /// Recorded by ``copyNodeMPS(_:denseNodes:bondDimension:paperVector:in:using:)`` for a calibrated model.
    public static let initScaleFactor = Metric(
        "init_scale_factor", .largerIsBetter, kind: .informational, unit: "log10",
        description: "log₁₀ of the factor applied to the label core by the output-scale calibration")
}

/// A copy-node MPS (``CopyNodeInitialization``) at a uniform bond dimension with the label on the
/// first core: `denseNodes` dense sites drawn from `rng` (recorded as the array `dense_sites`),
/// then the cores. With the damped copy vector v = (1, 0.8) the output scale is calibrated on the
/// training images (log₁₀ of the factor recorded as `init_scale_factor`); with the paper's
/// v = (1, 0) (`paperVector`) the model is returned as drawn. Shared by Barratt et al.'s two
/// suites, whose native implementations start from it.
public func copyNodeMPS(
    _ data: MPSGradientTask, denseNodes: Int, bondDimension: Int, paperVector: Bool = false, in context: RunContext,
    using rng: inout Philox
) -> MPSClassifier<Float> {
    let dense = CopyNodeInitialization.randomDenseSites(count: denseNodes, siteCount: data.sites, using: &rng)
    let scheme = CopyNodeInitialization(denseSites: dense, vector: paperVector ? .paper : .damped)
    let raw: MPSClassifier<Float> = scheme.mps(
        siteCount: data.sites, bondDimension: bondDimension, labelCount: 10, featureMap: data.featureMap, using: &rng)
    context.record(array: "dense_sites", shape: [dense.count], values: dense.map(Double.init))
    if paperVector { return raw }
    let calibrated = data.calibrated(raw, scheme: scheme)
    context.record(.initScaleFactor, calibrated.log10Factor)
    return calibrated.model
}

/// Barratt et al.'s training of an MPS classifier: Adam on every core at once
/// (``MPSGradientTrainer``, Keras form), one round of the harness's ``TrainingLoop`` per epoch
/// over batches shuffled with `rng("shuffle")`. A batch whose loss or gradient is not finite is
/// skipped; after an epoch whose every batch was, the model cannot change, so training stops and
/// that model's validation predictions stand for the remaining epochs.
///
/// It records the implementation's own numbers: `init_log10_output`, the `train_loss` curve and
/// final (the data loss of the last epoch with a finite batch), `param_count` (of the inference
/// model), `nonfinite_batches`, `diverged_epoch` (the first epoch with a non-finite batch, when
/// any), `epoch_seconds`, `gflops`; the attributes `label_site`, `feature_map`, `numerics`.
public struct AdamMPSTraining {
    /// The trainer, for what a suite reads after training (a regularizer's learned dimensions).
    public let trainer: MPSGradientTrainer<Float>
    let mnist: BarrattMNIST

    /// Adam with the protocol's step size, ε and batch size on `model` (and `regularizer`).
    public init(model: MPSClassifier<Float>, regularizer: RankRegularizer? = nil, numerics: ContractionNumerics,
                mnist: BarrattMNIST) {
        trainer = MPSGradientTrainer(
            model: model, regularizer: regularizer, numerics: numerics, batchSize: mnist.batchSize,
            optimizer: Adam(learningRate: mnist.learningRate, epsilon: mnist.adamEpsilon))
        self.mnist = mnist
    }

    /// Trains for the protocol's epochs; hands the validation predictions after every epoch to
    /// `evaluate` (with the epoch, 1-based; a frozen model's stand for the epochs not run);
    /// records the numbers above; returns the final validation and test predictions.
    public func run(in context: RunContext, evaluate: @escaping (Predictions, Int) throws -> Void) throws -> Predictions {
        let data = mnist.data, epochs = mnist.epochs
        context.setAttribute("label_site", 0)
        context.setAttribute("feature_map", "trigonometric")
        context.setAttribute("numerics", .string(trainer.numerics.rawValue))
        context.record(.initLog10Output, data.initialLog10Output(trainer.inferenceModel))
        let schedule = BatchSchedule(count: data.train.count, batchSize: mnist.batchSize)
        let shuffle = context.rng("shuffle")
        var validation = Scores.double(Tensor(zeros: [0, 1]))
        var lastLoss: Double?
        let loop = TrainingLoop(rounds: epochs, timer: "epoch", lossCurve: nil, nonFinite: .skip)
        // A paper job runs 100 epochs over 48,000 images: the harness checkpoints it between
        // epochs (the batches of an epoch are a function of the epoch and the stream `shuffle`).
        let resumption = Resumption(
            save: { [trainer] in
                var state = TrainingState()
                trainer.save(into: &state)
                state.set("last_loss", doubles: lastLoss.map { [$0] } ?? [])
                return state
            },
            restore: { [trainer] state in
                try trainer.restore(from: state)
                lastLoss = try state.doubles("last_loss").first
            })
        let outcome = try loop.run(context, observe: { point in
            guard case .endOfRound(let epoch, let report, _) = point else { return .proceed }
            if let loss = report.dataLoss {
                context.append(Metric.trainLoss.name, x: Double(epoch), y: loss)
                lastLoss = loss
            }
            validation = scores(of: data.validation, in: context)
            try evaluate(Predictions(["validation": validation]), epoch)
            return .proceed
        }, resumption: resumption) { round in
            trainer.trainEpoch(features: data.train.features, labels: data.train.labels,
                               batches: schedule.batches(epoch: round.index - 1, rng: shuffle))
        }
        if outcome.roundsRun < epochs {
            for epoch in (outcome.roundsRun + 1)...epochs { try evaluate(Predictions(["validation": validation]), epoch) }
        }
        let test = context.measure("evaluate") { scores(of: data.test, in: context) }.value
        if let lastLoss { context.record(.trainLoss, lastLoss) }
        context.record(.parameterCount, Double(trainer.inferenceModel.parameterCount))
        context.record(.nonFiniteBatches, Double(outcome.nonFiniteSteps))
        if let first = outcome.firstNonFiniteRound { context.record("diverged_epoch", Double(first)) }
        if let median = outcome.medianRoundSeconds { context.record(.epochSeconds, median) }
        if let gflops = outcome.gflops { context.record(.gflops, gflops) }
        return Predictions(["validation": validation, "test": test])
    }

    /// The inference model's exact outputs on `part`, with their flops counted.
    private func scores(of part: MPSGradientTask.Part, in context: RunContext) -> Scores {
        context.addFlops(trainer.evaluationFlops(part.count))
        return .double(trainer.logits(features: part.features, samples: part.all))
    }
}
