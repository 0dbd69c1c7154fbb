import Foundation

/// Whole-file reads and atomic whole-file writes.
enum FileBytes {
    /// The bytes of the file at `path`.
    /// - Throws: ``DatasetError/fileNotFound(_:)`` or ``DatasetError/io(_:reason:)``.
    static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.fileNotFound(path) }
        guard let file = fopen(path, "rb") else {
            throw DatasetError.io(path, reason: "cannot open for reading (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        fseeko(file, 0, SEEK_END)
        let size = Int(ftello(file))
        fseeko(file, 0, SEEK_SET)
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size == 0 ? 0 : fread(buffer.baseAddress!, 1, size, file)
        }
        guard bytes.count == size else {
            throw DatasetError.io(path, reason: "read \(bytes.count) of \(size) bytes")
        }
        return bytes
    }

    /// The file's bytes, gunzipped first if they start with the gzip magic `1f 8b`.
    static func readDecompressing(_ path: String) throws -> [UInt8] {
        let raw = try read(path)
        return Gzip.isCompressed(raw) ? try Gzip.decompress(raw, path: path) : raw
    }

    /// Writes `bytes` to `path` through a temporary name in the same directory and a rename,
    /// so that an interrupted write never leaves a complete-looking file behind.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        guard let file = fopen(temporary, "wb") else {
            throw DatasetError.io(temporary, reason: "cannot open for writing (\(String(cString: strerror(errno))))")
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        guard written == bytes.count, closed == 0 else {
            unlink(temporary)
            throw DatasetError.io(temporary, reason: "short write (\(written) of \(bytes.count) bytes)")
        }
        try renameReplacing(temporary, path)
    }

    /// Renames `source` over `destination` (atomic on one file system).
    static func renameReplacing(_ source: String, _ destination: String) throws {
        guard rename(source, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(source)
            throw DatasetError.io(destination, reason: "cannot rename into place (\(reason))")
        }
    }

    /// Creates `path` and its parents.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DatasetError.io(path, reason: "cannot create directory (\(error.localizedDescription))")
        }
    }
}

/// Whether a regular file (or a symbolic link to one) exists at `path`.
func fileExists(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}
