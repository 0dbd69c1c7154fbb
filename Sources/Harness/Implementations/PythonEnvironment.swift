import Crypto
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The virtual environments of Python implementations: one per distinct requirement list, made
/// once under the cache (`$TNBENCH_CACHE_DIR/environments/`, default `~/.cache/tnbench/environments/`)
/// and shared by every job and run that needs it.
enum PythonEnvironment {
    /// The cache folder of environments.
    static var root: String {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["TNBENCH_CACHE_DIR"], !cache.isEmpty { return cache + "/environments" }
        return (environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache/tnbench/environments"
    }

    /// The interpreter of `manifest`'s environment, made first when missing: `python3 -m venv`,
    /// then `pip install` of the pinned requirements, under an exclusive lock (concurrent jobs
    /// wait for one install), marked ready only when complete — an interrupted or failed
    /// install leaves nothing that a later job would take for ready.
    ///
    /// - Throws: ``HarnessError`` `.invalidImplementation` with the installer's last line and
    ///   its log when the environment cannot be made.
    static func interpreter(
        for manifest: ImplementationManifest, isCancelled: @escaping () -> Bool = { false }, progress: (String) -> Void
    ) throws -> String {
        // Keyed by the requirements and the Python that makes it: another Python (an upgrade, a
        // node with another one) gets its own environment instead of a broken one.
        let folder = "\(root)/\(manifest.library)-\(manifest.requirementsHash)-\(try pythonKey())"
        let python = folder + "/bin/python"
        let marker = folder + "/.tnbench-ready"
        if FileManager.default.fileExists(atPath: marker) { return python }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lock = open(folder + ".lock", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw HarnessError(.io, "cannot open \(folder).lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw HarnessError(.io, "cannot lock \(folder).lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(lock, LOCK_UN) }
        if FileManager.default.fileExists(atPath: marker) { return python }
        try? FileManager.default.removeItem(atPath: folder)
        let log = folder + ".log"
        func step(_ what: String, _ command: [String]) throws {
            progress("\(manifest.name): \(what)")
            let outcome = try ChildProcess.run(
                command, directory: root, environment: ["PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"],
                standardError: log, timeLimit: 3600, isCancelled: isCancelled, onLine: { _ in })
            if outcome.ending == .cancelled {
                try? FileManager.default.removeItem(atPath: folder)
                throw CancellationError()
            }
            guard outcome.ending == .exited(0) else {
                try? FileManager.default.removeItem(atPath: folder)
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                let last = text.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map(String.init) ?? "(nothing on standard error)"
                throw HarnessError(
                    .invalidImplementation,
                    "\(manifest.name): \(what) failed (\(outcome.ending)): \(last.trimmingCharacters(in: .whitespaces)) (log: \(log))")
            }
        }
        try step("creating a Python environment", ["python3", "-m", "venv", folder])
        try step("installing \(manifest.requirements.joined(separator: " "))",
                 [python, "-m", "pip", "install", "--quiet"] + manifest.requirements)
        let note = manifest.requirements.joined(separator: "\n") + "\n"
        try note.write(toFile: marker, atomically: true, encoding: .utf8)
        return python
    }

    private static let pythonIdentity = Mutex<String?>(nil)

    /// 8 hex digits of the SHA-256 of `python3`'s version and machine, found once per process.
    /// - Throws: ``HarnessError`` `.invalidImplementation` when `python3` does not run.
    static func pythonKey() throws -> String {
        if let known = pythonIdentity.withLock({ $0 }) { return known }
        let log = NSTemporaryDirectory() + "tnbench-python-\(ProcessInfo.processInfo.processIdentifier).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let outcome = try ChildProcess.run(
            ["python3", "-c", "import sys, platform; print(sys.version, platform.machine())"], directory: "/",
            environment: ["PYTHONPATH": "", "PYTHONHOME": ""], standardError: log, timeLimit: 60, isCancelled: { false }, onLine: { _ in })
        guard outcome.ending == .exited(0), let version = outcome.lines.first else {
            throw HarnessError(.invalidImplementation, "python3 does not run (\(outcome.ending)): a Python implementation needs python3 with venv on PATH")
        }
        let key = SHA256.hash(data: Data(version.utf8)).map { String(format: "%02x", $0) }.joined().prefix(8).description
        pythonIdentity.withLock { $0 = key }
        return key
    }
}
