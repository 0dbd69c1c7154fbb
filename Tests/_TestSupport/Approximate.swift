import Testing
import TensorCore

/// Records an issue unless `actual` and `expected` agree elementwise within
/// `|a − e| ≤ absoluteTolerance + relativeTolerance·|e|`. Shapes must match exactly.
public func expectClose<Scalar: BLASScalar>(
    _ actual: Tensor<Scalar>, _ expected: Tensor<Scalar>,
    relativeTolerance: Double = 1e-5, absoluteTolerance: Double = 1e-6,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record("shapes differ: \(actual.shape) vs \(expected.shape) \(comment.map { "— \($0)" } ?? "")",
                     sourceLocation: sourceLocation)
        return
    }
    let a = actual.scalars, e = expected.scalars
    var worst = 0.0, worstIndex = -1
    for i in a.indices {
        let error = abs(Double(a[i]) - Double(e[i]))
        let allowed = absoluteTolerance + relativeTolerance * abs(Double(e[i]))
        if !(error <= allowed), error - allowed >= worst || worstIndex < 0 {
            worst = error - allowed
            worstIndex = i
        }
    }
    if worstIndex >= 0 {
        Issue.record(
            "tensors differ at flat index \(worstIndex): \(a[worstIndex]) vs \(e[worstIndex]) (shape \(actual.shape)) \(comment.map { "— \($0)" } ?? "")",
            sourceLocation: sourceLocation)
    }
}

/// Records an issue unless two numbers agree within the same mixed tolerance.
public func expectClose(
    _ actual: Double, _ expected: Double,
    relativeTolerance: Double = 1e-9, absoluteTolerance: Double = 0,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    let allowed = absoluteTolerance + relativeTolerance * abs(expected)
    if !(abs(actual - expected) <= allowed) {
        Issue.record(
            "\(actual) differs from \(expected) by \(abs(actual - expected)) > \(allowed) \(comment.map { "— \($0)" } ?? "")",
            sourceLocation: sourceLocation)
    }
}

/// Naïve reference contraction by explicit loops over every index (the oracle for `contract`).
public func naiveContract<Scalar: BLASScalar>(
    _ a: Tensor<Scalar>, _ axesOfA: [Int], _ b: Tensor<Scalar>, _ axesOfB: [Int]
) -> Tensor<Double> {
    let freeA = (0..<a.rank).filter { !axesOfA.contains($0) }
    let freeB = (0..<b.rank).filter { !axesOfB.contains($0) }
    let resultShape = freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] }
    let summedShape = axesOfA.map { a.shape[$0] }
    var result = Tensor<Double>(zeros: resultShape)
    let resultCount = resultShape.reduce(1, *)
    let summedCount = summedShape.reduce(1, *)
    func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for axis in shape.indices.reversed() {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
    var values = [Double](repeating: 0, count: resultCount)
    for r in 0..<resultCount {
        let free = unravel(r, resultShape)
        var total = 0.0
        for s in 0..<summedCount {
            let summed = unravel(s, summedShape)
            var ia = [Int](repeating: 0, count: a.rank)
            var ib = [Int](repeating: 0, count: b.rank)
            for (i, axis) in freeA.enumerated() { ia[axis] = free[i] }
            for (i, axis) in freeB.enumerated() { ib[axis] = free[freeA.count + i] }
            for (i, axis) in axesOfA.enumerated() { ia[axis] = summed[i] }
            for (i, axis) in axesOfB.enumerated() { ib[axis] = summed[i] }
            total += Double(a[ia]) * Double(b[ib])
        }
        values[r] = total
    }
    result = Tensor(shape: resultShape, scalars: values)
    return result
}

extension Tensor {
    /// Element access by an index array (test helper).
    public subscript(_ indices: [Int]) -> Scalar {
        withUnsafeBufferPointer { buffer in
            var offset = 0
            for (axis, index) in indices.enumerated() { offset = offset * shape[axis] + index }
            return buffer[offset]
        }
    }
}

/// Records an issue unless two arrays have the same length and agree elementwise within the mixed tolerance.
public func expectClose(
    _ actual: [Double], _ expected: [Double],
    relativeTolerance: Double = 1e-9, absoluteTolerance: Double = 0,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("lengths differ: \(actual.count) vs \(expected.count) \(comment.map { "— \($0)" } ?? "")",
                     sourceLocation: sourceLocation)
        return
    }
    for i in actual.indices {
        expectClose(actual[i], expected[i], relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                    comment ?? "index \(i)", sourceLocation: sourceLocation)
    }
}
