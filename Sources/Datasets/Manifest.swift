import Foundation

/// What `tnbench data fetch` (or `import-idx`) verified and installed for one data set, stored as
/// `<dataDirectory>/<set>/MANIFEST.json`. Written last, after every file is in place, so a set
/// with a manifest is complete.
public struct DataSetManifest: Codable, Sendable, Equatable {
    /// One installed file.
    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var bytes: Int
        public var sha256: String
        public init(name: String, bytes: Int, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
        }
    }
    /// The schema version of this file (1).
    public var schemaVersion: Int = 1
    /// The set's name (`mnist`, `fashion-mnist`, `breast-cancer`).
    public var set: String
    /// Where the files came from, for a human.
    public var source: String
    /// When they were installed (ISO 8601, UTC).
    public var installed: String
    public var files: [File]
    /// Example counts by split (`train`, `test`, `all`).
    public var counts: [String: Int]

    public init(set: String, source: String, installed: String, files: [File], counts: [String: Int]) {
        self.set = set
        self.source = source
        self.installed = installed
        self.files = files
        self.counts = counts
    }

    /// The manifest's path for `set` under `directory`.
    public static func path(set: String, in directory: String) -> String { "\(directory)/\(set)/MANIFEST.json" }

    /// The manifest of `set`, or `nil` if the set is not installed.
    /// - Throws: ``DatasetError/malformed(_:reason:)`` if the file exists but does not decode.
    public static func load(set: String, in directory: String) throws -> DataSetManifest? {
        let path = path(set: set, in: directory)
        guard fileExists(path) else { return nil }
        do {
            return try JSONDecoder().decode(DataSetManifest.self, from: Data(try FileBytes.read(path)))
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError.malformed(path, reason: "not a manifest (\(error))")
        }
    }

    /// Writes the manifest atomically.
    public func write(in directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileBytes.writeAtomically(Array(try encoder.encode(self)) + [0x0a], to: Self.path(set: set, in: directory))
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}
