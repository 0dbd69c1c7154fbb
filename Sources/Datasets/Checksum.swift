import Crypto
import Foundation

/// SHA-256 checksums, computed with swift-crypto, as the 64 lowercase hexadecimal digits that
/// ``KnownData`` and the manifests store.
public enum Checksum {
    /// How many bytes of a file ``sha256(file:)`` reads at a time.
    static let chunkSize = 1 << 20

    /// The SHA-256 of `bytes`.
    public static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).hexString
    }

    /// The SHA-256 of the file at `path`, read in chunks of ``chunkSize`` bytes.
    /// - Throws: ``DatasetError/fileNotFound(_:)`` or ``DatasetError/io(_:reason:)``.
    public static func sha256(file path: String) throws -> String {
        guard let file = fopen(path, "rb") else {
            if !FileManager.default.fileExists(atPath: path) { throw DatasetError.fileNotFound(path) }
            throw DatasetError.io(path, reason: "cannot open for reading (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var hasher = SHA256()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = fread(chunk.baseAddress!, 1, chunk.count, file)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        guard ferror(file) == 0 else { throw DatasetError.io(path, reason: "read error") }
        return hasher.finalize().hexString
    }
}

extension Digest {
    /// The digest as lowercase hexadecimal digits, two per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 15)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
