/// Labels, scores and predictions of a classifier: one-hot targets, the predicted class per row,
/// accuracy and error rate.
///
/// ```swift
/// let targets = Tensor<Double>.oneHot(labels: [2, 0], classes: 3)   // [[0, 0, 1], [1, 0, 0]]
/// let predicted = scores.argmaxRows()                                // scores: [batch, classes]
/// let accuracy = Classification.accuracy(predicted: predicted, labels: labels)
/// ```
extension Tensor {
    /// A `[labels.count, classes]` matrix with a 1 in column `labels[n]` of row n and 0 elsewhere.
    ///
    /// - Precondition: every label is in `0 ..< classes`.
    public static func oneHot(labels: [Int], classes: Int) -> Tensor {
        precondition(classes >= 1, "oneHot: classes must be at least 1, got \(classes)")
        var result = Tensor(shape: [labels.count, classes], repeating: 0)
        result.withUnsafeMutableBufferPointer { buffer in
            for (row, label) in labels.enumerated() {
                precondition(label >= 0 && label < classes, "oneHot: label \(label) of row \(row) is not in 0..<\(classes)")
                buffer[row * classes + label] = 1
            }
        }
        return result
    }

    /// The column of each row's largest entry of a `[rows, columns]` matrix (the first on ties;
    /// a NaN never wins over an earlier entry).
    public func argmaxRows() -> [Int] {
        precondition(rank == 2 && shape[1] >= 1, "argmaxRows needs a [rows, columns ≥ 1] matrix, got \(shape)")
        let columns = shape[1]
        return withUnsafeBufferPointer { p in
            (0..<shape[0]).map { row in
                var best = 0
                for c in 1..<columns where p[row * columns + c] > p[row * columns + best] { best = c }
                return best
            }
        }
    }
}

/// Scores of a classifier's predictions.
public enum Classification {
    /// The fraction of `predicted` equal to `labels`, position by position.
    ///
    /// - Precondition: the arrays have the same, non-zero length.
    public static func accuracy(predicted: [Int], labels: [Int]) -> Double {
        precondition(predicted.count == labels.count && !labels.isEmpty,
                     "accuracy: \(predicted.count) predictions for \(labels.count) labels")
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// `1 − accuracy`: the fraction of wrong predictions (counted directly, not by subtraction).
    public static func errorRate(predicted: [Int], labels: [Int]) -> Double {
        precondition(predicted.count == labels.count && !labels.isEmpty,
                     "errorRate: \(predicted.count) predictions for \(labels.count) labels")
        return Double(zip(predicted, labels).filter { $0 != $1 }.count) / Double(labels.count)
    }

    /// The accuracy of the row-wise arg max of `scores` (`[samples, classes]`) against `labels`.
    public static func accuracy<Scalar: BLASScalar>(scores: Tensor<Scalar>, labels: [Int]) -> Double {
        accuracy(predicted: scores.argmaxRows(), labels: labels)
    }
}
