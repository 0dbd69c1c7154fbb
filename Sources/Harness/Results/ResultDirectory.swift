import Foundation

/// The version of the HDF5 results schema (docs/RESULTS-SCHEMA.md), stored as the root attribute
/// `schema_version` of every job file and merged file. Bump it on any incompatible change and
/// keep readers for older versions.
///
/// Version 2 stores an array named with slashes (`mps/core_000`) as nested groups
/// (`arrays/mps/core_000`); version 1 stored it as one dataset `mps%2Fcore_000`. Both are read.
public let resultsSchemaVersion = 2

/// What a run directory was created for, so that a resumed run cannot mix tiers.
public struct RunManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var name: String
    public var tier: Tier
    public var created: String

    public init(name: String, tier: Tier, created: String = Timestamp.now()) {
        self.schemaVersion = resultsSchemaVersion
        self.name = name
        self.tier = tier
        self.created = created
    }
}

/// A benchmark run's output directory:
///
/// ```
/// <dir>/run.json                                   the manifest (name, tier)
/// <dir>/jobs/<suite>/<configuration>/seed_<n>.h5   one record per job, written atomically
/// <dir>/logs/<suite>/<configuration>/seed_<n>.log  a worker process's output
/// <dir>/results.h5                                 all records merged (`merge()`)
/// ```
///
/// A record file exists only once complete (built in memory, sealed with its checksum, written
/// to a temporary name, synced, read back, renamed; see ``SealedFile``), so "the file exists and
/// verifies" is "the job is done": that is what makes runs resumable.
public struct ResultDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var name: String { (path as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? "run" }
    public var manifestPath: String { path + "/run.json" }
    public var mergedPath: String { path + "/results.h5" }
    var jobsPath: String { path + "/jobs" }

    func directory(of job: Job) -> String {
        let configuration = job.configuration.name.isEmpty ? "default" : job.configuration.name
        return "\(JobRecordCodec.escape(job.suite))/\(JobRecordCodec.escape(configuration))"
    }
    public func recordPath(_ job: Job) -> String { "\(jobsPath)/\(directory(of: job))/seed_\(job.seed).h5" }
    public func logPath(_ job: Job) -> String { "\(path)/logs/\(directory(of: job))/seed_\(job.seed).log" }
    /// Where jobs keep working files: the arrays handed to external implementations (shared by
    /// content), each such job's problem file, predictions and standard error.
    public var workPath: String { "\(path)/work" }

    // MARK: Manifest

    /// Creates the directory and its manifest, or checks that an existing one has the same tier.
    ///
    /// - Throws: ``HarnessError`` `.unwritableOutput` when the directory cannot be created or
    ///   written, `.invalidArgument` when it holds a run of another tier.
    public func prepare(tier: Tier) throws {
        try OutputPath.check(path)
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: jobsPath, withIntermediateDirectories: true)
        } catch {
            throw HarnessError(.unwritableOutput, "cannot create output directory '\(path)': choose a writable --out")
        }
        guard manager.isWritableFile(atPath: jobsPath) else {
            throw HarnessError(.unwritableOutput, "output directory '\(path)' is not writable: choose a writable --out")
        }
        // A manifest that exists but does not read is damage, not absence: overwriting it could
        // give the directory's records another tier.
        if manager.fileExists(atPath: manifestPath) {
            let existing = try readManifest()
            guard existing.tier == tier else {
                throw HarnessError(
                    .invalidArgument,
                    "'\(path)' holds a \(existing.tier.rawValue)-tier run; resume it with --tier \(existing.tier.rawValue) or choose another --out")
            }
        } else {
            let data = try JSONEncoder.pretty.encode(RunManifest(name: name, tier: tier))
            try atomicWrite(manifestPath, bytes: Array(data))
        }
        removeTemporaryFiles()
    }

    public func readManifest() throws -> RunManifest {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw HarnessError(.invalidResults, "'\(path)' is not a tnbench run directory (no run.json)")
        }
        let manifest: RunManifest
        do { manifest = try JSONDecoder().decode(RunManifest.self, from: data) } catch {
            throw HarnessError(
                .invalidResults, "\(manifestPath): malformed manifest (\(Self.describe(error))); restore it or start a new --out")
        }
        guard (1...resultsSchemaVersion).contains(manifest.schemaVersion) else {
            throw HarnessError(
                .invalidResults,
                "\(manifestPath): schemaVersion \(manifest.schemaVersion) is not one this tnbench reads (1…\(resultsSchemaVersion)); use the tnbench that made the run")
        }
        return manifest
    }

    /// How old a temporary file must be before ``removeTemporaryFiles()`` takes it for a killed
    /// writer's. A live writer holds one for the seconds its bytes take to reach the disk (they
    /// are built in memory first); Slurm tasks and `run-job` workers of other commands may be
    /// writing into the same directory while a `run` or `plan` starts.
    static let abandonedTemporaryAge: TimeInterval = 600

    /// Deletes temporary files left by a killed writer (under `jobs/`, and `.results.h5.tmp-*`),
    /// those untouched for ``abandonedTemporaryAge`` — never a live writer's.
    func removeTemporaryFiles(olderThan age: TimeInterval = abandonedTemporaryAge) {
        let manager = FileManager.default
        func removeIfAbandoned(_ file: String) {
            guard let modified = (try? manager.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) >= age
            else { return }
            try? manager.removeItem(atPath: file)
        }
        for file in (try? manager.contentsOfDirectory(atPath: path)) ?? [] where file.hasPrefix(".results.h5.tmp-") {
            removeIfAbandoned(path + "/" + file)
        }
        guard let enumerator = manager.enumerator(atPath: jobsPath) else { return }
        while let file = enumerator.nextObject() as? String {
            if file.contains(".tmp-") { removeIfAbandoned(jobsPath + "/" + file) }
        }
    }

    // MARK: Job records

    /// Writes a job's record: built in memory, sealed with its checksum (``SealedFile``), read
    /// back as a record, then written to a temporary file that is synced, read back and compared
    /// before it is renamed into place. A record that exists is therefore complete and readable.
    ///
    /// - Throws: ``HarnessError`` `.io` naming the record when the disk is full or fails (no
    ///   temporary file is left behind and no record put in place).
    public func write(_ record: JobRecord) throws {
        let target = recordPath(record.job)
        try createParent(of: target)
        let bytes = try withHDF5 { () -> [UInt8] in
            let file = try HDF5File.createInMemory(name: target, userBlock: SealedFile.userBlockSize)
            let root = try file.root()
            try root.setAttributes(["schema_version": .int(Int64(resultsSchemaVersion)), "kind": .string("job")])
            try JobRecordCodec.write(record, into: try root.createGroup(String(JobRecordCodec.groupPath(record.job).dropFirst())))
            return try SealedFile.seal(file.image())
        }
        _ = try Self.decodeRecord(bytes, job: record.job, path: target)
        try atomicWrite(target, bytes: bytes)
    }

    /// What the directory holds for a job.
    public enum RecordLookup: Sendable {
        /// No record file.
        case missing
        case found(JobRecord)
        /// A record file that cannot be used: corrupt (checksum mismatch, truncated), unreadable,
        /// or not a record of this job. The error's message names the file and why.
        case unreadable(HarnessError)
    }

    /// The record of a job, telling a missing record from an unusable one.
    public func lookupRecord(_ job: Job) -> RecordLookup {
        guard FileManager.default.fileExists(atPath: recordPath(job)) else { return .missing }
        do { return .found(try readRecord(job)) } catch let error as HarnessError {
            return .unreadable(error)
        } catch {
            return .unreadable(HarnessError(.corruptRecord, "record '\(recordPath(job))' is unreadable (\(error))"))
        }
    }

    /// The record of a job, or nil when there is none (or it is unusable, which counts as none:
    /// see ``lookupRecord(_:)`` to tell them apart).
    public func existingRecord(_ job: Job) -> JobRecord? {
        if case .found(let record) = lookupRecord(job) { return record }
        return nil
    }

    /// Reads a job's record, verifying its checksum before libhdf5 parses it.
    ///
    /// - Throws: ``HarnessError`` `.io` when it cannot be read, `.corruptRecord` when its bytes
    ///   are damaged; ``HDF5Error`` when a readable file lacks the job's fields.
    public func readRecord(_ job: Job) throws -> JobRecord {
        let path = recordPath(job)
        return try Self.decodeRecord(try SealedFile.read(path), job: job, path: path)
    }

    /// Decodes a job's record from the bytes of its file, verified first.
    static func decodeRecord(_ bytes: [UInt8], job: Job, path: String) throws -> JobRecord {
        try withHDF5 {
            let file = try HDF5File.open(verifiedImage: bytes, path: path)
            return try JobRecordCodec.read(from: try file.root().group(JobRecordCodec.groupPath(job)))
        }
    }

    /// The record of a job, for deciding whether to run it: an unusable one (corrupt,
    /// unreadable) is moved aside (``setAside(_:)``) with one warning line on standard error
    /// naming it, and counts as none, so the job runs again.
    public func recordOrSetAside(_ job: Job) -> JobRecord? {
        switch lookupRecord(job) {
        case .missing: return nil
        case .found(let record): return record
        case .unreadable(let error):
            let kept = setAside(job).map { " (the damaged file is kept as '\($0)')" } ?? ""
            FileHandle.standardError.write(Data("tnbench: warning: \(error.message): rerunning\(kept)\n".utf8))
            return nil
        }
    }

    /// Moves an unusable record aside to `<record>.corrupt` (kept for inspection, ignored by
    /// every reader) so the job runs again and the run merges without it. Returns the new path,
    /// nil when it could not be moved.
    public func setAside(_ job: Job) -> String? {
        let path = recordPath(job), aside = recordPath(job) + ".corrupt"
        return rename(path, aside) == 0 ? aside : nil
    }

    /// Every record file under `jobs/`, sorted.
    public func recordFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: jobsPath) else { return [] }
        var files: [String] = []
        while let file = enumerator.nextObject() as? String {
            if file.hasSuffix(".h5") && !file.contains(".tmp-") { files.append(jobsPath + "/" + file) }
        }
        return files.sorted()
    }

    /// Creates the directory a file goes into.
    ///
    /// - Throws: ``HarnessError`` `.io` naming it and the system's reason.
    private func createParent(of file: String) throws {
        let parent = (file as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw HarnessError(fileSystemError: error, action: "create directory", path: parent)
                ?? HarnessError(.io, "cannot create directory '\(parent)': \(error)")
        }
    }
}


/// Writes `bytes` to `path` atomically: to a temporary file beside it, written in full and
/// synced, then read back and compared, and only then renamed into place. On any failure the
/// temporary file is removed and nothing is put in place. Every file tnbench writes into a run
/// directory, a reference or the history store goes through it.
///
/// - Throws: ``HarnessError`` `.io`, "cannot write '<path>': <reason>".
func atomicWrite(_ path: String, bytes: [UInt8]) throws {
    let temporary = temporaryPath(for: path)
    do {
        try SealedFile.write(bytes, to: temporary, for: path)
        guard try SealedFile.read(temporary) == bytes else {
            throw HarnessError(.io, "cannot write '\(path)': the bytes read back differ from those written")
        }
        try renameIntoPlace(temporary, path)
    } catch {
        unlink(temporary)
        throw error
    }
}

/// A fresh temporary name beside `path` (hidden, with `.tmp-` in it: see ``ResultDirectory/removeTemporaryFiles()``).
private func temporaryPath(for path: String) -> String {
    let directory = (path as NSString).deletingLastPathComponent
    let base = (path as NSString).lastPathComponent
    return "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}

private func renameIntoPlace(_ temporary: String, _ path: String) throws {
    guard rename(temporary, path) == 0 else {
        throw HarnessError(.io, "cannot write '\(path)': \(HarnessError.reason(errno: errno))")
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
