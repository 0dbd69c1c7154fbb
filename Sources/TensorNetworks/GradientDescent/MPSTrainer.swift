import TensorCore
// Re-exported: the trainer's public API is in terms of `Adam`, so its users see the optimizers.
import Optimization

/// Direct gradient descent on an MPS classifier: Adam on every core at once, optionally with rank
/// regularizers (whose soft bond dimensions get their own Adam with the same hyperparameters).
/// The label leg may sit on any core; the outputs are fitted to labels or, for distillation, to
/// target distributions (``TrainingTargets``).
///
/// A batch whose loss or gradient is not finite is counted and skipped (no update), so a model
/// that cannot train shows as a flat curve instead of NaNs.
public final class MPSGradientTrainer<Scalar: BLASScalar> {
    /// The trained model (raw cores; with a regularizer, the masks are not absorbed here).
    public private(set) var model: MPSClassifier<Scalar>
    public private(set) var regularizer: RankRegularizer?
    public let numerics: ContractionNumerics
    public private(set) var optimizer: Adam
    private var softOptimizer: Adam
    private let engine: MPSGradientEngine<Scalar>
    private var gradients: [Tensor<Scalar>]
    /// When set, every optimizer step is followed by bringing the MPS to mixed canonical form
    /// around this site and normalizing it there, ‖W‖ = 1 (tn4ml's
    /// `train(normalize=True, canonize=(True, k))`). The function changes only by the
    /// normalization's positive factor; Adam's moments are not transformed (as in tn4ml).
    /// Without a regularizer only.
    /// When set, the loss sees each sample's unit logits f/‖f‖ (``MPSGradientEngine/normalizesLogits``).
    public var normalizesLogits: Bool {
        get { engine.normalizesLogits }
        set { engine.normalizesLogits = newValue }
    }
    public var canonicalCenter: Int? {
        didSet {
            precondition(canonicalCenter == nil || regularizer == nil, "canonical gauge fixing needs an unregularized model")
        }
    }

    /// When set, ``trainEpoch(features:targets:batches:)`` measures each finite batch's gradient
    /// norm ‖∂L/∂W‖ (all cores, the data loss's) into ``lastEpochGradientNorm`` (off by default:
    /// it reads every gradient once more per batch).
    public var measuresGradientNorm = false
    /// The root mean square over the last epoch's finite batches of their gradient norms (nil
    /// unless ``measuresGradientNorm`` is set and a batch was finite).
    public private(set) var lastEpochGradientNorm: Double?

    public init(
        model: MPSClassifier<Scalar>, regularizer: RankRegularizer? = nil, numerics: ContractionNumerics,
        batchSize: Int, optimizer: Adam = Adam()
    ) {
        precondition(regularizer == nil || model.labelSite == 0,
                     "rank regularization needs the label on site 0, got \(model.labelSite)")
        self.model = model
        self.regularizer = regularizer
        self.numerics = numerics
        self.optimizer = optimizer
        self.softOptimizer = optimizer
        self.engine = MPSGradientEngine(
            bondDimensions: model.bondDimensions, physicalDimension: model.physicalDimension,
            labelCount: model.labelCount, labelSite: model.labelSite, batchCapacity: batchSize, numerics: numerics)
        self.gradients = model.cores.map { Tensor(zeros: $0.shape) }
    }

    /// One pass over `batches` (indices into `features` [L, N, d] and `labels`). The report's
    /// `loss` includes the rank penalty when regularized, `dataLoss` is the cross-entropy (or KL
    /// divergence) alone, `factorizationSeconds` the re-canonicalization after the steps
    /// (``canonicalCenter``).
    public func trainEpoch(features: Tensor<Scalar>, labels: [Int], batches: [[Int]]) -> EpochReport {
        trainEpoch(features: features, targets: .labels(labels), batches: batches)
    }

    /// One pass over `batches` (indices into `features` [L, N, d] and `targets`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func trainEpoch(features: Tensor<Scalar>, targets: TrainingTargets, batches: [[Int]]) -> EpochReport {
        var lossSum = 0.0, ceSum = 0.0, finiteBatches = 0, nonFinite = 0, correct = 0, seen = 0
        var flops = 0.0, gaugeSeconds = 0.0, squaredGradientNorms = 0.0, measured = 0
        for batch in batches {
            let cores = regularizer.map { $0.maskedCores(model.cores) } ?? model.cores
            let e = engine.lossAndGradient(cores: cores, features: features, targets: targets, batch: batch, gradients: &gradients)
            flops += engine.flopsPerTrainingBatch(batch.count)
            guard e.isFinite else { nonFinite += 1; continue }
            if measuresGradientNorm {
                squaredGradientNorms += gradients.reduce(0) { $0 + Double($1.squaredNorm()) }
                measured += 1
            }
            var loss = e.loss
            if var reg = regularizer {
                var softGradient = reg.backpropagate(cores: model.cores, gradients: &gradients)
                let penalty = reg.penalty(physicalDimension: model.physicalDimension, labelCount: model.labelCount)
                softGradient += penalty.gradient
                loss += penalty.value
                var params = [reg.softDimensions]
                softOptimizer.update(&params, gradients: [softGradient])
                reg.softDimensions = params[0]
                reg.project()
                regularizer = reg
            }
            optimizer.update(&model.cores, gradients: gradients)
            if let center = canonicalCenter {
                flops += model.canonicalizationFlops(center: center)
                let start = MonotonicClock.seconds()
                defer { gaugeSeconds += MonotonicClock.seconds() - start }
                do {
                    try model.canonicalize(center: center, concurrentHalves: true)
                    model.normalizeCenter(center)
                } catch {
                    // A non-finite core: the step diverged; later batches see it as non-finite too.
                    nonFinite += 1
                    continue
                }
            }
            lossSum += loss
            ceSum += e.loss
            finiteBatches += 1
            correct += e.correct
            seen += e.count
        }
        lastEpochGradientNorm = measured > 0 ? (squaredGradientNorms / Double(measured)).squareRoot() : nil
        return EpochReport(
            loss: finiteBatches > 0 ? lossSum / Double(finiteBatches) : nil,
            dataLoss: finiteBatches > 0 ? ceSum / Double(finiteBatches) : nil,
            trainingError: seen > 0 ? 1 - Double(correct) / Double(seen) : nil,
            flops: flops, steps: batches.count, nonFiniteSteps: nonFinite,
            factorizationSeconds: canonicalCenter == nil ? nil : gaugeSeconds)
    }

    /// The model used for evaluation: with a regularizer, truncated and absorbed.
    public var inferenceModel: MPSClassifier<Scalar> {
        regularizer.map { $0.absorbed(into: model) } ?? model
    }

    /// Loss and accuracy of the inference model on `samples`, with the trainer's numerics.
    /// A sample whose logits are not finite counts as an error.
    public func evaluate(features: Tensor<Scalar>, labels: [Int], samples: [Int], chunkSize: Int = 500) -> BatchEvaluation {
        evaluate(features: features, targets: .labels(labels), samples: samples, chunkSize: chunkSize)
    }

    /// Loss and accuracy of the inference model on `samples` against `targets`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate(
        features: Tensor<Scalar>, targets: TrainingTargets, samples: [Int], chunkSize: Int = 500
    ) -> BatchEvaluation {
        let (inference, evaluator) = inferenceEngine(sampleCount: samples.count, chunkSize: chunkSize)
        return evaluator.evaluate(cores: inference.cores, features: features, targets: targets, samples: samples)
    }

    /// The inference model's outputs f^ℓ on `samples`, exact in `Double` (with log-scaled
    /// numerics beyond the scalar type's range), `[samples.count, labelCount]`: what a caller
    /// scores itself. Computed in the same chunks as ``evaluate(features:labels:samples:chunkSize:)``,
    /// so the arg max of a row is the class that evaluation counts.
    public func logits(features: Tensor<Scalar>, samples: [Int], chunkSize: Int = 500) -> Tensor<Double> {
        let (inference, evaluator) = inferenceEngine(sampleCount: samples.count, chunkSize: chunkSize)
        let values = evaluator.logits(cores: inference.cores, features: features, samples: samples)
        return Tensor(shape: [samples.count, inference.labelCount], scalars: values)
    }

    /// The inference model and an engine for it that takes `sampleCount` samples in chunks of at
    /// most `chunkSize`.
    private func inferenceEngine(sampleCount: Int, chunkSize: Int) -> (MPSClassifier<Scalar>, MPSGradientEngine<Scalar>) {
        let inference = inferenceModel
        let engine = MPSGradientEngine<Scalar>(
            bondDimensions: inference.bondDimensions, physicalDimension: inference.physicalDimension,
            labelCount: inference.labelCount, labelSite: inference.labelSite,
            batchCapacity: Swift.min(chunkSize, Swift.max(sampleCount, 1)), numerics: numerics)
        return (inference, engine)
    }

    /// Forward flops of evaluating the inference model on `count` samples.
    public func evaluationFlops(_ count: Int) -> Double { 2 * Double(count) * Double(inferenceModel.parameterCount) }
}

extension MPSGradientTrainer {
    /// Writes what the next epochs depend on — the cores, both optimizers' states and the
    /// regularizer's soft dimensions — under `prefix` (a checkpoint between two epochs; the
    /// batches are the caller's).
    public func save(into state: inout TrainingState, prefix: String = "trainer") {
        state.set("\(prefix)/core_count", count: model.cores.count)
        for (j, core) in model.cores.enumerated() { state.set("\(prefix)/core_\(j)", tensor: core) }
        optimizer.save(into: &state, prefix: "\(prefix)/optimizer")
        softOptimizer.save(into: &state, prefix: "\(prefix)/soft_optimizer")
        if let regularizer { state.set("\(prefix)/soft_dimensions", tensor: regularizer.softDimensions) }
    }

    /// Reads back what ``save(into:prefix:)`` wrote into this trainer (built as the saved one was).
    ///
    /// - Throws: ``TrainingStateError`` when the state does not fit the model (other bond
    ///   dimensions, precision or regularization) or lacks an entry.
    public func restore(from state: TrainingState, prefix: String = "trainer") throws {
        guard try state.count("\(prefix)/core_count") == model.cores.count else {
            throw TrainingStateError("\(try state.count("\(prefix)/core_count")) cores saved for a model of \(model.cores.count)")
        }
        var cores = model.cores
        for j in cores.indices {
            let core = try state.tensor("\(prefix)/core_\(j)", as: Scalar.self)
            guard core.shape == cores[j].shape else { throw TrainingStateError("core \(j) is \(core.shape), the model's \(cores[j].shape)") }
            cores[j] = core
        }
        var soft: Tensor<Double>?
        if let regularizer {
            let saved = try state.tensor("\(prefix)/soft_dimensions", as: Double.self)
            guard saved.shape == regularizer.softDimensions.shape else {
                throw TrainingStateError("soft dimensions \(saved.shape), the regularizer's \(regularizer.softDimensions.shape)")
            }
            soft = saved
        }
        var optimizer = self.optimizer, softOptimizer = self.softOptimizer
        try optimizer.restore(from: state, prefix: "\(prefix)/optimizer")
        try softOptimizer.restore(from: state, prefix: "\(prefix)/soft_optimizer")
        model.cores = cores
        if let soft { regularizer?.softDimensions = soft }
        self.optimizer = optimizer
        self.softOptimizer = softOptimizer
    }
}
