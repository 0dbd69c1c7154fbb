import Datasets
import Harness
import NeuralLayers
import Optimization
import TensorCore
import TensorNetworks

/// TNBench's own distillation: the teacher (``MNISTNetworks/lenet5(using:)`` or an FC network)
/// trained by ``ClassifierTrainer`` with Adam, then the MPS student trained by
/// ``MPSGradientTrainer`` on the labels or the teacher's distributions, the normal epochs and then
/// the Gaussian ones as the rounds of one ``TrainingLoop``. It hands the student's test scores to
/// the problem after every epoch, the teacher's after every teacher epoch, and returns the
/// student's final scores on the test and training images with the teacher's test scores.
public struct NativeKnowledgeDistillation: Implementation {
    public init() {}

    public var name: String { "native" }

    /// The student's inputs φ(x) = [1, x] per pixel (``FeatureMap/polynomial(degree:)``, degree 1).
    static let featureMap = FeatureMap.polynomial(degree: 1)

    public func train(
        _ inputs: KnowledgeDistillationProblem.Inputs, for problem: KnowledgeDistillationProblem, in context: RunContext
    ) throws -> Predictions {
        let trainFeatures = Self.featureMap.siteFeatures(inputs.train.flattened(order: .rowMajor), as: Float.self)
        let testFeatures = Self.featureMap.siteFeatures(inputs.test.flattened(order: .rowMajor), as: Float.self)
        // The teacher (distilled students only), trained on the same images.
        let teacher = try inputs.teacher.map { try problem.trainTeacher($0, inputs: inputs, context: context) }
        let trainer = student(inputs, context: context)
        trainer.measuresGradientNorm = true
        let targets: TrainingTargets = switch teacher {
        case nil: .labels(inputs.train.labels)
        case let teacher?: .distributions(probabilities: teacher.probabilities(inputs.train, temperature: inputs.temperature),
                                          temperature: inputs.temperature)
        }
        let shuffle = context.rng("shuffle", sharedAcross: [KnowledgeDistillationSuite.Student.key])
        let gaussian = teacher.map { gaussianEpochs(problem.gaussianSets($0, inputs: inputs, context: context), inputs: inputs, shuffle: shuffle) } ?? []
        let schedule = BatchSchedule(count: inputs.train.count, batchSize: inputs.batchSize)
        let testSamples = Array(0..<inputs.test.count)
        func testScores(after round: Int) -> Scores {
            context.addFlops(trainer.evaluationFlops(inputs.test.count))
            let logits = trainer.logits(features: testFeatures, samples: testSamples)
            Self.appendPlateauDiagnostics(trainer: trainer, epoch: round, context: context)
            return .double(logits)
        }

        // Normal epochs on the training images, then Gaussian epochs on synthetic inputs labelled by the teacher.
        var last: Scores?
        let loop = TrainingLoop(rounds: inputs.epochs + gaussian.count, timer: "epoch", lossCurve: Metric.trainLoss.name,
                                nonFinite: .skip)
        let outcome = try loop.run(context, observe: { point in
            guard case .endOfRound(let round, let report, _) = point else { return .proceed }
            if round <= inputs.epochs, let loss = report.loss { context.record(.trainLoss, loss) }
            if report.isFrozen {
                throw Divergence("every batch of student epoch \(round) had a non-finite loss or gradient")
            }
            last = testScores(after: round)
            try problem.evaluate(Predictions(["test": last!]), at: .round(round, x: Double(round)), of: inputs, in: context)
            return .proceed
        }) { round in
            guard round.index > inputs.epochs else {
                let batches = schedule.batches(epoch: round.index - 1, rng: shuffle)
                return trainer.trainEpoch(features: trainFeatures, targets: targets, batches: batches)
            }
            let epoch = gaussian[round.index - inputs.epochs - 1]
            return trainer.trainEpoch(features: epoch.features, targets: epoch.targets, batches: epoch.batches)
        }

        // Final numbers: the student's scores (the test set's from the last epoch), its own work.
        let finalTrain = trainer.logits(features: trainFeatures, samples: Array(0..<inputs.train.count))
        context.addFlops(trainer.evaluationFlops(inputs.train.count))
        var predictions = Predictions(["test": last!, "train": .double(finalTrain)])
        if let teacher {
            predictions.sets["teacher/test"] = teacher.testScores
            context.addFlops(trainer.evaluationFlops(inputs.test.count))
        }
        recordWork(outcome, normalEpochs: inputs.epochs, context: context)
        problem.recordLengths(inputs, context: context)
        return predictions
    }

    /// The optimizer's side of the plateau's diagnostics, per epoch (the suite's doc; the logits'
    /// side, `logit_scale` and `logit_spread`, is the problem's, from any implementation's test
    /// scores): `gradient_norm` (RMS over the epoch's batches of ‖∂L/∂W‖), `adam_rms_sqrt_v` (√ of
    /// Adam's mean bias-corrected second moment) and `adam_share_below_epsilon` (the share of
    /// parameters whose step ε dominates). Non-finite values are left out.
    static func appendPlateauDiagnostics(trainer: MPSGradientTrainer<Float>, epoch: Int, context: RunContext) {
        let x = Double(epoch)
        func append(_ name: String, _ value: Double?) {
            if let value, value.isFinite { context.append(name, x: x, y: value) }
        }
        append("gradient_norm", trainer.lastEpochGradientNorm)
        let moments = trainer.optimizer.secondMoments()
        append("adam_rms_sqrt_v", moments?.rootMeanSquare)
        append("adam_share_below_epsilon", moments?.shareBelowEpsilon)
    }

    /// The finals about the student's training: speed over the normal epochs, non-finite batches.
    private func recordWork(_ outcome: TrainingOutcome, normalEpochs: Int, context: RunContext) {
        let normalSeconds = outcome.roundSeconds.prefix(normalEpochs).sorted()
        context.record(.epochSeconds, normalSeconds[normalSeconds.count / 2])
        if let gflops = outcome.gflops { context.record(.gflops, gflops) }
        context.record(.nonFiniteBatches, Double(outcome.nonFiniteSteps))
    }

    /// The student MPS, drawn from the stream `init` shared across the `student` axis, and its
    /// trainer; records its parameter count and how it is trained.
    private func student(_ inputs: KnowledgeDistillationProblem.Inputs, context: RunContext) -> MPSGradientTrainer<Float> {
        var initRNG = context.rng("init", sharedAcross: [KnowledgeDistillationSuite.Student.key])
        let model: MPSClassifier<Float> = NearIdentityInitialization(noiseStandardDeviation: inputs.initStandardDeviation).mps(
            siteCount: KnowledgeDistillationProblem.sites, bondDimension: inputs.bondDimension, labelCount: 10,
            labelSite: inputs.labelSite, featureMap: Self.featureMap, using: &initRNG)
        context.record(.parameterCount, Double(model.parameterCount))
        context.setAttribute("label_site", .int(inputs.labelSite))
        context.setAttribute("feature_map", "polynomial degree 1: [1, x]")
        context.setAttribute("numerics", .string(inputs.numerics.rawValue))
        context.setAttribute("optimizer", .string(
            "Adam lr \(inputs.learningRate), ε \(inputs.adamEpsilon) (\(inputs.adamEpsilonPlacement.rawValue)), batch \(inputs.batchSize)"))
        return MPSGradientTrainer(
            model: model, numerics: inputs.numerics, batchSize: inputs.batchSize,
            optimizer: Adam(learningRate: inputs.learningRate, epsilon: inputs.adamEpsilon,
                            epsilonPlacement: inputs.adamEpsilonPlacement))
    }

    // MARK: Gaussian epochs

    /// One Gaussian epoch's data: the protocol's synthetic images as features, the teacher's
    /// distributions on them and the batches.
    struct GaussianEpoch {
        var features: Tensor<Float>
        var targets: TrainingTargets
        var batches: [[Int]]
    }

    /// The Gaussian epochs' features, targets and batches (from a substream `gaussian` of the
    /// shuffle stream), drawn before training so that neither the sampling nor the teacher's
    /// labelling is timed as the student's training.
    private func gaussianEpochs(_ sets: [GaussianSet], inputs: KnowledgeDistillationProblem.Inputs, shuffle: Philox) -> [GaussianEpoch] {
        let schedule = BatchSchedule(count: inputs.gaussianSamples, batchSize: min(inputs.batchSize, inputs.gaussianSamples))
        return sets.enumerated().map { epoch, set in
            GaussianEpoch(
                features: Self.featureMap.siteFeatures(set.images.flattened(order: .rowMajor), as: Float.self),
                targets: TrainingTargets.distributions(probabilities: set.probabilities, temperature: inputs.temperature),
                batches: schedule.batches(epoch: epoch, rng: shuffle.substream(RandomKey.derive("gaussian"))))
        }
    }
}
