import Foundation
import TensorCore

/// Where and how a result was produced: stored as attributes on every job group and on the root
/// of a merged results file.
public struct Provenance: Sendable, Codable, Equatable {
    /// The git commit the tool was built from (stamped at build time by the `BuildInfo` plugin),
    /// or `"unknown"` when it was built outside a checkout.
    public var gitCommit: String
    /// Whether the sources it was built from differed from the commit; nil when unknown.
    public var gitDirty: Bool?
    /// For a dirty build, the first 12 hex digits of the SHA-256 of the difference (`git diff HEAD`
    /// plus untracked sources): two dirty builds of one commit differ in code iff this differs.
    public var gitDiffHash: String?
    /// 12 hex digits of the SHA-256 of the code the tool was built from (the content and path of
    /// every file under Package.swift, Sources, Suites and Plugins): equal for two builds iff they
    /// ran the same code, committed or not, whatever the commit (a docs-only commit keeps it).
    public var codeHash: String?
    /// The compiler the tool was built with (from `#if compiler(...)` checks).
    public var swiftVersion: String
    /// `debug` or `release` (`#if DEBUG`).
    public var buildConfiguration: String
    /// OpenBLAS's configuration string.
    public var blasConfiguration: String
    /// The BLAS thread count the job ran with.
    public var blasThreads: Int
    /// `model name` from /proc/cpuinfo.
    public var cpuModel: String
    public var hostName: String
    /// The machine's logical processors (`ProcessInfo.processorCount`); nil in records written
    /// before it was recorded.
    public var logicalCores: Int?

    public init(
        gitCommit: String, gitDirty: Bool?, gitDiffHash: String? = nil, codeHash: String? = nil, swiftVersion: String,
        buildConfiguration: String,
        blasConfiguration: String, blasThreads: Int, cpuModel: String, hostName: String, logicalCores: Int? = nil
    ) {
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.gitDiffHash = gitDiffHash
        self.codeHash = codeHash
        self.swiftVersion = swiftVersion
        self.buildConfiguration = buildConfiguration
        self.blasConfiguration = blasConfiguration
        self.blasThreads = blasThreads
        self.cpuModel = cpuModel
        self.hostName = hostName
        self.logicalCores = logicalCores
    }

    /// The provenance of this process now: the build's stamp, this host and CPU, BLAS as set now.
    public static func current() -> Provenance {
        let dirty: Bool? = switch GeneratedBuildInfo.gitDirty {
        case "true": true
        case "false": false
        default: nil
        }
        return Provenance(
            gitCommit: GeneratedBuildInfo.gitCommit.isEmpty ? "unknown" : GeneratedBuildInfo.gitCommit, gitDirty: dirty,
            gitDiffHash: GeneratedBuildInfo.gitDiffHash.isEmpty ? nil : GeneratedBuildInfo.gitDiffHash,
            codeHash: GeneratedBuildInfo.codeHash.isEmpty ? nil : GeneratedBuildInfo.codeHash, swiftVersion: compilerVersion,
            buildConfiguration: buildConfiguration, blasConfiguration: BLASRuntime.configuration,
            blasThreads: BLASRuntime.threadCount, cpuModel: cpuModel, hostName: hostName,
            logicalCores: ProcessInfo.processInfo.processorCount)
    }

    /// The machine the job ran on, as far as its speed depends on it.
    public var machine: MachineFingerprint {
        MachineFingerprint(cpuModel: cpuModel, logicalCores: logicalCores, blasConfiguration: blasConfiguration)
    }

    /// A short commit for keys and reports: the first 10 characters plus `+dirty`.
    public var shortCommit: String {
        String(gitCommit.prefix(10)) + (gitDirty == true ? "+dirty" : "")
    }

    /// The build a record was made by, for people: the commit, plus `+dirty.<diff hash>` for a
    /// dirty build.
    public var buildID: String {
        String(gitCommit.prefix(10)) + (gitDirty == true ? "+dirty" + (gitDiffHash.map { ".\($0)" } ?? "") : "")
    }

    /// What decides whether two records ran the same code: `code <code hash>`, or the
    /// ``buildID`` for records written before the code hash existed (see
    /// ``ResultDirectory/merge(allowMixedBuilds:)``).
    public var codeID: String { codeHash.map { "code \($0)" } ?? buildID }

    var attributes: [String: HDF5AttributeValue] {
        [
            "git_commit": .string(gitCommit),
            "git_dirty": .string(gitDirty.map { $0 ? "true" : "false" } ?? "unknown"),
            "git_diff_hash": .string(gitDiffHash ?? ""),
            "code_hash": .string(codeHash ?? ""),
            "swift_version": .string(swiftVersion),
            "build_configuration": .string(buildConfiguration),
            "blas_configuration": .string(blasConfiguration),
            "blas_threads": .int(Int64(blasThreads)),
            "cpu_model": .string(cpuModel),
            "host_name": .string(hostName),
        ].merging(logicalCores.map { ["logical_cores": .int(Int64($0))] } ?? [:]) { $1 }
    }

    init(attributes a: [String: HDF5AttributeValue]) {
        gitCommit = a["git_commit"]?.stringValue ?? "unknown"
        switch a["git_dirty"]?.stringValue {
        case "true": gitDirty = true
        case "false": gitDirty = false
        default: gitDirty = nil
        }
        gitDiffHash = a["git_diff_hash"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        codeHash = a["code_hash"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        swiftVersion = a["swift_version"]?.stringValue ?? "unknown"
        buildConfiguration = a["build_configuration"]?.stringValue ?? "unknown"
        blasConfiguration = a["blas_configuration"]?.stringValue ?? "unknown"
        blasThreads = Int(a["blas_threads"]?.doubleValue ?? 0)
        cpuModel = a["cpu_model"]?.stringValue ?? "unknown"
        hostName = a["host_name"]?.stringValue ?? "unknown"
        logicalCores = a["logical_cores"]?.doubleValue.flatMap { $0 >= 1 && $0 <= 1e6 ? Int($0) : nil }
    }

    // MARK: Sources

    static var compilerVersion: String {
        #if compiler(>=6.4)
        return "Swift >= 6.4"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.1)
        return "Swift 6.1"
        #else
        return "Swift 6.0"
        #endif
    }

    static var buildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    static let cpuModel: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }()

    static let hostName: String = ProcessInfo.processInfo.hostName
}

/// What a speed measurement depends on besides the code: the CPU model, how many logical
/// processors the machine has, and the BLAS build (OpenBLAS's configuration string names the
/// version and the kernel set it picked for this CPU). Speed is judged against a reference only
/// on a machine with the same fingerprint (as asv keys its results by machine); elsewhere it is
/// shown for information.
public struct MachineFingerprint: Codable, Sendable, Hashable, CustomStringConvertible {
    public var cpuModel: String
    /// nil when unknown (references and records written before it was recorded).
    public var logicalCores: Int?
    public var blasConfiguration: String

    enum CodingKeys: String, CodingKey {
        case cpuModel = "cpu_model", logicalCores = "logical_cores", blasConfiguration = "blas_configuration"
    }

    public init(cpuModel: String, logicalCores: Int?, blasConfiguration: String) {
        self.cpuModel = cpuModel
        self.logicalCores = logicalCores
        self.blasConfiguration = blasConfiguration
    }

    /// This machine now.
    public static func current() -> MachineFingerprint { Provenance.current().machine }

    /// Whether speed measured on the two may be compared: the same CPU model and BLAS
    /// configuration, and the same logical core count where both know it (an older reference
    /// without it is matched on CPU model and BLAS alone).
    public func matches(_ other: MachineFingerprint) -> Bool {
        guard cpuModel == other.cpuModel, blasConfiguration == other.blasConfiguration else { return false }
        guard let mine = logicalCores, let theirs = other.logicalCores else { return true }
        return mine == theirs
    }

    /// `Intel(R) Xeon(R) Processor, 16 logical cores, OpenBLAS 0.3.21 … Cooperlake MAX_THREADS=64`.
    public var description: String {
        [cpuModel, logicalCores.map { "\($0) logical cores" }, blasConfiguration].compactMap { $0 }.joined(separator: ", ")
    }
}

/// ISO 8601 UTC timestamps (`2025-01-31T12:00:00Z`) for provenance.
public enum Timestamp {
    public static func now() -> String { string(Date()) }
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
