import Foundation
import TensorCore

/// Where and how a result was produced: stored as attributes on every job group and on the root
/// of a merged results file.
public struct Provenance: Sendable, Codable, Equatable {
    /// The `git rev-parse HEAD` of the working directory, or `"unknown"` outside a checkout.
    public var gitCommit: String
    /// Whether tracked files differed from the commit (`git status --porcelain -uno`); nil when unknown.
    public var gitDirty: Bool?
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

    public init(
        gitCommit: String, gitDirty: Bool?, swiftVersion: String, buildConfiguration: String,
        blasConfiguration: String, blasThreads: Int, cpuModel: String, hostName: String
    ) {
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.swiftVersion = swiftVersion
        self.buildConfiguration = buildConfiguration
        self.blasConfiguration = blasConfiguration
        self.blasThreads = blasThreads
        self.cpuModel = cpuModel
        self.hostName = hostName
    }

    /// The provenance of this process now (git is asked once per process and cached).
    public static func current() -> Provenance {
        let git = gitState
        return Provenance(
            gitCommit: git.commit, gitDirty: git.dirty, swiftVersion: compilerVersion,
            buildConfiguration: buildConfiguration, blasConfiguration: BLASRuntime.configuration,
            blasThreads: BLASRuntime.threadCount, cpuModel: cpuModel, hostName: hostName)
    }

    /// A short commit for keys and reports: the first 10 characters plus `+dirty`.
    public var shortCommit: String {
        String(gitCommit.prefix(10)) + (gitDirty == true ? "+dirty" : "")
    }

    var attributes: [String: HDF5AttributeValue] {
        [
            "git_commit": .string(gitCommit),
            "git_dirty": .string(gitDirty.map { $0 ? "true" : "false" } ?? "unknown"),
            "swift_version": .string(swiftVersion),
            "build_configuration": .string(buildConfiguration),
            "blas_configuration": .string(blasConfiguration),
            "blas_threads": .int(Int64(blasThreads)),
            "cpu_model": .string(cpuModel),
            "host_name": .string(hostName),
        ]
    }

    init(attributes a: [String: HDF5AttributeValue]) {
        gitCommit = a["git_commit"]?.stringValue ?? "unknown"
        switch a["git_dirty"]?.stringValue {
        case "true": gitDirty = true
        case "false": gitDirty = false
        default: gitDirty = nil
        }
        swiftVersion = a["swift_version"]?.stringValue ?? "unknown"
        buildConfiguration = a["build_configuration"]?.stringValue ?? "unknown"
        blasConfiguration = a["blas_configuration"]?.stringValue ?? "unknown"
        blasThreads = Int(a["blas_threads"]?.doubleValue ?? 0)
        cpuModel = a["cpu_model"]?.stringValue ?? "unknown"
        hostName = a["host_name"]?.stringValue ?? "unknown"
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

    static let gitState: (commit: String, dirty: Bool?) = {
        guard let commit = runGit(["rev-parse", "HEAD"]), !commit.isEmpty else { return ("unknown", nil) }
        let status = runGit(["status", "--porcelain", "--untracked-files=no"])
        return (commit, status.map { !$0.isEmpty })
    }()

    /// Runs git in the current directory; nil when git is missing or fails.
    private static func runGit(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
