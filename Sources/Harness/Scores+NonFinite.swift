import TensorCore

extension Scores {
    /// The number of rows whose scores are all finite and whose predicted class (the first
    /// largest score) is the label. A row with an infinite or NaN score predicts nothing and
    /// counts as wrong: an evaluation that must not credit an overflowed or NaN model with the
    /// class its arg max happens to fall on counts this way.
    public func finiteCorrectCount(labels: [Int]) -> Int {
        precondition(labels.count == count, "Scores: \(count) rows for \(labels.count) labels")
        switch self {
        case .float(let t): return Self.finiteCorrectCount(t, labels: labels)
        case .double(let t): return Self.finiteCorrectCount(t, labels: labels)
        }
    }

    private static func finiteCorrectCount<Scalar: BLASScalar>(_ scores: Tensor<Scalar>, labels: [Int]) -> Int {
        precondition(scores.rank == 2 && scores.shape[1] >= 1, "Scores: need [rows, columns ≥ 1], got \(scores.shape)")
        let columns = scores.shape[1]
        let predicted = scores.argmaxRows()
        return scores.withUnsafeBufferPointer { p in
            labels.indices.filter { row in
                predicted[row] == labels[row] && (0..<columns).allSatisfy { p[row * columns + $0].isFinite }
            }.count
        }
    }
}
