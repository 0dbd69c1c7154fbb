import ArgumentParser
import Datasets
import Foundation
import Harness

/// `tnbench data`: fetch, verify, describe and import the data sets (see `DATASETS.md`).
///
/// Errors are ``DatasetError``s, thrown up to the tool's `main`, which prints them as one line
/// and exits with status 2 (input error), or 5 when a file could not be read or written
/// (``HarnessError/init(dataset:)``); `verify` exits 2 when any file fails.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch, verify and describe the data sets.",
        discussion: """
            The data directory is --data-dir, else $\(DataDirectory.environmentVariable), else \
            ~/.cache/tnbench/data. Sources: PyPI (MNIST) and Debian's archive (Fashion-MNIST, \
            breast cancer); every file is checked against a fixed SHA-256.

            \(exitStatusHelp([.ok, .io], meanings: [
                .usage: "usage or input error: an unknown set, a missing, corrupt or unverified file (`verify`: any file failed), a failed download",
                .io: "a file could not be read or written (permissions, disk full)",
            ]))
            """,
        subcommands: [Fetch.self, Verify.self, Info.self, ImportIDX.self])

    /// The `--data-dir` option shared by every subcommand.
    struct DirectoryOptions: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The data directory (default: $TNBENCH_DATA_DIR or ~/.cache/tnbench/data).")
        var dataDirectory: String?

        var resolved: String { DataDirectory.resolve(flag: dataDirectory) }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, verify and install data sets (idempotent).")
        @OptionGroup var options: DirectoryOptions
        @Flag(help: "Fetch again even if the installed files verify.") var force = false
        @Argument(help: "Sets to fetch: \(Provisioner.allSets.joined(separator: ", ")) (default: all).")
        var sets: [String] = []

        func run() throws {
            let directory = options.resolved
            let sets = sets.isEmpty ? Provisioner.allSets : sets
            let force = force
            let outcomes = try waitForAsync {
                try await Provisioner().fetch(sets, into: directory, force: force) { print($0) }
            }
            let total = outcomes.map(\.seconds).reduce(0, +)
            print("fetched \(outcomes.count) set(s) into \(directory) in \(String(format: "%.1f", total)) s")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every installed file against the known SHA-256.")
        @OptionGroup var options: DirectoryOptions
        @Argument(help: "Sets to verify (default: all).") var sets: [String] = []

        func run() throws {
            let directory = options.resolved
            var failures = 0
            for set in sets.isEmpty ? Provisioner.allSets : sets {
                guard Provisioner.allSets.contains(set) else { throw DatasetError.unknownDataSet(set) }
                for check in Provisioner().verify(set, in: directory) {
                    if let error = check.error {
                        failures += 1
                        print("FAIL \(error)")
                    } else {
                        print("ok   \(check.path)")
                    }
                }
            }
            if failures > 0 {
                printError("\(failures) file(s) failed verification; run `tnbench data fetch --force` to replace them")
                throw exitStatus(.usage)
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what is installed where: counts, files, checksums.")
        @OptionGroup var options: DirectoryOptions
        @Flag(help: "Print JSON (a stable contract: {dataDirectory, sets: [{set, installed, manifest}]}).")
        var json = false

        struct Report: Codable {
            struct SetReport: Codable {
                var set: String
                var installed: Bool
                var manifest: DataSetManifest?
            }
            var dataDirectory: String
            var sets: [SetReport]
        }

        func run() throws {
            let directory = options.resolved
            let report = Report(dataDirectory: directory, sets: try Provisioner.allSets.map { set in
                let manifest = try DataSetManifest.load(set: set, in: directory)
                return .init(set: set, installed: manifest != nil, manifest: manifest)
            })
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print("data directory: \(directory)")
            for entry in report.sets {
                guard let manifest = entry.manifest else {
                    print("\(entry.set): not installed (run `tnbench data fetch \(entry.set)`)")
                    continue
                }
                let counts = manifest.counts.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("\(entry.set): \(counts); from \(manifest.source); installed \(manifest.installed)")
                for file in manifest.files {
                    print("  \(file.name)  \(file.bytes) bytes  sha256 \(file.sha256)")
                }
            }
        }
    }

    struct ImportIDX: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-idx",
            abstract: "Install your own canonical MNIST IDX files (plain or .gz), after verifying them.")
        @OptionGroup var options: DirectoryOptions
        @Argument(help: "The directory holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-….")
        var directory: String

        func run() throws {
            let destination = options.resolved
            try Provisioner().importIDX(from: DataDirectory.resolve(flag: directory), into: destination) { print($0) }
        }
    }
}

/// Runs `operation` in a detached task and blocks the calling thread until it has finished:
/// the bridge from the tool's synchronous `main` to ``Provisioner/fetch(_:into:force:progress:)``,
/// which is async because swift-subprocess is.
///
/// Safe where it is used: it is called from the main thread, which is not one of the Swift
/// concurrency pool's threads that the task runs on, and `operation` is isolated to no actor,
/// so the task never needs the thread this blocks.
private func waitForAsync<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = AsyncOutcome<T>()
    Task.detached {
        do { outcome.result = .success(try await operation()) } catch { outcome.result = .failure(error) }
        outcome.done.signal()
    }
    outcome.done.wait()
    return try outcome.result!.get()
}

/// The result ``waitForAsync(_:)`` hands from its task to the waiting thread.
private final class AsyncOutcome<T: Sendable>: @unchecked Sendable {
    /// Written by the task before it signals `done`, read only after `done` was waited for.
    var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)
}
