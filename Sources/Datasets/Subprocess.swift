import Foundation

/// Runs external tools (pip, apt-get, dpkg-deb, unzip) for provisioning.
enum Subprocess {
    /// Whether `command` is on the `PATH`.
    static func exists(_ command: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(command)") }
    }

    /// Runs `arguments` (the first one looked up on the `PATH`) in `directory`, with standard
    /// output sent to `outputPath` when given.
    /// - Returns: the combined output (or just standard error when output goes to a file).
    /// - Throws: ``DatasetError/commandFailed(_:reason:)`` if it cannot start or exits non-zero.
    @discardableResult
    static func run(_ arguments: [String], in directory: String? = nil, outputPath: String? = nil) throws -> String {
        let commandLine = arguments.joined(separator: " ")
        guard let command = arguments.first, exists(command) else {
            throw DatasetError.commandFailed(commandLine, reason: "`\(arguments.first ?? "")` is not installed")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        var outputHandle: FileHandle?
        if let outputPath {
            guard FileManager.default.createFile(atPath: outputPath, contents: nil),
                  let handle = FileHandle(forWritingAtPath: outputPath)
            else { throw DatasetError.io(outputPath, reason: "cannot create") }
            outputHandle = handle
            process.standardOutput = handle
        } else {
            process.standardOutput = pipe
        }
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw DatasetError.commandFailed(commandLine, reason: "could not start (\(error.localizedDescription))")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? outputHandle?.close()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let lastLine = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            throw DatasetError.commandFailed(commandLine, reason: "exit status \(process.terminationStatus): \(lastLine)")
        }
        return output
    }
}
