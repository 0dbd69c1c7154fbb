import Foundation
import TensorCore

/// NumPy's `.npy` format, version 1.0 (the file `numpy.save` writes): the arrays an external
/// implementation reads (inputs, labels) and writes (scores). Little-endian, C order; `float32`,
/// `float64`, `int64` and `int32` (read only).
public enum NpyArray: Sendable {
    case float(Tensor<Float>)
    case double(Tensor<Double>)
    /// Integers (labels), with their shape.
    case int64([Int], shape: [Int])

    public var shape: [Int] {
        switch self {
        case .float(let t): t.shape
        case .double(let t): t.shape
        case .int64(_, let shape): shape
        }
    }

    /// The dtype string of the header: `<f4`, `<f8`, `<i8`.
    var descriptor: String {
        switch self {
        case .float: "<f4"
        case .double: "<f8"
        case .int64: "<i8"
        }
    }

    /// The whole file: magic, version 1.0, the header dict padded so that the data starts at a
    /// multiple of 64 bytes, then the values.
    public func encoded() -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        switch self {
        case .float(let t): t.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        case .double(let t): t.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        case .int64(let values, _): values.map { Int64($0) }.withUnsafeBufferPointer { data.append($0) }
        }
        return data
    }

    /// Parses a `.npy` file's bytes.
    /// - Throws: ``NpyError`` with the reason (not `.npy`, a dtype or order it does not read, a
    ///   size that does not match the shape).
    public init(decoding data: Data) throws(NpyError) {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw NpyError("not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw NpyError("truncated header") }
            headerStart = 12
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw NpyError(".npy version \(major) is not supported")
        }
        guard headerLength >= 0, headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8)
        else { throw NpyError("truncated or unreadable header") }
        guard let descr = Self.field("descr", in: header), let order = Self.field("fortran_order", in: header),
              let shapeText = Self.field("shape", in: header)
        else { throw NpyError("header lacks descr, fortran_order or shape: \(header.trimmingCharacters(in: .whitespacesAndNewlines))") }
        guard order == "False" else { throw NpyError("Fortran-order arrays are not read; save a C-order array (numpy.ascontiguousarray)") }
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let dimension = Int(trimmed), dimension >= 0, dimension <= 1 << 40 else {
                throw NpyError("bad shape \(shapeText)")
            }
            shape.append(dimension)
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 1 << 40 else { throw NpyError("shape \(shapeText) is too large") }
            count = product
        }
        let body = headerStart + headerLength
        func payload(_ itemSize: Int) throws(NpyError) -> ArraySlice<UInt8> {
            guard bytes.count - body == count * itemSize else {
                throw NpyError("\(bytes.count - body) data bytes for shape \(shape) of \(descr) (expected \(count * itemSize))")
            }
            return bytes[body...]
        }
        func values<T>(_ type: T.Type, _ slice: ArraySlice<UInt8>) -> [T] {
            slice.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
        }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        switch dtype {
        case "<f4", "|f4", "=f4": self = .float(Tensor(shape: shape, scalars: values(Float.self, try payload(4))))
        case "<f8", "|f8", "=f8": self = .double(Tensor(shape: shape, scalars: values(Double.self, try payload(8))))
        case "<i8", "=i8": self = .int64(values(Int64.self, try payload(8)).map(Int.init), shape: shape)
        case "<i4", "=i4": self = .int64(values(Int32.self, try payload(4)).map(Int.init), shape: shape)
        default: throw NpyError("dtype \(dtype) is not read (float32, float64, int64, int32 are)")
        }
    }

    /// The text of `key`'s value in the header dict: `'<f4'`, `False`, `(3, 4)`.
    private static func field(_ key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var rest = header[keyRange.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if let comma = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<comma] }
        return rest.trimmingCharacters(in: .whitespaces)
    }
}

/// Why `.npy` bytes could not be read.
public struct NpyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
