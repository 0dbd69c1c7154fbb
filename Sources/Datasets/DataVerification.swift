import Foundation
import Synchronization

/// How a loader checks a data file before it uses the file's bytes.
public enum DataVerification: Sendable {
    /// The file's SHA-256 must be the one the project verified (``KnownData``) or, for a file the
    /// project does not know by name, the one its set's `MANIFEST.json` recorded when it was
    /// fetched or imported. A file neither knows is refused. What suites load.
    case checksums
    /// Only the structure is checked (magic, dimensions, labels): for hand-made test files.
    case structureOnly
}

/// The checksum check of ``DataVerification/checksums``, made cheap by a cache of files already
/// verified: a file whose size, modification and change times and inode are those recorded when
/// its hash last matched is not hashed again. The cache lives in memory for the process and in
/// `<dataDirectory>/<set>/.verified.json` between processes (not written, silently, where the
/// directory is read-only; every process then hashes once).
///
/// The change time (`st_ctim`) cannot be set by a user, so editing a file and restoring its
/// modification time still forces a new hash.
enum VerifiedFiles {
    /// What identifies an unchanged file.
    struct Stamp: Codable, Equatable, Sendable {
        var bytes: Int
        var modifiedNanoseconds: Int
        var changedNanoseconds: Int
        var inode: UInt64
        var sha256: String

        enum CodingKeys: String, CodingKey {
            case bytes, inode, sha256
            case modifiedNanoseconds = "mtime_ns", changedNanoseconds = "ctime_ns"
        }
    }

    /// The cache file's content: stamps by file name.
    struct CacheFile: Codable {
        var schemaVersion = 1
        var files: [String: Stamp]
        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", files }
    }

    /// Stamps verified by this process, by path.
    private static let verified = Mutex<[String: Stamp]>([:])

    static let cacheName = ".verified.json"

    /// Checks the file at `path`, a member of the data set in directory `set` under
    /// `dataDirectory`, against its expected SHA-256.
    ///
    /// - Throws: ``DatasetError/checksumMismatch(_:expected:actual:)`` when the bytes differ,
    ///   ``DatasetError/unverified(_:)`` when no expected hash exists for the file, and the read
    ///   errors of ``Checksum/sha256(file:)``.
    static func check(_ path: String, set: String, dataDirectory: String) throws {
        let name = (path as NSString).lastPathComponent
        let expected = try expectedHash(name: name, set: set, dataDirectory: dataDirectory, path: path)
        guard let stamp = stamp(of: path, sha256: expected) else {
            throw DatasetError.io(path, reason: "cannot read its status (\(String(cString: strerror(errno))))")
        }
        if verified.withLock({ $0[path] }) == stamp { return }
        let cachePath = "\(dataDirectory)/\(set)/\(cacheName)"
        var cache = readCache(cachePath)
        if cache.files[name] == stamp {
            verified.withLock { $0[path] = stamp }
            return
        }
        let actual = try Checksum.sha256(file: path)
        guard actual == expected else { throw DatasetError.checksumMismatch(path, expected: expected, actual: actual) }
        verified.withLock { $0[path] = stamp }
        cache.files[name] = stamp
        if let data = try? JSONEncoder().encode(cache) { try? FileBytes.writeAtomically(Array(data), to: cachePath) }
    }

    /// The hash the project fixed for `name` (``KnownData``), else the one the set's manifest
    /// recorded.
    static func expectedHash(name: String, set: String, dataDirectory: String, path: String) throws -> String {
        if let known = KnownData.files(of: set)?[name] { return known }
        if let manifest = try DataSetManifest.load(set: set, in: dataDirectory),
           let file = manifest.files.first(where: { $0.name == name }) {
            return file.sha256
        }
        throw DatasetError.unverified(path)
    }

    /// The file's identity now, with the hash it is expected to have; nil when `stat` fails.
    static func stamp(of path: String, sha256: String) -> Stamp? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Stamp(
            bytes: Int(status.st_size),
            modifiedNanoseconds: Int(status.st_mtim.tv_sec) * 1_000_000_000 + Int(status.st_mtim.tv_nsec),
            changedNanoseconds: Int(status.st_ctim.tv_sec) * 1_000_000_000 + Int(status.st_ctim.tv_nsec),
            inode: UInt64(status.st_ino), sha256: sha256)
    }

    /// The cache at `path`; empty when missing or unreadable (the cache only saves work).
    static func readCache(_ path: String) -> CacheFile {
        guard let data = FileManager.default.contents(atPath: path),
              let cache = try? JSONDecoder().decode(CacheFile.self, from: data), cache.schemaVersion == 1
        else { return CacheFile(files: [:]) }
        return cache
    }

    /// Forgets what this process verified (tests that change files within a second).
    static func forgetVerifiedInThisProcess() { verified.withLock { $0.removeAll() } }
}
