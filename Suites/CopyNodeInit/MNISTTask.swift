import Datasets
import Harness
import TensorCore
import TensorNetworks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MNIST 14×14 as site-major features, split per the tier's settings, and the gradient-descent
/// training loop that both Barratt, Dborin & Wright suites run: this target's `CopyNodeInit` and
/// the `RankRegularization` suite, which depends on this target for it.
public struct MNISTTask {
    public var sites: Int
    public var trainFeatures: Tensor<Float>, trainLabels: [Int]
    public var validationFeatures: Tensor<Float>, validationLabels: [Int]
    public var testFeatures: Tensor<Float>, testLabels: [Int]

    public static func load(_ context: RunContext) throws -> MNISTTask {
        let pool = context.settings["train_pool"].flatMap { $0.numericValue }.map { Int($0) } ?? 60_000
        let testCount = context.settings["test_images"].flatMap { $0.numericValue }.map { Int($0) } ?? 10_000
        let fraction = context.settings["validation_fraction"]?.numericValue ?? 0.2
        let train = try ImageSet.load(.mnist, split: .train, dataDirectory: context.dataDirectory).prefix(pool).averagePooled(2)
        let test = try ImageSet.load(.mnist, split: .test, dataDirectory: context.dataDirectory).prefix(testCount).averagePooled(2)
        var splitRNG = context.rng("split")
        let split = Splits.stratified(labels: train.labels, validationFraction: fraction, rng: &splitRNG)
        func features(_ set: ImageSet) -> Tensor<Float> {
            FeatureMap.trigonometric.siteFeatures(set.flattened(order: .rowMajor), as: Float.self)
        }
        let trainSet = train.subset(split.train), validationSet = train.subset(split.validation)
        return MNISTTask(
            sites: train.rows * train.columns,
            trainFeatures: features(trainSet), trainLabels: trainSet.labels,
            validationFeatures: features(validationSet), validationLabels: validationSet.labels,
            testFeatures: features(test), testLabels: test.labels)
    }

    /// The copy-node model with its output scale calibrated (see the suite's doc comment): the
    /// median max_ℓ|f| over the first 1,000 training images set to the dense sub-network's
    /// σ_target; the factor is recorded as `init_scale_factor` (log₁₀).
    public static func calibrated(
        _ model: MPSClassifier<Float>, scheme: CopyNodeInitialization, data: MNISTTask, context: RunContext
    ) -> MPSClassifier<Float> {
        // σ_target of the dense sub-network: fan_in = 2^n, fan_out = C = 10.
        let logFanIn = Double(scheme.denseSites.count) * log(2.0)
        let target = exp(scheme.target.logVariance(logFanIn: logFanIn, fanOut: 10) / 2)
        let probe = Array(0..<Swift.min(1_000, data.trainLabels.count))
        let (out, factor) = CopyNodeInitialization.calibratingOutputScale(
            of: model, features: data.trainFeatures, samples: probe, target: target)
        context.record("init_scale_factor", log10(factor))
        return out
    }

    /// Trains for the tier's epochs, recording curves and finals (see ``CopyNodeInitSuite``'s doc
    /// comment, "Records").
    public static func train(
        model: MPSClassifier<Float>, regularizer: RankRegularizer?, numerics: ContractionNumerics,
        data: MNISTTask, context: RunContext
    ) throws {
        let epochs = context.settings["epochs"].flatMap { $0.numericValue }.map { Int($0) } ?? 1
        let batchSize = context.settings["batch_size"].flatMap { $0.numericValue }.map { Int($0) } ?? 32
        let optimizer = AdamOptimizer(
            learningRate: context.settings["learning_rate"]?.numericValue ?? 1e-3,
            epsilon: context.settings["adam_epsilon"]?.numericValue ?? 1e-7)
        let trainer = MPSGradientTrainer(model: model, regularizer: regularizer, numerics: numerics,
                                         batchSize: batchSize, optimizer: optimizer)
        let validation = Array(0..<data.validationLabels.count)
        context.setAttribute("label_site", 0)
        context.setAttribute("feature_map", "trigonometric")
        context.setAttribute("numerics", .string(numerics.rawValue))

        // The initial output scale, exactly (log-scaled Double logits of up to 256 validation images).
        let probe = Array(validation.prefix(256))
        let exact = MPSGradientEngine<Float>(
            bondDimensions: model.bondDimensions, physicalDimension: model.physicalDimension, labelCount: model.labelCount,
            batchCapacity: 256, numerics: .logscaled)
            .logits(cores: trainer.inferenceModel.cores, features: data.validationFeatures, samples: probe)
        let magnitudes = stride(from: 0, to: exact.count, by: 10).map { i in exact[i..<(i + 10)].map { abs($0) }.max()! }.sorted()
        let median = magnitudes[magnitudes.count / 2]
        context.record("init_log10_output", median > 0 ? log10(median) : -400)

        let schedule = BatchSchedule(count: data.trainLabels.count, batchSize: batchSize)
        let shuffle = context.rng("shuffle")
        var epochSeconds = [Double](), flops = 0.0, nonFinite = 0, lastLoss: Double?
        var valError = 1.0
        var frozen = false
        for epoch in 0..<epochs {
            try context.checkCancellation()
            if !frozen {
                let batches = schedule.batches(epoch: epoch, rng: shuffle)
                let (report, seconds) = context.measure("epoch") {
                    trainer.trainEpoch(features: data.trainFeatures, labels: data.trainLabels, batches: batches)
                }
                epochSeconds.append(seconds)
                flops += report.flops
                context.addFlops(report.flops)
                if report.nonFiniteBatches > 0 && nonFinite == 0 { context.record("diverged_epoch", Double(epoch + 1)) }
                nonFinite += report.nonFiniteBatches
                if let loss = report.meanCrossEntropy { context.append("train_loss", x: Double(epoch + 1), y: loss); lastLoss = loss }
                // No finite batch: the parameters did not move, so every later epoch is this one.
                if report.nonFiniteBatches == report.batches { frozen = true }
                let v = context.measure("evaluate") {
                    trainer.evaluate(features: data.validationFeatures, labels: data.validationLabels, samples: validation)
                }.value
                context.addFlops(trainer.evaluationFlops(validation.count))
                valError = 1 - Double(v.correct) / Double(Swift.max(v.count, 1))
            }
            context.append("val_error", x: Double(epoch + 1), y: valError)
            context.progress(Double(epoch + 1) / Double(epochs), "epoch \(epoch + 1)/\(epochs)")
        }
        let test = trainer.evaluate(features: data.testFeatures, labels: data.testLabels, samples: Array(0..<data.testLabels.count))
        context.addFlops(trainer.evaluationFlops(data.testLabels.count))
        context.record("val_error", valError)
        context.record("test_error", 1 - Double(test.correct) / Double(Swift.max(test.count, 1)))
        if let lastLoss { context.record("train_loss", lastLoss) }
        context.record("param_count", Double(trainer.inferenceModel.parameterCount))
        context.record("nonfinite_batches", Double(nonFinite))
        context.record("train_images", Double(data.trainLabels.count))
        context.record("epochs", Double(epochs))
        if !epochSeconds.isEmpty {
            let sorted = epochSeconds.sorted()
            context.record("epoch_seconds", sorted[sorted.count / 2])
            context.record("gflops", flops / epochSeconds.reduce(0, +) / 1e9)
        }
        if let reg = trainer.regularizer {
            let dims = reg.hardDimensions()
            context.record(array: "bond_dimensions", shape: [dims.count], values: dims.map(Double.init))
            context.record(array: "soft_bond_dimensions", shape: [dims.count], values: reg.softDimensions.scalars)
        }
    }
}
