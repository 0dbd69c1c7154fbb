import Foundation
import Synchronization
import Testing
@testable import Harness

#if canImport(Glibc)
import Glibc
#endif

/// What two commands, a careless `--out`, a killed parent or an odd path can do to a run
/// directory (issue 27, items 6, 7, 8 and 19).
@Suite struct RunDirectoryHostileTests {
    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as HarnessError { return error.message } catch { return "not a HarnessError: \(error)" }
        return nil
    }

    /// Item 6: writers adding jobs into one directory at the same time lose none, and every
    /// index a writer was given names the job it planned.
    @Test func concurrentPlannersLoseNoJob() throws {
        let directory = ResultDirectory(temporaryDirectory() + "/run")
        let writers = 4
        let results = Mutex<[[(Job, Int)]]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                // Each writer plans an m of its own (substituted), 25 seeds.
                let jobs = try JobPlanner.plan(
                    suites: [SyntheticSuite()], tier: .smoke, seeds: 25,
                    filter: ConfigurationFilter(["m": [.int(100 + writer)]]))
                for _ in 0..<3 {  // again and again: nothing new after the first
                    let (_, indices) = try directory.extendPlan(with: jobs, tier: .smoke, request: PlanRequest(suites: ["Synthetic"]))
                    results.withLock { $0.append(Array(zip(jobs.map(\.job), indices))) }
                }
            } catch { failures.withLock { $0.append("\(error)") } }
        }
        #expect(failures.withLock { $0 } == [])
        let plan = try directory.readPlan()
        #expect(plan.jobs.count == writers * 25)
        #expect(plan.requests.count == writers * 3)
        #expect(plan.problem() == nil)
        for (job, index) in results.withLock({ $0 }).joined() {
            #expect(try plan.entry(at: index).job == job)
        }
    }

    /// Item 6: a second `run` into a directory whose run lock is held fails at once with one
    /// line naming the holder; the lock is free again once released.
    @Test func aHeldRunLockNamesItsHolder() throws {
        let path = temporaryDirectory()
        let lock = try RunDirectoryLock.acquire(.run, in: path)
        let refused = message { _ = try RunDirectoryLock.acquire(.run, in: path) }
        #expect(refused?.hasPrefix("'\(path)' is locked by another tnbench running jobs into it (pid \(getpid()), since ") == true)
        #expect(refused?.hasSuffix("; wait for it to end or choose another --out") == true)
        let planLock = try RunDirectoryLock.acquire(.plan, in: path)  // the plan lock is another lock
        planLock.release()
        lock.release()
        try RunDirectoryLock.acquire(.run, in: path).release()
    }

    /// Item 7: an empty, blank or root `--out` is one line and writes nothing.
    @Test func emptyOrRootOutputIsRefused() throws {
        func rootState() -> [String] {
            ["/plan.json", "/run.json"].map { path in
                "\(path) \((try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]).map { "\($0!)" } ?? "absent")"
            }
        }
        let before = rootState()
        for path in ["", "   ", "\t"] {
            #expect(message { try OutputPath.check(path) }?.hasPrefix("--out is empty") == true)
            #expect(message { try ResultDirectory(path).prepare(tier: .smoke) }?.hasPrefix("--out is empty") == true)
        }
        for path in ["/", "//", "/tmp/..", "/./"] {
            #expect(message { try ResultDirectory(path).prepare(tier: .smoke) } == "--out '\(path)' is the root directory: name a run directory of its own, e.g. --out results/smoke")
        }
        let link = temporaryDirectory() + "-root-link"
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/")
        #expect(message { try OutputPath.check(link) }?.contains("is the root directory") == true)
        #expect(rootState() == before)  // nothing written into /
    }

    /// Item 19: `#SBATCH` paths with a space or a quote are quoted as sbatch reads them (double
    /// quotes, backslash escapes: the shell's rule for these characters, used here as the oracle).
    @Test func sbatchDirectivesQuotePaths() throws {
        let root = temporaryDirectory() + "/tn bench \"x\" it's"
        let directory = ResultDirectory(root)
        try directory.extendPlan(
            with: try JobPlanner.plan(suites: [SyntheticSuite()], tier: .smoke, seeds: 1), tier: .smoke,
            request: PlanRequest(suites: ["Synthetic"]))
        let options = SlurmOptions(executable: "/opt/tn bench/tnbench", dataDirectory: "/data/tn bench", baselines: "/b")
        let scripts = SlurmScript.arrays(directory: directory, plan: try directory.readPlan(), indices: [0], options: options, stamp: "s")
            .map(\.script) + [SlurmScript.reportScript(directory: directory, options: options, stamp: "s")]
        var checked = 0
        for script in scripts {
            for line in script.split(separator: "\n") where line.hasPrefix("#SBATCH --output=") || line.hasPrefix("#SBATCH --error=") || line.hasPrefix("#SBATCH --job-name=") {
                let directive = String(line.dropFirst("#SBATCH ".count))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "set -- \(directive); printf '%s|%s' \"$#\" \"$1\""]
                let pipe = Pipe()
                process.standardOutput = pipe
                try process.run()
                let words = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                let unquoted = directive.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "=\"", with: "=")
                #expect(words == "1|" + String(unquoted.dropLast()), "\(directive)")
                #expect(words.contains(root) || directive.hasPrefix("--job-name"), "\(directive)")
                checked += 1
            }
        }
        #expect(checked == 6)
        // The report script's shell lines quote the path too.
        #expect(scripts.last?.contains("see\" \(SlurmScript.quote(root + "/compare.txt"))") == true)
    }

    /// The built `tnbench` next to this test bundle (SwiftPM puts products and tests in one
    /// directory), when there is one.
    static var tool: String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory.appendingPathComponent("tnbench").path, directory.deletingLastPathComponent().appendingPathComponent("tnbench").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"  // a zombie has exited; only its reaper is late
    }

    static func workers(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return zip(arguments, arguments.dropFirst()).contains { $0 == "--parent-pid" && $1 == String(parent) }
        }
    }

    /// Item 8: `run --jobs 2` killed with SIGKILL takes its workers with it within seconds.
    // Needs the built tool next to the tests, /proc (Linux) and 2 processors for `--jobs 2`.
    @Test(.enabled(if: tool != nil && FileManager.default.fileExists(atPath: "/proc/self/cmdline")
                   && ProcessInfo.processInfo.activeProcessorCount >= 2,
                   "needs the built tnbench beside the tests, Linux /proc and 2 processors"))
    func workersDieWithAKilledParent() throws {
        let out = temporaryDirectory() + "/run"
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: Self.tool!)
        // Two jobs of about an hour each (a million sweeps): they can only end by being killed.
        parent.arguments = [
            "run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--config", "dataset=line", "--config", "strategy=pal",
            "--seeds", "2", "--set", "line_sweeps=1000000", "--jobs", "2", "--out", out, "--data-dir", "/nonexistent",
        ]
        parent.standardOutput = FileHandle.nullDevice
        parent.standardError = FileHandle.nullDevice
        try parent.run()
        var workers: [pid_t] = []
        let start = Date()
        while workers.count < 2 && Date().timeIntervalSince(start) < 120 && parent.isRunning {
            usleep(100_000)
            workers = Self.workers(of: parent.processIdentifier)
        }
        try #require(workers.count == 2, "the run started no two workers (parent running: \(parent.isRunning))")
        #expect(workers.allSatisfy(Self.isAlive))
        kill(parent.processIdentifier, SIGKILL)
        parent.waitUntilExit()
        let killed = Date()
        while workers.contains(where: Self.isAlive) && Date().timeIntervalSince(killed) < 10 { usleep(50_000) }
        let survivors = workers.filter(Self.isAlive)
        for pid in survivors { kill(pid, SIGKILL) }  // leave nothing running, whatever the outcome
        #expect(survivors == [], "workers still running 10 s after their parent was killed")
    }
}
