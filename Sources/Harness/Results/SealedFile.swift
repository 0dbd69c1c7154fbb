import Crypto
import Foundation

/// The container of every HDF5 result file tnbench writes (job records and `results.h5`): the
/// HDF5 file with a 512-byte user block in front that holds a checksum of the rest.
///
/// ```
/// bytes 0..<512   user block: "TNBENCH SEALED RESULT FILE\nsha256 <64 hex digits>\nbytes <n>\n", zero-padded
/// bytes 512...    the HDF5 file libhdf5 wrote (n bytes; its superblock at 512)
/// ```
///
/// libhdf5 (and so h5py, h5dump, HDF5.jl) skips a user block, so a sealed file is an ordinary
/// HDF5 file to every other reader. tnbench reads the whole file, checks the length and the
/// SHA-256 first and hands libhdf5 only bytes that verified, so a flipped byte or a truncated
/// file is reported as a corrupt record instead of reaching libhdf5's parser, which can crash
/// on damaged input. Files without the block (written before it existed) start with the HDF5
/// signature and are read unverified.
enum SealedFile {
    /// The user block's size (libhdf5 accepts 0 or a power of two ≥ 512).
    static let userBlockSize = 512
    static let magic = "TNBENCH SEALED RESULT FILE\n"
    /// The first 8 bytes of an HDF5 file without a user block.
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether a file was sealed (its checksum verified) or predates sealing (read unverified).
    enum Verification: Equatable { case sealed, unsealed }

    /// The text of the user block for `content`.
    static func header(for content: ArraySlice<UInt8>) -> String {
        let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        return magic + "sha256 \(digest)\nbytes \(content.count)\n"
    }

    /// The sealed file for an HDF5 image made with a user block of ``userBlockSize`` bytes
    /// (``HDF5File/image()``; with or without the block's placeholder bytes in front).
    static func seal(_ image: [UInt8]) throws -> [UInt8] {
        let content: ArraySlice<UInt8>
        if image.starts(with: hdf5Signature) {
            content = image[...]
        } else if image.count > userBlockSize, image[userBlockSize...].starts(with: hdf5Signature) {
            content = image[userBlockSize...]
        } else {
            throw HDF5Error("libhdf5 returned an image without an HDF5 signature")
        }
        var bytes = Array(header(for: content).utf8)
        precondition(bytes.count < userBlockSize, "the sealed-file header must fit its user block")
        bytes += [UInt8](repeating: 0, count: userBlockSize - bytes.count)
        bytes += content
        return bytes
    }

    /// Checks a file's bytes before anything parses them.
    ///
    /// - Parameters:
    ///   - path: the file, for the message.
    ///   - what: "record" or "results file", for the message.
    /// - Throws: ``HarnessError`` `.corruptRecord`, "<what> '<path>' is corrupt (<why>)": the
    ///   checksum does not match, the file is shorter or longer than sealed, or it is neither
    ///   sealed nor HDF5. Callers add what to do about it.
    static func verify(_ bytes: [UInt8], path: String, what: String = "record") throws -> Verification {
        if bytes.starts(with: hdf5Signature) { return .unsealed }
        func corrupt(_ why: String) -> HarnessError { HarnessError(.corruptRecord, "\(what) '\(path)' is corrupt (\(why))") }
        guard bytes.count >= userBlockSize else {
            throw corrupt(bytes.starts(with: Array(magic.utf8).prefix(bytes.count)) ? "truncated: \(bytes.count) bytes" : "not a tnbench result file")
        }
        let block = bytes[..<userBlockSize]
        let text = String(decoding: block.prefix { $0 != 0 }, as: UTF8.self)
        guard text.hasPrefix(magic) else {
            throw corrupt(bytes.starts(with: Array(magic.utf8).prefix(8)) ? "damaged header" : "not a tnbench result file")
        }
        let content = bytes[userBlockSize...]
        let lines = text.dropFirst(magic.count).split(separator: "\n")
        guard lines.count == 2, lines[1].hasPrefix("bytes "), let count = Int(lines[1].dropFirst(6)) else {
            throw corrupt("damaged header")
        }
        // The padding after the header is zeros as written: a flipped byte there is damage too.
        guard block.dropFirst(text.utf8.count).allSatisfy({ $0 == 0 }) else { throw corrupt("damaged header") }
        let expected = header(for: content)
        if text == expected { return .sealed }
        // The content matches its digest: the header's own bytes are damaged.
        if expected.split(separator: "\n").dropFirst().first == lines[0] { throw corrupt("damaged header") }
        guard count == content.count else {
            throw corrupt(count > content.count ? "truncated: \(content.count) of \(count) bytes" : "\(content.count - count) bytes more than sealed")
        }
        throw corrupt("checksum mismatch")
    }

    // MARK: File I/O

    /// Reads a whole file.
    ///
    /// - Throws: ``HarnessError`` `.io` naming the file and the system's reason.
    static func read(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw HarnessError(.io, "cannot read '\(path)': \(HarnessError.reason(errno: errno))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw HarnessError(.io, "cannot read '\(path)': \(HarnessError.reason(errno: errno))")
            }
            bytes += chunk[..<count]
        }
    }

    /// Creates `temporary` (which must not exist) holding `bytes`, written in full and synced.
    ///
    /// - Parameter target: the path the file is for, named in the message.
    /// - Throws: ``HarnessError`` `.io` ("cannot write '<target>': no space left on device").
    static func write(_ bytes: [UInt8], to temporary: String, for target: String) throws {
        func failure() -> HarnessError { HarnessError(.io, "cannot write '\(target)': \(HarnessError.reason(errno: errno))") }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure() }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                if written == 0 { errno = EIO }
                let error = failure()
                close(descriptor)
                throw error
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            let error = failure()
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw failure() }
    }
}

extension HDF5File {
    /// Opens a result file for reading after verifying it (``SealedFile/verify(_:path:what:)``):
    /// libhdf5 parses the verified bytes in memory, never the file on disk.
    ///
    /// - Throws: ``HarnessError`` `.io` when the file cannot be read, `.corruptRecord` when it
    ///   does not verify or (an unsealed file) libhdf5 cannot open it.
    static func openVerified(_ path: String, what: String = "record") throws -> HDF5File {
        try open(verifiedImage: try SealedFile.read(path), path: path, what: what)
    }

    /// Opens the bytes of a result file after verifying them (see ``openVerified(_:what:)``).
    static func open(verifiedImage bytes: [UInt8], path: String, what: String = "record") throws -> HDF5File {
        _ = try SealedFile.verify(bytes, path: path, what: what)
        do { return try open(image: bytes, name: path) } catch {
            throw HarnessError(.corruptRecord, "\(what) '\(path)' is corrupt (not a complete HDF5 file)")
        }
    }
}
