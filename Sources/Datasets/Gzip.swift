import CZlib

/// gzip (RFC 1952) through the system zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic `1f 8b`.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The decompressed content of a gzip (or zlib) stream; concatenated gzip members are
    /// decompressed one after another, as `gunzip` does.
    /// - Parameter path: the file the bytes came from, for error messages.
    /// - Throws: ``DatasetError/malformed(_:reason:)`` on corrupt data and
    ///   ``DatasetError/truncated(_:expected:actual:)`` when the stream ends early.
    public static func decompress(_ input: [UInt8], path: String = "<memory>") throws -> [UInt8] {
        var expected = 1 << 16
        if input.count >= 4 {  // ISIZE: the uncompressed size mod 2^32, a good first guess
            let n = input.count
            let size = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            if size <= input.count * 1100 { expected = max(expected, size) }  // deflate cannot exceed ~1032:1
        }
        var output = [UInt8](repeating: 0, count: expected)
        var produced = 0
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.malformed(path, reason: "zlib could not initialize")
        }
        defer { inflateEnd(&stream) }
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                if produced == output.count { output += [UInt8](repeating: 0, count: max(1 << 16, output.count / 2)) }
                let status: Int32 = output.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress! + produced
                    stream.avail_out = uInt(target.count - produced)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced = target.count - Int(stream.avail_out)
                    return status
                }
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { throw DatasetError.malformed(path, reason: "zlib reset failed") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0 && produced < output.count:
                    throw DatasetError.truncated(path, expected: input.count + 1, actual: input.count)
                case Z_BUF_ERROR:
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw DatasetError.malformed(path, reason: "gzip data corrupt: \(message)")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// `bytes` compressed as one gzip member (zlib level 6).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed with \(status)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let end = deflate(&stream, Z_FINISH)
                precondition(end == Z_STREAM_END, "deflate did not finish (\(end))")
            }
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
