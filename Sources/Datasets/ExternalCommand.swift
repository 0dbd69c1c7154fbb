import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs the external tools provisioning needs (pip, apt-get, dpkg-deb, unzip) through
/// swift-subprocess.
///
/// Standard input is empty, standard output is discarded or written to a file, and standard
/// error is read as it comes, keeping only its last ``errorTailBytes`` bytes, so that a failing
/// command's error can quote its last line whatever the command printed before.
enum ExternalCommand {
    /// How many trailing bytes of standard error a run keeps.
    static let errorTailBytes = 16 << 10

    /// Whether `name` is an executable on the `PATH`.
    static func exists(_ name: String) async -> Bool {
        (try? await Executable.name(name).resolveExecutablePath(in: .inherit)) != nil
    }

    /// Runs `arguments` (the first one looked up on the `PATH`) in `directory`, with standard
    /// output written to `outputPath` when given, discarded otherwise.
    /// - Throws: ``DatasetError/commandFailed(_:reason:)`` with the command line when the command
    ///   is missing, cannot start, or ends other than with exit status 0 (the reason then gives
    ///   the status and the last line of standard error); ``DatasetError/io(_:reason:)`` when
    ///   `outputPath` cannot be created.
    static func run(_ arguments: [String], in directory: String? = nil, outputPath: String? = nil) async throws {
        let commandLine = arguments.joined(separator: " ")
        guard let name = arguments.first else {
            throw DatasetError.commandFailed(commandLine, reason: "no command given")
        }
        let workingDirectory = directory.map { FilePath($0) }
        let outcome: (status: TerminationStatus, errorTail: [UInt8])
        do {
            if let outputPath {
                let file: FileDescriptor
                do {
                    file = try FileDescriptor.open(
                        FilePath(outputPath), .writeOnly, options: [.create, .truncate],
                        permissions: [.ownerReadWrite, .groupRead, .otherRead])
                } catch {
                    throw DatasetError.io(outputPath, reason: "cannot create (\(error))")
                }
                outcome = try await run(
                    name, Array(arguments.dropFirst()), in: workingDirectory,
                    output: .fileDescriptor(file, closeAfterSpawningProcess: true))
            } else {
                outcome = try await run(name, Array(arguments.dropFirst()), in: workingDirectory, output: .discarded)
            }
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw DatasetError.commandFailed(commandLine, reason: "`\(name)` is not installed")
        } catch let error as SubprocessError {
            throw DatasetError.commandFailed(commandLine, reason: "could not run (\(error))")
        }
        guard outcome.status.isSuccess else {
            let lastLine = String(decoding: outcome.errorTail, as: UTF8.self)
                .split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            let status: String
            switch outcome.status {
            case .exited(let code): status = "exit status \(code)"
            case .signaled(let signal): status = "killed by signal \(signal)"
            }
            throw DatasetError.commandFailed(commandLine, reason: lastLine.isEmpty ? status : "\(status): \(lastLine)")
        }
    }

    /// Runs `name` with `arguments`, reading standard error to its end while the process runs.
    private static func run<Output: OutputProtocol>(
        _ name: String, _ arguments: [String], in directory: FilePath?, output: Output
    ) async throws -> (status: TerminationStatus, errorTail: [UInt8]) {
        let result = try await Subprocess.run(
            .name(name), arguments: Arguments(arguments), workingDirectory: directory,
            input: .none, output: output, error: .sequence
        ) { execution in
            var tail: [UInt8] = []
            for try await buffer in execution.standardError {
                buffer.withUnsafeBytes { tail.append(contentsOf: $0) }
                if tail.count > 2 * errorTailBytes { tail.removeFirst(tail.count - errorTailBytes) }
            }
            return Array(tail.suffix(errorTailBytes))
        }
        return (result.terminationStatus, result.closureResult)
    }
}
