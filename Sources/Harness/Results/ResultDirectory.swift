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
/// A record file exists only once complete (written to a temporary name, synced, renamed), so
/// "the file exists and opens" is "the job is done": that is what makes runs resumable.
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

    // MARK: Manifest

    /// Creates the directory and its manifest, or checks that an existing one has the same tier.
    ///
    /// - Throws: ``HarnessError`` `.unwritableOutput` when the directory cannot be created or
    ///   written, `.invalidArgument` when it holds a run of another tier.
    public func prepare(tier: Tier) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: jobsPath, withIntermediateDirectories: true)
        } catch {
            throw HarnessError(.unwritableOutput, "cannot create output directory '\(path)': choose a writable --out")
        }
        guard manager.isWritableFile(atPath: jobsPath) else {
            throw HarnessError(.unwritableOutput, "output directory '\(path)' is not writable: choose a writable --out")
        }
        if let existing = try? readManifest() {
            guard existing.tier == tier else {
                throw HarnessError(
                    .invalidArgument,
                    "'\(path)' holds a \(existing.tier.rawValue)-tier run; resume it with --tier \(existing.tier.rawValue) or choose another --out")
            }
        } else {
            let data = try JSONEncoder.pretty.encode(RunManifest(name: name, tier: tier))
            try atomicWrite(manifestPath) { try data.write(to: URL(fileURLWithPath: $0)) }
        }
        removeTemporaryFiles()
    }

    public func readManifest() throws -> RunManifest {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw HarnessError(.invalidResults, "'\(path)' is not a tnbench run directory (no run.json)")
        }
        do { return try JSONDecoder().decode(RunManifest.self, from: data) } catch {
            throw HarnessError(.invalidResults, "\(manifestPath): malformed manifest (\(error))")
        }
    }

    /// Deletes temporary files left by a killed writer.
    func removeTemporaryFiles() {
        guard let enumerator = FileManager.default.enumerator(atPath: jobsPath) else { return }
        while let file = enumerator.nextObject() as? String {
            if file.contains(".tmp-") { try? FileManager.default.removeItem(atPath: jobsPath + "/" + file) }
        }
    }

    // MARK: Job records

    /// Writes a job's record atomically (temporary file, fsync, rename).
    public func write(_ record: JobRecord) throws {
        let target = recordPath(record.job)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try atomicWrite(target) { temporary in
            try withHDF5 {
                let file = try HDF5File.create(temporary)
                let root = try file.root()
                try root.setAttributes(["schema_version": .int(Int64(resultsSchemaVersion)), "kind": .string("job")])
                try JobRecordCodec.write(record, into: try root.createGroup(String(JobRecordCodec.groupPath(record.job).dropFirst())))
                file.flush()
            }
        }
    }

    /// The record of a job, or nil when there is none (or it is unreadable, which counts as none).
    public func existingRecord(_ job: Job) -> JobRecord? {
        guard FileManager.default.fileExists(atPath: recordPath(job)) else { return nil }
        return try? readRecord(job)
    }

    public func readRecord(_ job: Job) throws -> JobRecord {
        try withHDF5 {
            let file = try HDF5File.open(recordPath(job))
            return try JobRecordCodec.read(from: try file.root().group(JobRecordCodec.groupPath(job)))
        }
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

    // MARK: Merging and loading

    /// Merges every job record into `results.h5` (atomically; object copies, so float32 stays
    /// float32), with the run's provenance on the root and, in `builds` and `hosts`, every build
    /// and host that made a record. Returns the merged file's path.
    ///
    /// - Throws: ``HarnessError`` `.mixedBuilds` when the records come from more than one build
    ///   that ran different code (see ``Provenance/codeID``) and `allowMixedBuilds` is false,
    ///   naming the builds and jobs of each.
    @discardableResult
    public func merge(allowMixedBuilds: Bool = false) throws -> String {
        let manifest = try readManifest()
        let files = recordFiles()
        try atomicWrite(mergedPath) { temporary in
            try withHDF5 {
                let merged = try HDF5File.create(temporary)
                let root = try merged.root()
                var attributes = Provenance.current().attributes
                attributes["schema_version"] = .int(Int64(resultsSchemaVersion))
                attributes["kind"] = .string("run")
                attributes["run_name"] = .string(manifest.name)
                attributes["tier"] = .string(manifest.tier.rawValue)
                attributes["created"] = .string(manifest.created)
                attributes["merged"] = .string(Timestamp.now())
                attributes["job_count"] = .int(Int64(files.count))
                try root.setAttributes(attributes)
                var builds: [String: BuildGroup] = [:]
                var buildIDs: Set<String> = []
                var hosts: Set<String> = []
                for path in files {
                    let source = try HDF5File.open(path)
                    let sourceRoot = try source.root()
                    try checkSchema(sourceRoot, path)
                    for suite in sourceRoot.children() where suite.isGroup {
                        let suiteGroup = try sourceRoot.group(suite.name)
                        for configuration in suiteGroup.children() where configuration.isGroup {
                            let configurationGroup = try suiteGroup.group(configuration.name)
                            for seed in configurationGroup.children() where seed.isGroup {
                                let groupPath = "/\(suite.name)/\(configuration.name)/\(seed.name)"
                                try merged.copy(from: source, groupPath, to: groupPath)
                                let seedGroup = try configurationGroup.group(seed.name)
                                let values = try seedGroup.group("configuration").attributes()
                                try root.group("\(suite.name)/\(configuration.name)").setAttributes(values)
                                let jobAttributes = try seedGroup.attributes()
                                let provenance = Provenance(attributes: jobAttributes)
                                let job = "\(jobAttributes["suite"]?.stringValue ?? suite.name) [\(jobAttributes["configuration"]?.stringValue ?? configuration.name)] \(seed.name.replacingOccurrences(of: "_", with: " "))"
                                builds[provenance.codeID, default: BuildGroup()].add(provenance, job: job)
                                buildIDs.insert(provenance.buildID)
                                hosts.insert(provenance.hostName)
                            }
                        }
                    }
                }
                try Self.checkSingleBuild(builds, allowMixedBuilds: allowMixedBuilds)
                try root.setAttributes([
                    "builds": .string(buildIDs.sorted().joined(separator: ",")),
                    "hosts": .string(hosts.sorted().joined(separator: ",")),
                ])
                merged.flush()
            }
        }
        return mergedPath
    }

    /// The builds (``Provenance/buildID``) that ran one code (``Provenance/codeID``) and their jobs.
    public struct BuildGroup: Sendable, Equatable {
        public var builds: Set<String> = []
        public var jobs: [String] = []
        mutating func add(_ provenance: Provenance, job: String) {
            builds.insert(provenance.buildID)
            jobs.append(job)
        }
    }

    /// Refuses records that ran different code unless allowed: the error names each code's
    /// builds and jobs.
    static func checkSingleBuild(_ groups: [String: BuildGroup], allowMixedBuilds: Bool) throws {
        guard groups.count > 1 && !allowMixedBuilds else { return }
        let parts = groups.keys.sorted().map { code -> String in
            let group = groups[code]!
            let jobs = group.jobs.sorted()
            let shown = jobs.prefix(3).joined(separator: ", ") + (jobs.count > 3 ? ", …" : "")
            let builds = group.builds.sorted().joined(separator: ", ")
            return "build \(builds)\(code.hasPrefix("code ") ? " (\(code))" : ""): \(jobs.count) job(s) (\(shown))"
        }
        throw HarnessError(
            .mixedBuilds,
            "the records come from builds of \(groups.count) different codes — \(parts.joined(separator: "; ")) — delete the other build's records and run them again, or pass --allow-mixed-builds")
    }

    /// The code of every record in the directory: ``Provenance/codeID`` → its builds and jobs.
    public func recordBuilds() -> [String: BuildGroup] {
        var builds: [String: BuildGroup] = [:]
        for file in recordFiles() {
            guard let attributes = try? withHDF5({ () -> [String: HDF5AttributeValue]? in
                let root = try HDF5File.open(file).root()
                for suite in root.children() where suite.isGroup {
                    let suiteGroup = try root.group(suite.name)
                    for configuration in suiteGroup.children() where configuration.isGroup {
                        let configurationGroup = try suiteGroup.group(configuration.name)
                        for seed in configurationGroup.children() where seed.isGroup {
                            return try configurationGroup.group(seed.name).attributes()
                        }
                    }
                }
                return nil
            }) else { continue }
            let job = "\(attributes["suite"]?.stringValue ?? "?") [\(attributes["configuration"]?.stringValue ?? "?")] seed \(Int(attributes["seed"]?.doubleValue ?? -1))"
            builds[Provenance(attributes: attributes).codeID, default: BuildGroup()].add(Provenance(attributes: attributes), job: job)
        }
        return builds
    }

    /// Checks that every record was made by the build `current` (this tool), unless allowed.
    ///
    /// - Throws: ``HarnessError`` `.mixedBuilds` naming the other builds' jobs.
    public func checkBuild(_ current: Provenance = .current(), allowMixedBuilds: Bool) throws {
        guard !allowMixedBuilds else { return }
        var builds = recordBuilds()
        guard builds.keys.contains(where: { $0 != current.codeID }) else { return }
        builds[current.codeID, default: BuildGroup()].add(current, job: "this tnbench")
        try Self.checkSingleBuild(builds, allowMixedBuilds: false)
    }

    /// Loads every job record: merging first when `jobs/` exists, else from `results.h5` alone
    /// (so a shared results file is enough for compare, figures and report).
    public func loadResults(allowMixedBuilds: Bool = false) throws -> ResultSet {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else {
            throw HarnessError(.invalidResults, "no results directory '\(path)': pass the --out directory of a `tnbench run`")
        }
        if manager.fileExists(atPath: jobsPath) { try merge(allowMixedBuilds: allowMixedBuilds) }
        guard manager.fileExists(atPath: mergedPath) else {
            throw HarnessError(.invalidResults, "'\(path)' has neither jobs/ nor results.h5: pass the --out directory of a `tnbench run`")
        }
        return try ResultSet.read(mergedPath)
    }

    func checkSchema(_ root: HDF5Group, _ file: String) throws {
        let version = Int(try root.attributes()["schema_version"]?.doubleValue ?? 0)
        guard version >= 1 && version <= resultsSchemaVersion else {
            throw HarnessError(
                .invalidResults,
                "\(file): results schema version \(version) is not readable by this tnbench (reads 1...\(resultsSchemaVersion))")
        }
    }
}

/// Every job record of a run, read from a merged results file.
public struct ResultSet: Sendable {
    public var name: String
    public var tier: Tier
    /// Provenance of the process that merged the run.
    public var provenance: Provenance
    public var created: String
    public var records: [JobRecord]

    public init(name: String, tier: Tier, provenance: Provenance, created: String, records: [JobRecord]) {
        self.name = name
        self.tier = tier
        self.provenance = provenance
        self.created = created
        self.records = records
    }

    /// Reads a merged results file.
    public static func read(_ path: String) throws -> ResultSet {
        try withHDF5 {
            let file = try HDF5File.open(path)
            let root = try file.root()
            try ResultDirectory(path).checkSchema(root, path)
            let attributes = try root.attributes()
            var records: [JobRecord] = []
            for suite in root.children() where suite.isGroup {
                let suiteGroup = try root.group(suite.name)
                for configuration in suiteGroup.children() where configuration.isGroup {
                    let configurationGroup = try suiteGroup.group(configuration.name)
                    for seed in configurationGroup.children() where seed.isGroup {
                        records.append(try JobRecordCodec.read(from: try configurationGroup.group(seed.name)))
                    }
                }
            }
            records.sort { ($0.job.suite, $0.job.configuration.name, $0.job.seed) < ($1.job.suite, $1.job.configuration.name, $1.job.seed) }
            return ResultSet(
                name: attributes["run_name"]?.stringValue ?? "run",
                tier: Tier(rawValue: attributes["tier"]?.stringValue ?? "") ?? .smoke,
                provenance: Provenance(attributes: attributes), created: attributes["created"]?.stringValue ?? "",
                records: records)
        }
    }

    public var suites: [String] { Array(Set(records.map(\.job.suite))).sorted() }
}

/// Writes `path` atomically: `body` writes a temporary file beside it, which is synced and renamed.
func atomicWrite(_ path: String, _ body: (String) throws -> Void) throws {
    let directory = (path as NSString).deletingLastPathComponent
    let base = (path as NSString).lastPathComponent
    let temporary = "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
        try body(temporary)
        let descriptor = open(temporary, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        guard rename(temporary, path) == 0 else {
            throw HarnessError(.unwritableOutput, "cannot write '\(path)': rename failed (errno \(errno))")
        }
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw error
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
