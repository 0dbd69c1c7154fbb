extension Tensor {
    /// The same elements viewed with another shape of equal element count; O(1), no copy.
    ///
    /// One extent may be `-1`, meaning "whatever makes the count match".
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var result = self
        result.reshape(newShape)
        return result
    }

    /// Changes the shape in place without touching the elements (see ``reshaped(_:)``).
    public mutating func reshape(_ newShape: [Int]) {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(
            Self.elementCount(resolved) == count,
            "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        _shape = resolved
    }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of `self`. Copies.
    ///
    /// Complexity: O(count), with a contiguous inner loop when the last axis stays last.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(
            axes.count == rank && Set(axes) == Set(0..<rank),
            "permutation \(axes) is not a permutation of the axes of shape \(shape)")
        if axes == Array(0..<rank) { return self }
        let newShape = axes.map { shape[$0] }
        let sourceStrides = strides
        let permutedStrides = axes.map { sourceStrides[$0] }
        return Tensor(shape: newShape) { destination in
            withUnsafeBufferPointer { source in
                stridedCopy(
                    from: source.baseAddress!, strides: permutedStrides, shape: newShape,
                    to: destination.baseAddress!)
            }
        }
    }

    /// The transpose of a matrix. Copies.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs a matrix, got shape \(shape)")
        return permuted([1, 0])
    }

    /// The sub-tensor at `index` along the first axis (rank drops by one). Copies.
    public subscript(index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "index \(index) out of range for shape \(shape)")
        return slice(index..<(index + 1)).reshaped(Array(shape.dropFirst()))
    }

    /// The elements whose first index lies in `range` (rank unchanged). Copies.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(
            rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
            "slice \(range) out of range for shape \(shape)")
        let rowSize = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape) { destination in
            destination.baseAddress!.initialize(
                from: storage.base + range.lowerBound * rowSize, count: range.count * rowSize)
        }
    }

    /// The tensors joined along their first axis (`[n₁, …] ⧺ [n₂, …] → [n₁ + n₂, …]`).
    /// - Precondition: at least one part; all parts share every extent but the first.
    public static func concatenated(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.rank >= 1 }, "concatenated(_:) needs at least one tensor of rank ≥ 1")
        let rowShape = Array(parts[0].shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == rowShape },
                     "concatenated(_:) needs equal extents after the first, got \(parts.map(\.shape))")
        return Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + rowShape) { destination in
            var offset = 0
            for part in parts where part.count > 0 {
                part.withUnsafeBufferPointer {
                    (destination.baseAddress! + offset).initialize(from: $0.baseAddress!, count: part.count)
                }
                offset += part.count
            }
        }
    }

    /// The tensors stacked along a new first axis.
    /// - Precondition: all parts share one shape.
    public static func stacked(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "stacked(_:) needs at least one tensor")
        let partShape = parts[0].shape
        precondition(parts.allSatisfy { $0.shape == partShape }, "stacked(_:) needs equal shapes")
        let partCount = parts[0].count
        return Tensor(shape: [parts.count] + partShape) { destination in
            for (i, part) in parts.enumerated() {
                part.withUnsafeBufferPointer {
                    (destination.baseAddress! + i * partCount).initialize(from: $0.baseAddress!, count: partCount)
                }
            }
        }
    }
}

/// Copies a strided view of `source` (extents `shape`, element strides `strides`) into a
/// contiguous row-major destination.
///
/// The two innermost axes are copied as one block per step of an odometer over the others, and
/// a contiguous inner run by an element loop rather than a `memmove` call: an MPO's interleaved
/// matrix permuted to `[Π I, Π J]` has inner runs of 4 scalars, where a call per run and an
/// odometer step per run cost several times the copy.
func stridedCopy<Scalar>(
    from source: UnsafePointer<Scalar>, strides: [Int], shape: [Int],
    to destination: UnsafeMutablePointer<Scalar>
) {
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    guard let innerExtent = shape.last else {
        destination.initialize(to: source.pointee)
        return
    }
    let innerStride = strides.last!
    let (rowExtent, rowStride) = shape.count >= 2 ? (shape[shape.count - 2], strides[strides.count - 2]) : (1, 0)
    let outerRank = Swift.max(shape.count - 2, 0)
    var index = [Int](repeating: 0, count: outerRank)
    var sourceOffset = 0
    var to = destination
    let block = rowExtent &* innerExtent
    var written = 0
    while written < total {
        var row = source + sourceOffset
        for _ in 0..<rowExtent {
            if innerStride == 1 {
                if innerExtent >= 64 {
                    to.initialize(from: row, count: innerExtent)
                } else {
                    for i in 0..<innerExtent { (to + i).initialize(to: row[i]) }
                }
            } else {
                for i in 0..<innerExtent { (to + i).initialize(to: row[i &* innerStride]) }
            }
            to += innerExtent
            row += rowStride
        }
        written &+= block
        // Advance the odometer over the outer axes.
        var axis = outerRank - 1
        while axis >= 0 {
            index[axis] += 1
            sourceOffset += strides[axis]
            if index[axis] < shape[axis] { break }
            sourceOffset -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
