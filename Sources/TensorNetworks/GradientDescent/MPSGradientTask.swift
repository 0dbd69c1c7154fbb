import Datasets
import Optimization
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An image classification task for an MPS trained by gradient descent (Barratt, Dborin &
/// Wright's protocol): the data as site features, split into training, validation and test
/// parts, and the training loop with its measurements.
///
/// The data: the first `trainCount` training images of the file, average-pooled 2×2
/// (``PooledImages``), split stratified into training and validation parts
/// (``Splits/stratified(labels:validationFraction:rng:)``); the first `testCount` test images;
/// sites in row-major order, φ(x) = [cos(πx/2), sin(πx/2)].
///
/// The task knows no harness: ``train(_:regularizer:options:shuffle:afterEpoch:)`` returns what
/// it measured as ``Measurements``, which a suite records as they are:
/// - scalars: `val_error` (after the last epoch), `test_error`, `train_loss` (mean cross-entropy
///   of the last epoch with a finite loss), `param_count`, `nonfinite_batches`, `train_images`,
///   `epochs`, `epoch_seconds` (median over epochs), `gflops` (training flops / training
///   seconds), `init_log10_output` (see ``initialLog10Output(_:)``), `diverged_epoch` (the
///   first epoch with a non-finite batch, if any);
/// - curves per epoch: `train_loss`, `val_error`, `epoch_seconds` (training seconds);
/// - arrays (rank-regularized runs): `bond_dimensions`, `soft_bond_dimensions`;
/// - timers `epoch` and `evaluate`; flops of training and evaluation.
public struct MPSGradientTask: Sendable {
    /// Site features `[N, L, d]` with one label per image.
    public struct Part: Sendable {
        public var features: Tensor<Float>
        public var labels: [Int]
        public var count: Int { labels.count }
        public var all: [Int] { Array(0..<labels.count) }
    }

    /// L, the number of sites (pixels after pooling).
    public var sites: Int
    public var train: Part, validation: Part, test: Part
    public var featureMap: FeatureMap { .trigonometric }

    /// Loads the task's data as `settings` describe it: `train_count` training images taken
    /// from the file (before the split, in file order), their `validation_fraction` per class
    /// for validation, and `test_count` test images.
    ///
    /// - Parameter splitRNG: draws the stratified split.
    /// - Throws: the settings' error for a missing or bad value; ``DatasetError`` when the data
    ///   set is not provisioned.
    public static func load(
        _ name: ImageDatasetName = .mnist, settings: some CheckedSettings, dataDirectory: String, splitRNG: inout Philox
    ) throws -> MPSGradientTask {
        let trainCount = try settings.int("train_count", in: 1...), testCount = try settings.int("test_count", in: 1...)
        let validationFraction = try settings.double("validation_fraction", in: 0...1)
        // Taking the first images draws nothing: `splitRNG` is left for the split.
        let (pool, test) = try PooledImages.load(
            name, PooledImages.Selection(train: .first(trainCount), testCount: testCount),
            dataDirectory: dataDirectory, rng: &splitRNG)
        let split = Splits.stratified(labels: pool.labels, validationFraction: validationFraction, rng: &splitRNG)
        func part(_ set: ImageSet) -> Part {
            Part(features: FeatureMap.trigonometric.siteFeatures(set.flattened(order: .rowMajor), as: Float.self),
                 labels: set.labels)
        }
        return MPSGradientTask(
            sites: pool.rows * pool.columns, train: part(pool.subset(split.train)),
            validation: part(pool.subset(split.validation)), test: part(test))
    }

    /// How to train.
    public struct Options: Sendable {
        public var epochs: Int
        public var batchSize: Int
        /// Adam's step size and ε (Keras form, β = 0.9/0.999).
        public var learningRate: Double
        public var adamEpsilon: Double
        public var numerics: ContractionNumerics

        /// The options `settings` give: `epochs`, `batch_size`, `learning_rate`, `adam_epsilon`.
        /// - Throws: the settings' error for a missing or bad value.
        public init(settings: some CheckedSettings, numerics: ContractionNumerics) throws {
            self.init(
                epochs: try settings.int("epochs", in: 1...), batchSize: try settings.int("batch_size", in: 1...),
                learningRate: try settings.double("learning_rate", in: 0...),
                adamEpsilon: try settings.double("adam_epsilon", in: 0...), numerics: numerics)
        }

        public init(epochs: Int, batchSize: Int, learningRate: Double, adamEpsilon: Double, numerics: ContractionNumerics) {
            precondition(epochs >= 1 && batchSize >= 1, "training needs epochs ≥ 1 and a batch size ≥ 1, got \(epochs), \(batchSize)")
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.adamEpsilon = adamEpsilon
            self.numerics = numerics
        }
    }

    /// The copy-node model with its output scale calibrated: the label core divided so that the
    /// median max_ℓ|f| over the first 1,000 training images equals the dense sub-network's
    /// σ_target (fan_in = 2^n for n dense sites, fan_out = 10).
    ///
    /// - Returns: the model and log₁₀ of the factor applied.
    public func calibrated(
        _ model: MPSClassifier<Float>, scheme: CopyNodeInitialization
    ) -> (model: MPSClassifier<Float>, log10Factor: Double) {
        let logFanIn = Double(scheme.denseSites.count) * log(2.0)
        let target = exp(scheme.target.logVariance(logFanIn: logFanIn, fanOut: 10) / 2)
        let probe = Array(0..<Swift.min(1_000, train.count))
        let (out, factor) = CopyNodeInitialization.calibratingOutputScale(
            of: model, features: train.features, samples: probe, target: target)
        return (out, log10(factor))
    }

    /// Trains `model` for `options.epochs` epochs of Adam over shuffled batches, evaluating the
    /// validation part after every epoch and the test part at the end.
    ///
    /// An epoch in which every batch was non-finite leaves the parameters where they were, so
    /// the remaining epochs are not run and repeat its validation error.
    ///
    /// - Parameters:
    ///   - regularizer: a rank regularizer trained with the cores, or `nil`.
    ///   - shuffle: the stream that orders each epoch's batches.
    ///   - afterEpoch: called after each epoch with (epochs done, epochs); throwing stops training
    ///     (cancellation).
    public func train(
        _ model: MPSClassifier<Float>, regularizer: RankRegularizer? = nil, options: Options, shuffle: Philox,
        afterEpoch: (Int, Int) throws -> Void = { _, _ in }
    ) throws -> Measurements {
        let trainer = MPSGradientTrainer(
            model: model, regularizer: regularizer, numerics: options.numerics, batchSize: options.batchSize,
            optimizer: Adam(learningRate: options.learningRate, epsilon: options.adamEpsilon))
        var result = Measurements()
        var trainingFlops = 0.0
        result.scalars["init_log10_output"] = initialLog10Output(trainer.inferenceModel)

        let schedule = BatchSchedule(count: train.count, batchSize: options.batchSize)
        var epochSeconds = [Double](), nonFinite = 0, lastLoss: Double?, valError = 1.0, frozen = false
        for epoch in 0..<options.epochs {
            if !frozen {
                let batches = schedule.batches(epoch: epoch, rng: shuffle)
                let (report, seconds) = MonotonicClock.timed {
                    trainer.trainEpoch(features: train.features, labels: train.labels, batches: batches)
                }
                epochSeconds.append(seconds)
                result.append("epoch_seconds", x: Double(epoch + 1), y: seconds)
                result.timers["epoch", default: 0] += seconds
                trainingFlops += report.flops
                result.flops += report.flops
                if report.nonFiniteBatches > 0 && nonFinite == 0 { result.scalars["diverged_epoch"] = Double(epoch + 1) }
                nonFinite += report.nonFiniteBatches
                if let loss = report.meanCrossEntropy {
                    result.append("train_loss", x: Double(epoch + 1), y: loss)
                    lastLoss = loss
                }
                if report.nonFiniteBatches == report.batches { frozen = true }
                let (v, evaluationSeconds) = MonotonicClock.timed {
                    trainer.evaluate(features: validation.features, labels: validation.labels, samples: validation.all)
                }
                result.timers["evaluate", default: 0] += evaluationSeconds
                result.flops += trainer.evaluationFlops(validation.count)
                valError = 1 - Double(v.correct) / Double(Swift.max(v.count, 1))
            }
            result.append("val_error", x: Double(epoch + 1), y: valError)
            try afterEpoch(epoch + 1, options.epochs)
        }
        let (t, testSeconds) = MonotonicClock.timed {
            trainer.evaluate(features: test.features, labels: test.labels, samples: test.all)
        }
        result.timers["evaluate", default: 0] += testSeconds
        result.flops += trainer.evaluationFlops(test.count)

        result.scalars["val_error"] = valError
        result.scalars["test_error"] = 1 - Double(t.correct) / Double(Swift.max(t.count, 1))
        if let lastLoss { result.scalars["train_loss"] = lastLoss }
        result.scalars["param_count"] = Double(trainer.inferenceModel.parameterCount)
        result.scalars["nonfinite_batches"] = Double(nonFinite)
        result.scalars["train_images"] = Double(train.count)
        result.scalars["epochs"] = Double(options.epochs)
        if !epochSeconds.isEmpty {
            result.scalars["epoch_seconds"] = epochSeconds.sorted()[epochSeconds.count / 2]
            result.scalars["gflops"] = trainingFlops / epochSeconds.reduce(0, +) / 1e9
        }
        if let reg = trainer.regularizer {
            let dims = reg.hardDimensions()
            result.arrays["bond_dimensions"] = (shape: [dims.count], values: dims.map(Double.init))
            result.arrays["soft_bond_dimensions"] = (shape: [dims.count], values: reg.softDimensions.scalars)
        }
        return result
    }

    /// log₁₀ of the median, over the first 256 validation images, of max_ℓ |f^ℓ(x)| at
    /// initialization, computed exactly (log-scaled numerics, Double logits); −400 when that
    /// median is zero.
    func initialLog10Output(_ model: MPSClassifier<Float>) -> Double {
        let probe = Array(validation.all.prefix(256))
        let exact = MPSGradientEngine<Float>(
            bondDimensions: model.bondDimensions, physicalDimension: model.physicalDimension, labelCount: model.labelCount,
            batchCapacity: 256, numerics: .logscaled)
            .logits(cores: model.cores, features: validation.features, samples: probe)
        let labels = model.labelCount
        let magnitudes = stride(from: 0, to: exact.count, by: labels)
            .map { i in exact[i..<(i + labels)].map { abs($0) }.max()! }.sorted()
        let median = magnitudes[magnitudes.count / 2]
        return median > 0 ? log10(median) : -400
    }
}
