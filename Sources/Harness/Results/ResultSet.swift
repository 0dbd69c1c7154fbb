import Foundation

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

    /// Reads a merged results file, verifying its checksum first (see ``SealedFile``).
    ///
    /// - Throws: ``HarnessError`` `.io` when it cannot be read, `.corruptRecord` when its bytes
    ///   are damaged, `.invalidResults` for a schema this tool cannot read.
    public static func read(_ path: String) throws -> ResultSet {
        try read(image: try SealedFile.read(path), path: path)
    }

    /// Reads the bytes of a merged results file (verified first).
    static func read(image bytes: [UInt8], path: String) throws -> ResultSet {
        try withHDF5 {
            let file = try HDF5File.open(verifiedImage: bytes, path: path, what: "results file")
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
