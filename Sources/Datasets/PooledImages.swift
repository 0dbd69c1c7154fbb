import TensorCore

/// An image data set as the MPS suites read it: a training selection and a test prefix of a
/// provisioned set, average-pooled (MNIST 28×28 → 14×14 for a factor of 2).
///
/// Pixels stay in [0, 1] (0 = background); site order and feature map are the model's business
/// (`ImageSet.flattened(order:)`, then a feature map in `TensorNetworks`).
///
/// ```swift
/// var rng = context.rng("data")
/// let (train, test) = try PooledImages.load(
///     .mnist, PooledImages.Selection(train: .seededSubset(10_000), testCount: 10_000),
///     dataDirectory: dir, rng: &rng)
/// ```
public enum PooledImages {
    /// Which training images to keep.
    public enum TrainingSelection: Sendable, Equatable {
        /// The first `n` images in file order (all when `n` exceeds the set).
        case first(Int)
        /// `n` images drawn uniformly without replacement with the caller's generator, in file
        /// order (``Splits/subset(of:size:rng:)``); all of them, generator untouched, when `n`
        /// reaches the set's size.
        case seededSubset(Int)
    }

    /// How a block of pixels becomes one.
    public enum PoolingRule: Sendable, Equatable {
        /// The mean (``ImageSet/averagePooled(_:)``): the paper's text.
        case average
        /// The authors' TNML code's 8-bit wrapping sum over the block's size
        /// (``ImageSet/wrappingUInt8Pooled(_:)``).
        case wrappingUInt8
    }

    /// What to load.
    public struct Selection: Sendable, Equatable {
        public var train: TrainingSelection
        /// The first `testCount` test images (all when it exceeds the set).
        public var testCount: Int
        /// The pooling factor: 2 pools 2×2 pixel clusters; 1 keeps the images as they are.
        public var pooling: Int
        public var rule: PoolingRule

        public init(train: TrainingSelection, testCount: Int, pooling: Int = 2, rule: PoolingRule = .average) {
            self.train = train
            self.testCount = testCount
            self.pooling = pooling
            self.rule = rule
        }
    }

    /// Loads, selects and pools the training and test images of `name`.
    ///
    /// - Parameter rng: advanced only by a ``TrainingSelection/seededSubset(_:)`` that draws.
    /// - Throws: ``DatasetError`` when the set is not provisioned or its files are malformed.
    public static func load(
        _ name: ImageDatasetName, _ selection: Selection, dataDirectory: String, rng: inout Philox
    ) throws -> (train: ImageSet, test: ImageSet) {
        let train = try ImageSet.load(name, split: .train, dataDirectory: dataDirectory)
        let test = try ImageSet.load(name, split: .test, dataDirectory: dataDirectory)
        let selected: ImageSet
        switch selection.train {
        case .first(let n): selected = train.prefix(Swift.min(n, train.count))
        case .seededSubset(let n): selected = train.subset(Splits.subset(of: train.count, size: n, rng: &rng))
        }
        let testPart = test.prefix(Swift.min(selection.testCount, test.count))
        guard selection.pooling > 1 else { return (selected, testPart) }
        switch selection.rule {
        case .average: return (selected.averagePooled(selection.pooling), testPart.averagePooled(selection.pooling))
        case .wrappingUInt8: return (selected.wrappingUInt8Pooled(selection.pooling), testPart.wrappingUInt8Pooled(selection.pooling))
        }
    }
}
