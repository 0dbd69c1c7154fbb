/// An IDX file of unsigned bytes: the format of the canonical MNIST and Fashion-MNIST files.
///
/// Layout (big-endian): a 4-byte magic `0x00 0x00 0x08 r` (`0x08` = unsigned byte data, `r` =
/// number of dimensions: `0x00000801` for a label vector, `0x00000803` for `[count, rows,
/// columns]` images), then `r` 32-bit dimensions, then the bytes in row-major order. Files may be
/// gzip-compressed (detected by the magic `1f 8b`, not by the name).
public struct IDXFile: Sendable, Equatable {
    /// The dimensions, outermost first (for images `[count, rows, columns]`).
    public var dimensions: [Int]
    /// The data, row-major.
    public var bytes: [UInt8]

    /// The magic number of a label file (1 dimension of unsigned bytes).
    public static let labelMagic: UInt32 = 0x0000_0801
    /// The magic number of an image file (3 dimensions of unsigned bytes).
    public static let imageMagic: UInt32 = 0x0000_0803

    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count,
                     "IDX dimensions \(dimensions) need \(dimensions.reduce(1, *)) bytes, got \(bytes.count)")
        precondition((1...255).contains(dimensions.count), "IDX needs 1…255 dimensions, got \(dimensions.count)")
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Reads an IDX file, plain or gzip-compressed.
    /// - Parameters:
    ///   - path: the file.
    ///   - rank: the number of dimensions expected (1 for labels, 3 for images), or `nil` for any.
    /// - Throws: ``DatasetError/fileNotFound(_:)``; ``DatasetError/badMagic(_:expected:actual:)``
    ///   if the magic is not `0x0000_08rr` (or not the expected rank);
    ///   ``DatasetError/truncated(_:expected:actual:)`` if fewer bytes follow than the dimensions
    ///   announce; ``DatasetError/malformed(_:reason:)`` if bytes are left over.
    public static func read(_ path: String, rank: Int? = nil) throws -> IDXFile {
        try decode(try FileBytes.readDecompressing(path), path: path, rank: rank)
    }

    /// Decodes the (uncompressed) bytes of an IDX file. See ``read(_:rank:)``.
    public static func decode(_ data: [UInt8], path: String, rank: Int? = nil) throws -> IDXFile {
        let expectedMagic = UInt32(0x0800) | UInt32(rank ?? 3)
        guard data.count >= 4 else { throw DatasetError.truncated(path, expected: 4, actual: data.count) }
        let magic = bigEndian32(data, 0)
        let dimensionCount = Int(magic & 0xff)
        guard magic & 0xffff_ff00 == 0x0800, dimensionCount > 0, rank == nil || rank == dimensionCount else {
            throw DatasetError.badMagic(path, expected: expectedMagic, actual: magic)
        }
        let headerSize = 4 + 4 * dimensionCount
        guard data.count >= headerSize else { throw DatasetError.truncated(path, expected: headerSize, actual: data.count) }
        let dimensions = (0..<dimensionCount).map { Int(bigEndian32(data, 4 + 4 * $0)) }
        let (payload, overflow) = dimensions.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
        }
        guard !overflow else { throw DatasetError.malformed(path, reason: "dimensions \(dimensions) overflow") }
        guard data.count >= headerSize + payload else {
            throw DatasetError.truncated(path, expected: headerSize + payload, actual: data.count)
        }
        guard data.count == headerSize + payload else {
            throw DatasetError.malformed(path, reason: "\(data.count - headerSize - payload) bytes after the data that dimensions \(dimensions) announce")
        }
        return IDXFile(dimensions: dimensions, bytes: Array(data[headerSize...]))
    }

    /// The file's bytes: magic, dimensions, data.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 + 4 * dimensions.count + bytes.count)
        appendBigEndian32(&out, 0x0800 | UInt32(dimensions.count))
        for d in dimensions { appendBigEndian32(&out, UInt32(d)) }
        out += bytes
        return out
    }

    /// Writes the file (uncompressed, or gzip-compressed when `compressed`) atomically.
    public func write(to path: String, compressed: Bool = false) throws {
        let data = encoded()
        try FileBytes.writeAtomically(compressed ? Gzip.compress(data) : data, to: path)
    }
}

@inline(__always) func bigEndian32(_ data: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3])
}

@inline(__always) func appendBigEndian32(_ out: inout [UInt8], _ value: UInt32) {
    out += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}
