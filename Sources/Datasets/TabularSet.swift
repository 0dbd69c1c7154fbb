import TensorCore

/// A table of real features with integer class labels or real targets.
public struct TabularSet: Sendable {
    /// The features, `[count, featureCount]`.
    public var features: Tensor<Double>
    /// Class labels, in `0..<classCount` (empty for regression).
    public var labels: [Int]
    /// Regression targets (empty for classification).
    public var targets: [Double]
    /// One name per feature column.
    public var featureNames: [String]
    /// The class names, indexed by label (empty when unknown or for regression).
    public var classNames: [String]

    /// The number of rows.
    public var count: Int { features.shape[0] }
    /// The number of feature columns.
    public var featureCount: Int { features.shape[1] }

    /// - Precondition: `features` has rank 2; `labels` and `targets` are each empty or have one
    ///   entry per row; `featureNames` is empty or has one entry per column.
    public init(features: Tensor<Double>, labels: [Int] = [], targets: [Double] = [],
                featureNames: [String] = [], classNames: [String] = []) {
        precondition(features.rank == 2, "TabularSet needs features [count, featureCount], got \(features.shape)")
        let n = features.shape[0]
        precondition(labels.isEmpty || labels.count == n, "TabularSet: \(labels.count) labels for \(n) rows")
        precondition(targets.isEmpty || targets.count == n, "TabularSet: \(targets.count) targets for \(n) rows")
        precondition(featureNames.isEmpty || featureNames.count == features.shape[1],
                     "TabularSet: \(featureNames.count) names for \(features.shape[1]) features")
        self.features = features
        self.labels = labels
        self.targets = targets
        self.featureNames = featureNames.isEmpty ? (0..<features.shape[1]).map { "x\($0)" } : featureNames
        self.classNames = classNames
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> TabularSet {
        let width = featureCount
        let rows = Tensor<Double>(shape: [indices.count, width], unsafeUninitializedCapacity: { out in
            features.withUnsafeBufferPointer { source in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < count, "subset index \(i) outside 0..<\(count)")
                    for j in 0..<width { out[k * width + j] = source[i * width + j] }
                }
            }
        })
        return TabularSet(features: rows, labels: labels.isEmpty ? [] : indices.map { labels[$0] },
                          targets: targets.isEmpty ? [] : indices.map { targets[$0] },
                          featureNames: featureNames, classNames: classNames)
    }

    /// Each feature mapped affinely to [0, 1]: `(x − min) / (max − min)`, with `min` and `max`
    /// per column taken from `reference` (the training set, so that validation and test data are
    /// scaled the same way — they may then fall slightly outside [0, 1]) or from `self` when
    /// `reference` is `nil`. A constant column maps to 0.
    public func minMaxScaled(using reference: TabularSet? = nil) -> TabularSet {
        let ranges = (reference ?? self).columnRanges()
        precondition(ranges.count == featureCount, "minMaxScaled: reference has \(ranges.count) features, self \(featureCount)")
        let width = featureCount
        var scaled = self
        scaled.features = Tensor<Double>(shape: features.shape, unsafeUninitializedCapacity: { out in
            features.withUnsafeBufferPointer { source in
                for i in 0..<source.count {
                    let (low, high) = ranges[i % width]
                    out[i] = high > low ? (source[i] - low) / (high - low) : 0
                }
            }
        })
        return scaled
    }

    /// `(min, max)` of each feature column.
    public func columnRanges() -> [(min: Double, max: Double)] {
        let width = featureCount
        var ranges = [(min: Double, max: Double)](repeating: (.infinity, -.infinity), count: width)
        features.withUnsafeBufferPointer { source in
            for i in 0..<source.count {
                ranges[i % width].min = Swift.min(ranges[i % width].min, source[i])
                ranges[i % width].max = Swift.max(ranges[i % width].max, source[i])
            }
        }
        return ranges
    }

    /// How many rows each class has (empty for regression).
    public func labelHistogram() -> [Int] {
        guard let top = labels.max() else { return [] }
        var histogram = [Int](repeating: 0, count: max(top + 1, classNames.count))
        for label in labels { histogram[label] += 1 }
        return histogram
    }
}
