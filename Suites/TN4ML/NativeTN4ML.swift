import Datasets
import Harness
import Optimization
import TensorCore
import TensorNetworks

/// TNBench's own implementation of tn4ml's protocol, in Double: ``TN4MLInitializer``'s start,
/// then per epoch either Adam on every core with the per-step gauge fixing
/// (``MPSGradientTrainer``, `optimizer=gradient`) or tn4ml's `Sweeps` strategy
/// (``BondGradientSweeper``, `optimizer=sweeps`), under the harness's ``TrainingLoop`` with a
/// validation pass after every epoch and ``EarlyStopping`` on the validation loss.
public struct NativeTN4ML: Implementation {
    public init() {}

    public var name: String { "native" }

    public func train(_ inputs: TN4MLProblem.Inputs, for problem: TN4MLProblem, in context: RunContext) throws -> Predictions {
        var initRNG = context.rng("init")
        let model: MPSClassifier<Double> = try TN4MLInitializer.mps(
            siteCount: inputs.train.features.shape[0], bondDimension: inputs.bondDimension, labelSite: inputs.labelSite,
            labelCount: 2, featureMap: inputs.featureMap, standardDeviation: inputs.initStandardDeviation,
            center: inputs.canonicalCenter, using: &initRNG)
        let trainer = try Trainer(model, inputs)
        // The loss sees unit logits f/‖f‖, as tn4ml's (gradient descent; the sweeper uses raw logits).
        let evaluator = Evaluator(unitLogits: inputs.optimizer == .gradient)
        var observer = ValidationObserver(
            problem: problem, inputs: inputs, context: context, trainer: trainer, evaluator: evaluator,
            stopping: EarlyStopping(patience: inputs.patience))
        let schedule = BatchSchedule(count: inputs.train.labels.count, batchSize: inputs.batchSize)
        let shuffle = context.rng("shuffle")
        let loop = TrainingLoop(rounds: inputs.maxEpochs, unit: "epoch", timer: "epoch", samples: nil, lossCurve: Metric.trainLoss.name)
        let outcome = try loop.run(context, observer: &observer) { round in
            let report = try trainer.trainEpoch(inputs.train, batches: schedule.batches(epoch: round.index - 1, rng: shuffle))
            guard report.nonFiniteSteps == 0, report.loss != nil else {
                throw Divergence("a batch of the epoch gave a non-finite loss or gradient")
            }
            return report
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let gaugeSeconds = outcome.factorizationSeconds ?? 0
        context.addTimer("gauge", gaugeSeconds)
        context.record(.gaugeFraction, gaugeSeconds / Swift.max(outcome.trainingSeconds, 1e-12))
        context.record(.validationLoss, observer.lastLoss)
        context.record(.epochsRun, Double(outcome.roundsRun))
        context.record(.epochSeconds, median(observer.epochSeconds))
        context.record(.samplesPerSecond, Double(inputs.train.labels.count) / (outcome.medianRoundSeconds ?? .nan))
        context.record(.gflops, outcome.flops / outcome.trainingSeconds / 1e9)
        let final = trainer.model
        context.record(.parameterCount, Double(final.parameterCount))
        context.record(array: "bond_dimensions", shape: [final.bondDimensions.count], values: final.bondDimensions.map(Double.init))
        return Predictions([
            "test": evaluator.scores(final, inputs.test), "train": evaluator.scores(final, inputs.train),
            "validation": evaluator.scores(final, inputs.validation),
        ])
    }
}

/// The two ways to train, behind one epoch.
enum Trainer {
    case gradient(MPSGradientTrainer<Double>)
    case sweeps(BondGradientSweeper<Double>)

    /// tn4ml's optax Adam (ε on the bias-corrected moments); with the canonical gauge, the per-step
    /// re-canonicalization (gradient) or ‖W‖ = 1 after every batch (sweeps, which keep their own
    /// orthogonality centre).
    init(_ model: MPSClassifier<Double>, _ inputs: TN4MLProblem.Inputs) throws {
        let adam = Adam(learningRate: inputs.learningRate, epsilon: inputs.adamEpsilon, epsilonPlacement: .biasCorrected)
        switch inputs.optimizer {
        case .gradient:
            let trainer = MPSGradientTrainer(model: model, numerics: .plain, batchSize: inputs.batchSize, optimizer: adam)
            trainer.canonicalCenter = inputs.gauge == .canonical ? inputs.canonicalCenter : nil
            trainer.normalizesLogits = true
            self = .gradient(trainer)
        case .sweeps:
            let sweeper = try BondGradientSweeper(model: model, batchCapacity: inputs.batchSize, optimizer: adam)
            sweeper.normalizesAfterBatch = inputs.gauge == .canonical
            self = .sweeps(sweeper)
        }
    }

    var model: MPSClassifier<Double> {
        switch self {
        case .gradient(let trainer): trainer.model
        case .sweeps(let sweeper): sweeper.model
        }
    }

    func trainEpoch(_ part: TN4MLProblem.Part, batches: [[Int]]) throws -> EpochReport {
        switch self {
        case .gradient(let trainer): trainer.trainEpoch(features: part.features, labels: part.labels, batches: batches)
        case .sweeps(let sweeper): try sweeper.trainEpoch(features: part.features, labels: part.labels, batches: batches)
        }
    }
}

/// The live model evaluated on one part by plain Double contraction: the loss (unit or raw
/// logits, as the optimizer's loss sees them) and the class scores.
struct Evaluator {
    var unitLogits: Bool

    private func engine(_ model: MPSClassifier<Double>, rows: Int) -> MPSGradientEngine<Double> {
        let engine = MPSGradientEngine<Double>(
            bondDimensions: model.bondDimensions, physicalDimension: model.physicalDimension, labelCount: 2,
            labelSite: model.labelSite, batchCapacity: Swift.max(1, rows), numerics: .plain)
        engine.normalizesLogits = unitLogits
        return engine
    }

    func loss(_ model: MPSClassifier<Double>, _ part: TN4MLProblem.Part) -> BatchEvaluation {
        let rows = part.labels.count
        return engine(model, rows: rows).evaluate(cores: model.cores, features: part.features, labels: part.labels, samples: Array(0..<rows))
    }

    func scores(_ model: MPSClassifier<Double>, _ part: TN4MLProblem.Part) -> Scores {
        let rows = part.labels.count
        let logits = engine(model, rows: rows).logits(cores: model.cores, features: part.features, samples: Array(0..<rows))
        return .double(Tensor(shape: [rows, model.labelCount], scalars: logits))
    }
}

/// After every epoch: the validation pass (its loss is the early-stopping monitor and the
/// `val_loss` curve; its class scores go to the problem for `val_accuracy`), the epoch's seconds
/// (training pass plus validation pass), and tn4ml's stopping rule.
struct ValidationObserver: TrainingObserver {
    let problem: TN4MLProblem
    let inputs: TN4MLProblem.Inputs
    let context: RunContext
    let trainer: Trainer
    let evaluator: Evaluator
    var stopping: EarlyStopping
    /// Each epoch's training plus validation seconds.
    var epochSeconds: [Double] = []
    /// The validation loss after the last epoch.
    var lastLoss = Double.infinity

    mutating func measure(at point: TrainingPoint) throws -> TrainingDecision {
        guard case .endOfRound(let round, _, let seconds) = point else { return .proceed }
        let model = trainer.model
        let (validation, evaluationSeconds) = MonotonicClock.timed { evaluator.loss(model, inputs.validation) }
        let x = Double(round)
        context.append(Metric.validationLoss.name, x: x, y: validation.loss)
        context.append(Metric.epochSeconds.name, x: x, y: seconds + evaluationSeconds)
        epochSeconds.append(seconds + evaluationSeconds)
        lastLoss = validation.loss
        try problem.evaluate(
            Predictions(["validation": evaluator.scores(model, inputs.validation)]), at: .round(round, x: x), of: inputs, in: context)
        return stopping.update(validation.loss)
    }
}
