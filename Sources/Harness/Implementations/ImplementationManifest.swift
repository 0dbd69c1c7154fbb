import Crypto
import Foundation

/// The manifest of an external implementation, `Suites/<Suite>/implementations/<name>/implementation.json`
/// (contract version 1, docs/IMPLEMENTATIONS.md): who it is, what it exercises, how to prepare
/// and start it, and which tiers and configurations it supports.
public struct ImplementationManifest: Sendable, Equatable {
    /// The contract versions this build speaks.
    public static let contractVersions: ClosedRange<Int> = 1...1
    /// The configuration key that names a job's implementation (absent: `native`).
    public static let configurationKey = "implementation"
    /// The name of TNBench's own implementation of every suite.
    public static let native = "native"

    public var contract: Int
    public var name: String
    public var description: String
    /// `python` (an environment is made from ``requirements``) or anything else (the command runs as it is).
    public var language: String
    /// The library the implementation exercises: `torch`, `tn4ml`, `numpy`.
    public var library: String
    /// Pinned pip requirements (`name==version`).
    public var requirements: [String]
    public var command: [String]
    /// The tiers it runs at.
    public var tiers: [Tier]
    /// Partial configurations it supports (a job's configuration must contain one); nil: all.
    public var configurations: [Configuration]?
    public var gpu: Bool
    /// Other folders whose code the program imports (relative to its own: `../pytorch`), part of
    /// its ``codeHash()``.
    public var shares: [String]
    /// The implementation's folder (absolute).
    public var directory: String

    /// Whether the implementation runs `configuration` (without the implementation key) at `tier`.
    /// With `naming`: only where a supported configuration names each of those keys (the
    /// optional axes a job sets: an implementation that does not know an authors' choice does
    /// not run it).
    public func supports(_ configuration: Configuration, at tier: Tier, naming keys: Set<String> = []) -> Bool {
        guard tiers.contains(tier) else { return false }
        guard let configurations else { return keys.isEmpty }
        return configurations.contains { configuration.matches($0) && keys.isSubset(of: $0.keys) }
    }

    /// A short hash of the language and requirements: the identity of the prepared environment.
    public var requirementsHash: String {
        let text = ([language] + requirements.sorted()).joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined().prefix(16).description
    }

    /// 12 hex digits of the SHA-256 of the files of its folder and of the folders it
    /// ``shares`` (paths and contents, sorted; Python bytecode left out): which code a job ran,
    /// even when it was edited after the build.
    public func codeHash() -> String {
        var hasher = SHA256()
        for (label, folder) in [(".", directory)] + shares.map({ ($0, "\(directory)/\($0)") }) {
            var files: [String] = []
            let enumerator = FileManager.default.enumerator(atPath: folder)
            while let file = enumerator?.nextObject() as? String {
                let name = URL(fileURLWithPath: file).lastPathComponent
                let type = enumerator?.fileAttributes?[.type] as? FileAttributeType
                if type == .typeDirectory {
                    // Bytecode, hidden folders and virtual environments are not the code.
                    if name == "__pycache__" || name.hasPrefix(".")
                        || FileManager.default.fileExists(atPath: "\(folder)/\(file)/pyvenv.cfg") {
                        enumerator?.skipDescendants()
                    }
                    continue
                }
                if type == .typeRegular && !name.hasSuffix(".pyc") && !name.hasPrefix(".") { files.append(file) }
            }
            for file in files.sorted() {
                guard let data = FileManager.default.contents(atPath: "\(folder)/\(file)") else { continue }
                hasher.update(data: Data("\(label)/\(file)\n\(data.count)\n".utf8))
                hasher.update(data: data)
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(12).description
    }

    /// Reads and checks `directory/implementation.json`.
    /// - Throws: ``HarnessError`` `.invalidImplementation` naming the file and what is wrong.
    public init(directory: String) throws {
        let path = directory + "/implementation.json"
        func fail(_ reason: String) -> HarnessError { HarnessError(.invalidImplementation, "\(path): \(reason)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        guard data.count <= 1 << 20,
              let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any]
        else { throw fail("is not a JSON object") }
        let known: Set = ["contract", "name", "description", "language", "library", "requirements", "command", "tiers",
                          "configurations", "gpu", "shares"]
        if let unknown = json.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown field '\(unknown)' (fields: \(known.sorted().joined(separator: ", ")))")
        }
        guard let number = JSONNumber(json["contract"]), number.isInteger, let contract = Int(exactly: number.value) else { throw fail("'contract' must be an integer (1)") }
        guard Self.contractVersions.contains(contract) else {
            throw fail("contract version \(contract) is not spoken by this build (it speaks \(Self.contractVersions.lowerBound)…\(Self.contractVersions.upperBound))")
        }
        func string(_ key: String) throws -> String {
            guard let value = json[key] as? String, !value.isEmpty else { throw fail("'\(key)' must be a non-empty string") }
            return value
        }
        func strings(_ key: String) throws -> [String]? {
            guard let value = json[key] else { return nil }
            guard let list = value as? [String] else { throw fail("'\(key)' must be a list of strings") }
            return list
        }
        let name = try string("name")
        let folder = URL(fileURLWithPath: directory).lastPathComponent
        guard Self.isValidName(name) else {
            throw fail("name '\(name)' must be lower-case letters, digits, '-' and '_', and not 'native' or 'all'")
        }
        guard name == folder else { throw fail("name '\(name)' differs from its folder's, '\(folder)'") }
        let command = try strings("command") ?? []
        guard !command.isEmpty, command.allSatisfy({ !$0.isEmpty }) else { throw fail("'command' must be a non-empty list of non-empty strings") }
        let requirements = try strings("requirements") ?? []
        for requirement in requirements where !Self.isPinned(requirement) {
            throw fail("requirement '\(requirement)' is not pinned as name==version")
        }
        var tiers = Tier.allCases
        if let names = try strings("tiers") {
            tiers = try names.map { name in
                guard let tier = Tier(rawValue: name) else {
                    throw fail("unknown tier '\(name)' (tiers: \(Tier.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return tier
            }
        }
        var configurations: [Configuration]?
        if let value = json["configurations"] {
            guard let list = value as? [[String: Any]] else { throw fail("'configurations' must be a list of objects") }
            configurations = try list.map { entry in
                try Configuration(entry.mapValues { value -> ConfigurationValue in
                    if let text = value as? String { return .string(text) }
                    guard let number = JSONNumber(value) else { throw fail("a configuration value must be a number or a string") }
                    if number.isInteger, let integer = Int(exactly: number.value) { return .int(integer) }
                    return .double(number.value)
                })
            }
        }
        let gpu = json["gpu"] as? Bool ?? false
        if json["gpu"] != nil && !(json["gpu"] is Bool) { throw fail("'gpu' must be true or false") }
        self.contract = contract
        self.name = name
        self.description = try string("description")
        self.language = try string("language")
        self.library = try string("library")
        self.requirements = requirements
        self.command = command
        self.tiers = tiers
        self.configurations = configurations
        self.gpu = gpu
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.shares = try strings("shares") ?? []
        for shared in shares {
            var isDirectory: ObjCBool = false
            guard !shared.hasPrefix("/"), FileManager.default.fileExists(atPath: "\(self.directory)/\(shared)", isDirectory: &isDirectory),
                  isDirectory.boolValue
            else { throw fail("'shares' entry '\(shared)' is not a folder relative to the implementation's") }
        }
        guard library.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }),
              library.count <= 64
        else { throw fail("library '\(library)' must be letters, digits, '-', '_' and '.'") }
        if language == "python", requirements.isEmpty {
            throw fail("a python implementation lists its pinned 'requirements' (at least its library)")
        }
    }

    /// Lower-case letters, digits, `-` and `_`, at most 64 characters; not `native` or `all`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name != native && name != "all"
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// The variable that changes an implementation's pins for one process (`tnbench ab
    /// --implementation … --base-requirements …` sets it per side): `name==version` items,
    /// separated by spaces. It applies only to the implementation named by the same variable
    /// with `_FOR` appended, so a value left in a shell changes nothing else.
    public static let requirementsVariable = "TNBENCH_REQUIREMENTS"

    /// The manifest with `overrides` (`name==version`) replacing its pins of the same packages
    /// (compared case-insensitively, `-` and `_` alike), and added where it has none.
    /// - Throws: ``HarnessError`` `.invalidImplementation` for an override that is not pinned.
    public func overriding(_ overrides: [String]) throws -> ImplementationManifest {
        func package(_ requirement: String) -> String {
            String(requirement.split(separator: "=").first ?? "").lowercased().replacingOccurrences(of: "_", with: "-")
                .split(separator: "[").first.map(String.init) ?? ""
        }
        var copy = self
        for requirement in overrides {
            guard Self.isPinned(requirement) else {
                throw HarnessError(.invalidImplementation, "\(name): requirement override '\(requirement)' is not pinned as name==version")
            }
            copy.requirements.removeAll { package($0) == package(requirement) }
            copy.requirements.append(requirement)
        }
        return copy
    }

    /// `name==version` (extras allowed), nothing looser.
    public static func isPinned(_ requirement: String) -> Bool {
        let parts = requirement.components(separatedBy: "==")
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !parts[0].contains(where: { " <>=!~;@".contains($0) }) && !parts[1].contains(where: { " <>=!~;@,".contains($0) })
    }
}

/// Where external implementations are found: `<root>/Suites/<Suite>/implementations/<name>/`.
///
/// The root is `$TNBENCH_SOURCE_ROOT` when set, else the source tree this build was made from.
public struct ImplementationCatalogue: Sendable {
    public var root: String

    public init(root: String) { self.root = root }

    /// The catalogue of the environment's or the build's source tree.
    public static var `default`: ImplementationCatalogue {
        if let root = ProcessInfo.processInfo.environment["TNBENCH_SOURCE_ROOT"], !root.isEmpty {
            return ImplementationCatalogue(root: root)
        }
        // This file is Sources/Harness/Implementations/ImplementationManifest.swift of the tree.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return ImplementationCatalogue(root: url.path)
    }

    /// The folder of `suite`'s external implementations.
    public func folder(of suite: String) -> String { "\(root)/Suites/\(suite)/implementations" }

    /// The names of `suite`'s external implementations (folders with a manifest, but for the
    /// reserved `native` and `all`), sorted.
    public func names(of suite: String) -> [String] {
        let folder = folder(of: suite)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return entries.filter { $0 != ImplementationManifest.native && $0 != "all" && FileManager.default.fileExists(atPath: "\(folder)/\($0)/implementation.json") }.sorted()
    }

    /// The manifest of `suite`'s implementation `name`.
    /// - Throws: ``HarnessError`` `.unknownImplementation` naming the ones there are, or what
    ///   reading the manifest throws.
    public func manifest(suite: String, name: String) throws -> ImplementationManifest {
        guard names(of: suite).contains(name) else {
            throw HarnessError(
                .unknownImplementation,
                "\(suite) has no implementation '\(name)' (it has: \(([ImplementationManifest.native] + names(of: suite)).joined(separator: ", ")); looked in \(folder(of: suite)))")
        }
        return try ImplementationManifest(directory: "\(folder(of: suite))/\(name)")
    }
}
