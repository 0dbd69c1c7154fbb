import Datasets
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data of Barratt, Dborin & Wright's image classification protocol for an MPS trained by
/// gradient descent: site features split into training, validation and test parts, with the
/// copy-node output-scale calibration and the initial output size measured on them.
///
/// The data: the first `trainCount` training images of the file, average-pooled 2×2
/// (``PooledImages``), split stratified into training and validation parts
/// (``Splits/stratified(labels:validationFraction:rng:)``); the first `testCount` test images;
/// sites in row-major order, φ(x) = [cos(πx/2), sin(πx/2)]. Training itself is
/// ``MPSGradientTrainer``'s, one epoch at a time.
public struct MPSGradientTask: Sendable {
    /// Site features, site-major `[L, N, d]`, with one label per image.
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

    /// Loads the task's data: the first `trainCount` training images of the file (before the
    /// split, in file order), their `validationFraction` per class for validation, and the first
    /// `testCount` test images.
    ///
    /// - Parameter splitRNG: draws the stratified split.
    /// - Throws: ``DatasetError`` when the data set is not provisioned.
    public static func load(
        _ name: ImageDatasetName = .mnist, trainCount: Int, testCount: Int, validationFraction: Double,
        dataDirectory: String, splitRNG: inout Philox
    ) throws -> MPSGradientTask {
        precondition(trainCount >= 1 && testCount >= 1 && (0...1).contains(validationFraction),
                     "MPSGradientTask.load: \(trainCount) training, \(testCount) test images, validation fraction \(validationFraction)")
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

    /// log₁₀ of the median, over the first 256 validation images, of max_ℓ |f^ℓ(x)| at
    /// initialization, computed exactly (log-scaled numerics, Double logits); −400 when that
    /// median is zero.
    public func initialLog10Output(_ model: MPSClassifier<Float>) -> Double {
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
