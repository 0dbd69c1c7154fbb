import Foundation
import Synchronization

/// A commit of the repository and what a reader needs to place it on a time line.
public struct Revision: Codable, Sendable, Equatable {
    /// The full commit hash.
    public var commit: String
    /// The committer date, ISO 8601 (`git show -s --format=%cI`).
    public var committed: String
    /// The first line of the commit message.
    public var subject: String

    public init(commit: String, committed: String, subject: String) {
        self.commit = commit
        self.committed = committed
        self.subject = subject
    }

    /// The first 10 characters of the commit, as build ids write it.
    public var short: String { String(commit.prefix(10)) }
}

/// Release builds of `tnbench` at other commits of a repository, each in its own git worktree
/// (`<directory>/<commit>`), built once and kept: `tnbench ab` runs them beside the current build.
public struct RevisionBuilds: Sendable {
    /// The repository's top level.
    public var repository: String
    /// Where the worktrees live (default `<repository>/.build/revisions`, ignored by git).
    public var directory: String

    /// - Throws: ``HarnessError`` `.invalidArgument` when `path` is not inside a git repository.
    public init(repository path: String = FileManager.default.currentDirectoryPath, directory: String? = nil) throws {
        let result = Self.git(["rev-parse", "--show-toplevel"], in: path)
        guard result.status == 0, let top = result.output.split(separator: "\n").first else {
            throw HarnessError(.invalidArgument, "'\(path)' is not inside a git repository: run `tnbench ab` in a checkout of TNBench")
        }
        repository = String(top)
        self.directory = directory ?? repository + "/.build/revisions"
    }

    /// The commit a revision name (a branch, tag, `HEAD~3`, a hash) stands for, with its date and subject.
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` naming the revision when git does not know it.
    public func resolve(_ name: String) throws -> Revision {
        let result = Self.git(["show", "-s", "--format=%H%n%cI%n%s", name + "^{commit}", "--"], in: repository)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard result.status == 0, lines.count >= 3, lines[0].count == 40 else {
            throw HarnessError(.invalidArgument, "'\(name)' is not a commit of \(repository): give a branch, tag or commit (git fetch it first if it is remote)")
        }
        return Revision(commit: lines[0], committed: lines[1], subject: lines[2])
    }

    /// The release `tnbench` of `revision`, building it when it is not built yet: a detached
    /// worktree at `<directory>/<commit>`, then `swift build -c release --product tnbench` there
    /// (its output in `<directory>/<commit>.log`). `progress` hears what is happening.
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` when the worktree cannot be made or the build
    ///   fails, with the log's path and last line.
    public func binary(for revision: Revision, progress: (String) -> Void = { _ in }) throws -> String {
        let tree = "\(directory)/\(revision.commit)"
        let binary = "\(tree)/.build/release/tnbench"
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: tree + "/Package.swift") {
            progress("checking out \(revision.short) into \(tree)")
            let added = Self.git(["worktree", "add", "--detach", "--force", tree, revision.commit], in: repository)
            guard added.status == 0 else {
                throw HarnessError(.invalidArgument, "cannot make a worktree of \(revision.short) at \(tree): \(added.error.split(separator: "\n").last ?? "")")
            }
        }
        let log = "\(directory)/\(revision.commit).log"
        progress("building \(revision.short) (release; log: \(log))")
        let status = ExternalProcess.run("/usr/bin/env", ["swift", "build", "-c", "release", "--product", "tnbench"], in: tree, log: log)
        guard status == 0, FileManager.default.isExecutableFile(atPath: binary) else {
            let last = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            throw HarnessError(.invalidArgument, "building \(revision.short) failed (exit \(status)); see \(log): \(last)")
        }
        return binary
    }

    static func git(_ arguments: [String], in directory: String) -> (status: Int32, output: String, error: String) {
        ExternalProcess.capture("/usr/bin/env", ["git"] + arguments, in: directory)
    }
}

/// Runs other programs: to a log file, or capturing their output.
public enum ExternalProcess {
    /// Runs `executable` with its output and errors appended to `log` (discarded when nil);
    /// returns its exit status, 127 when it cannot start.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil, log: String? = nil,
        environment: [String: String] = [:]
    ) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var handle: FileHandle?
        if let log {
            if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
            handle = FileHandle(forWritingAtPath: log)
            _ = try? handle?.seekToEnd()
        }
        process.standardOutput = handle ?? FileHandle.nullDevice
        process.standardError = handle ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        defer { try? handle?.close() }
        Interruption.installHandlers()
        do { try process.run() } catch { return 127 }
        let interrupted = terminateOnInterruption(process)
        process.waitUntilExit()
        return interrupted() ? ExitStatus.interrupted.rawValue : process.terminationStatus
    }

    /// Watches for Ctrl-C (SIGINT, SIGTERM, SIGHUP; see ``Interruption``) while `process` runs
    /// and passes it on: SIGINT to the child and its process group (a `swift build` stops its
    /// compilers), SIGKILL 5 s later if it is still there. Foundation starts a child in a
    /// process group of its own, so without this an interrupted `ab` would leave its release
    /// build running. Returns whether the child was interrupted (valid once it has exited).
    static func terminateOnInterruption(_ process: Process) -> @Sendable () -> Bool {
        let pid = process.processIdentifier
        let interrupted = Mutex(false)
        let thread = Thread {
            var deadline: Date?
            while process.isRunning {
                if Interruption.isRequested {
                    if deadline == nil {
                        interrupted.withLock { $0 = true }
                        kill(pid, SIGINT)
                        kill(-pid, SIGINT)
                        deadline = Date().addingTimeInterval(5)
                    } else if let deadline, Date() > deadline || Interruption.count > 1 {
                        kill(-pid, SIGKILL)
                        kill(pid, SIGKILL)
                    }
                }
                usleep(100_000)
            }
        }
        thread.start()
        return { interrupted.withLock { $0 } }
    }

    /// Runs `executable` and returns its status, output and errors (127 and empty when it cannot start).
    public static func capture(_ executable: String, _ arguments: [String], in directory: String? = nil) -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (127, "", "") }
        _ = terminateOnInterruption(process)
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
