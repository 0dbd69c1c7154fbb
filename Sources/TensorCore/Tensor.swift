/// A dense, row-major, n-dimensional array of `Float` or `Double` with value semantics.
///
/// `Tensor` is eager and copy-on-write: copies share one buffer until one of them is mutated,
/// at which point the mutated copy takes a private buffer (``ensureUnique()``). Buffers are
/// 64-byte aligned for BLAS. The last axis varies fastest; a tensor of shape `[]` is a scalar.
///
/// ```swift
/// var a = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let b = a            // shares storage
/// a[0, 1] = 20         // a copies; b still reads 2
/// let c = a.matmul(b.transposed())   // [2, 2], through sgemm
/// ```
public struct Tensor<Scalar: BLASScalar>: Sendable {
    @usableFromInline var storage: TensorStorage<Scalar>
    /// The extent of each axis.
    @inlinable public var shape: [Int] { _shape }
    @usableFromInline var _shape: [Int]

    /// Creates a tensor of the given shape with every element equal to `value`.
    @inlinable public init(shape: [Int], repeating value: Scalar) {
        let count = Self.elementCount(shape)
        self._shape = shape
        self.storage = TensorStorage(count: count)
        storage.base.initialize(repeating: value, count: count)
    }

    /// Creates a tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// Creates a tensor from scalars in row-major order.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init<C: Collection>(shape: [Int], scalars: C) where C.Element == Scalar {
        let count = Self.elementCount(shape)
        precondition(
            scalars.count == count,
            "Tensor(shape: \(shape)) needs \(count) scalars, got \(scalars.count)")
        self._shape = shape
        self.storage = TensorStorage(count: count)
        _ = UnsafeMutableBufferPointer(start: storage.base, count: count).initialize(from: scalars)
    }

    /// Creates a tensor of the given shape whose buffer is filled by `body`, which must
    /// initialize every one of the `count` scalars.
    @inlinable public init(
        shape: [Int], unsafeUninitializedCapacity body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void
    ) rethrows {
        let count = Self.elementCount(shape)
        self._shape = shape
        self.storage = TensorStorage(count: count)
        try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }

    /// A rank-0 tensor holding `value`.
    public init(_ value: Scalar) { self.init(shape: [], repeating: value) }

    @usableFromInline static func elementCount(_ shape: [Int]) -> Int {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative extent")
        return shape.reduce(1, *)
    }

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }
    /// The number of elements: the product of the shape.
    @inlinable public var count: Int { storage.count }
    /// The elements in row-major order, as a new array.
    @inlinable public var scalars: [Scalar] { withUnsafeBufferPointer { Array($0) } }
    /// The single element of a tensor with one element.
    public var scalar: Scalar {
        precondition(count == 1, "scalar of a tensor of shape \(shape)")
        return storage.base[0]
    }

    /// Row-major strides, in elements.
    public var strides: [Int] { Self.rowMajorStrides(shape) }

    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            strides[axis] = stride
            stride *= shape[axis]
        }
        return strides
    }

    /// Gives this tensor a private buffer if it shares one; call before every mutation.
    @inlinable public mutating func ensureUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Calls `body` with the elements in row-major order.
    @inlinable public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Calls `body` with mutable access to the elements, after making the buffer unique.
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        ensureUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
    }

    @usableFromInline func offset(_ indices: [Int]) -> Int {
        precondition(
            indices.count == shape.count,
            "\(indices.count) indices for a tensor of shape \(shape)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            precondition(
                index >= 0 && index < shape[axis],
                "index \(indices) out of range for shape \(shape)")
            offset = offset * shape[axis] + index
        }
        return offset
    }

    /// The element at a multi-index (bounds-checked; for tests and setup, not inner loops).
    public subscript(indices: Int...) -> Scalar {
        get { storage.base[offset(indices)] }
        set {
            let position = offset(indices)
            ensureUnique()
            storage.base[position] = newValue
        }
    }
}

/// The private, 64-byte-aligned buffer behind a ``Tensor``.
///
/// It is mutated only through a tensor that holds the sole reference (``Tensor/ensureUnique()``),
/// which is what makes sharing it across threads safe.
@usableFromInline final class TensorStorage<Scalar: BLASScalar>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Scalar>
    @usableFromInline let count: Int

    @usableFromInline init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(count, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        self.base = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
    }

    @usableFromInline func copy() -> TensorStorage {
        let result = TensorStorage(count: count)
        result.base.initialize(from: base, count: count)
        return result
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

extension Tensor {
    /// Whether `other` is this tensor's storage itself (not merely equal values): a cheap identity
    /// for caches of something derived from a tensor that is passed again and again.
    @inlinable public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = withUnsafeBufferPointer { buffer in
            buffer.prefix(8).map { "\($0)" }.joined(separator: ", ")
        }
        return "Tensor<\(Scalar.self)>(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
