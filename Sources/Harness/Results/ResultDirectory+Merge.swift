import Foundation

extension ResultDirectory {
    // MARK: Merging and loading

    /// Merges every job record into `results.h5` (atomically, sealed and verified like a job
    /// record; object copies, so float32 stays float32), with the run's provenance on the root
    /// and, in `builds` and `hosts`, every build and host that made a record. Returns the merged
    /// file's path.
    ///
    /// - Throws: ``HarnessError`` `.mixedBuilds` when the records come from more than one build
    ///   that ran different code (see ``Provenance/codeID``) and `allowMixedBuilds` is false,
    ///   naming the builds and jobs of each; `.corruptRecord` naming a damaged record; `.io`
    ///   when `results.h5` cannot be written.
    @discardableResult
    public func merge(allowMixedBuilds: Bool = false) throws -> String {
        try atomicWrite(mergedPath, bytes: try mergedImage(allowMixedBuilds: allowMixedBuilds))
        return mergedPath
    }

    /// The sealed bytes of `results.h5`, merged in memory from the job records (each verified
    /// before libhdf5 reads it), without writing anything.
    func mergedImage(allowMixedBuilds: Bool) throws -> [UInt8] {
        let manifest = try readManifest()
        let files = recordFiles()
        return try withHDF5 {
            let merged = try HDF5File.createInMemory(name: mergedPath, userBlock: SealedFile.userBlockSize)
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
                let source: HDF5File
                do { source = try HDF5File.openVerified(path) } catch let error as HarnessError where error.kind == .corruptRecord {
                    throw HarnessError(
                        .corruptRecord,
                        "\(error.message): re-run the same `tnbench run` (or `tnbench run-job`) into '\(self.path)' to redo that job")
                }
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
            return try SealedFile.seal(merged.image())
        }
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
                let root = try HDF5File.openVerified(file).root()
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

    /// Loads every job record: when `jobs/` exists, from the records themselves (merged in
    /// memory, then written to `results.h5` when the directory is writable — a read-only run
    /// directory reads just as well); else from `results.h5` alone (so a shared results file is
    /// enough for compare, figures and report).
    ///
    /// - Throws: ``HarnessError`` `.invalidResults` when `path` is no run directory,
    ///   `.mixedBuilds` (see ``merge(allowMixedBuilds:)``), `.corruptRecord` naming a damaged
    ///   record or results file, `.io` when a file cannot be read.
    public func loadResults(allowMixedBuilds: Bool = false) throws -> ResultSet {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else {
            throw HarnessError(.invalidResults, "no results directory '\(path)': pass the --out directory of a `tnbench run`")
        }
        if manager.fileExists(atPath: jobsPath) {
            let bytes = try mergedImage(allowMixedBuilds: allowMixedBuilds)
            let results = try ResultSet.read(image: bytes, path: mergedPath)
            // Judging a run by the tier in run.json while its records were made at another
            // would compare with the wrong paper points and references.
            if let stray = results.records.first(where: { $0.tier != results.tier }) {
                throw HarnessError(
                    .invalidResults,
                    "\(manifestPath) says tier \(results.tier.rawValue) but \(recordPath(stray.job)) was recorded at tier \(stray.tier.rawValue): run.json was changed or the directory mixes runs")
            }
            refreshMergedFile(bytes)
            return results
        }
        guard manager.fileExists(atPath: mergedPath) else {
            throw HarnessError(.invalidResults, "'\(path)' has neither jobs/ nor results.h5: pass the --out directory of a `tnbench run`")
        }
        return try ResultSet.read(mergedPath)
    }

    /// Whether files can be created in the run directory: it is writable to this process and
    /// not on a read-only file system.
    public var isWritable: Bool {
        guard access(path, W_OK) == 0 else { return false }
        var info = statvfs()
        return statvfs(path, &info) != 0 || info.f_flag & UInt(ST_RDONLY) == 0
    }

    /// Writes a merged image to `results.h5` for other readers (h5py, a copied run) when the
    /// directory is writable; a read command never fails on it: a failed write is one warning.
    private func refreshMergedFile(_ bytes: [UInt8]) {
        guard isWritable else { return }
        do { try atomicWrite(mergedPath, bytes: bytes) } catch {
            FileHandle.standardError.write(Data("tnbench: warning: results.h5 not updated (\(error)); the results were read from jobs/\n".utf8))
        }
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
