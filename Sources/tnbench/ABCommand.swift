import ArgumentParser
import Datasets
import Foundation
import Harness
import TensorCore

/// `tnbench ab BASE [HEAD]`: the same jobs from two revisions on this machine, interleaved.
struct ABCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ab",
        abstract: "Compare two revisions on this machine: build BASE (and HEAD), run the same jobs with both, interleaved.",
        discussion: """
            BASE (and HEAD when given) is built in release in its own git worktree under \
            <repository>/.build/revisions/<commit> (kept, so a second A/B of the same commit does not \
            build again); without HEAD the head is this tnbench. Both builds plan the chosen suites \
            and tier into <out>/base and <out>/head, then every job runs once per build, back to back, \
            in blocks of two jobs ordered A B B A or B A A B (a fixed draw per block; the same seeds), \
            so that the machine's load falls on both alike. \
            An interrupted A/B resumes when run again with the same --out.

            Speed: the ratio head/base of the per-step samples pooled over seeds (Hodges–Lehmann \
            on the logarithms) with its 99% interval; regressed when it exceeds 1.05 (or the \
            metric's threshold) and the interval lies above 1. Quality: runs are deterministic, \
            so any same-seed difference is a change of the numerics; the changed configurations \
            and seeds are listed, and regressed means the paired mean moved the bad way beyond \
            the metric's margin with one-sided paired t p < 0.01.

            Load: around each job, ab reads the machine's busy CPU time (/proc/stat) and its own \
            (its run-job child's); the rest is other work. When that averaged more than half a core, \
            or more than a quarter of the jobs ran under more than half a core, the speed verdicts \
            are "undecided: the machine was loaded (…)" and do not fail the A/B (quality is judged \
            as always); the readings are kept in <out>/load.json.

            Revisions, suites, tier, --config and --set are checked before anything is built.

            Both runs are added to the history store (--history), keyed by build; `tnbench \
            history` draws every speed metric over commits.

            Two versions of an external library instead of two revisions (for its maintainer): \
            --implementation NAME with --base-requirements and/or --head-requirements (name==version, \
            repeatable; each replaces the manifest's pin of that package, docs/IMPLEMENTATIONS.md) runs \
            that implementation's jobs with this build on both sides, each side in its own Python \
            environment, interleaved as above, and judges head against base the same way. No \
            revision is given then, and the runs are not added to the history (it is keyed by commit).

            Examples:
              tnbench ab main                                 this build against main, every suite, ci tier
              tnbench ab --suite TN4ML --implementation tn4ml --base-requirements tn4ml==1.0.9 --config D=10
              tnbench ab origin/main HEAD --suite TNNRegression --tier ci --seeds 3
              tnbench ab v1.2 v1.3 --suite StoudenmireMPS --config m=10 --json

            \(exitStatusHelp([.ok, .regression, .jobFailed, .io, .interrupted], meanings: [
                .ok: "ok (also when speed was undecided on a loaded machine)", .usage: "usage or input error, or a revision did not build",
            ]))
            """)

    @Argument(help: "The base revision (branch, tag, commit); none with --implementation.") var base: String?
    @Argument(help: "The head revision (default: this tnbench build).") var head: String?
    @Option(name: .customLong("suite"), help: "A suite to run (repeatable; default: all).") var suites: [String] = []
    @Option(help: "The tier.") var tier: Tier = .ci
    @Option(help: "Seeds per configuration (default: the tier's).") var seeds: Int?
    @Option(name: .customLong("config"), parsing: .singleValue, help: "key=value: keep configurations with that value (repeatable).")
    var configs: [String] = []
    @Option(name: .customLong("set"), parsing: .singleValue, help: "key=value: change a tier setting for both builds (repeatable).")
    var sets: [String] = []
    @Option(help: "The A/B directory (default: results/ab-<tier>-<base>-<head>).") var out: String?
    @Option(help: "Where revisions are built (default: <repository>/.build/revisions).") var builds: String?
    @Option(help: "The history store both runs are added to.") var history = "results/history"
    @Flag(help: "Do not add the runs to the history store.") var noHistory = false
    @Option(help: "BLAS threads per job (default: the available processors).") var blasThreads: Int?
    @Option(name: .customLong("data-dir"), help: "The data directory (default: $TNBENCH_DATA_DIR or ~/.cache/tnbench/data).")
    var dataDirectory: String?
    @Flag(help: "Print the machine-readable JSON array instead of text.") var json = false
    @Option(help: "An external implementation to compare under two requirement sets (instead of two revisions).")
    var implementation: String?
    @Option(name: .customLong("base-requirements"), parsing: .singleValue, help: "name==version for the base side (repeatable; with --implementation).")
    var baseRequirements: [String] = []
    @Option(name: .customLong("head-requirements"), parsing: .singleValue, help: "name==version for the head side (repeatable; with --implementation).")
    var headRequirements: [String] = []

    func run() throws {
        let revisions = try RevisionBuilds(directory: builds)
        func say(_ line: String) { FileHandle.standardError.write(Data("tnbench ab: \(line)\n".utf8)) }
        // Two requirement sets of one implementation, or two revisions.
        let pins: [RevisionSide: [String]] = [.base: baseRequirements, .head: headRequirements]
        if let implementation {
            guard implementation != ImplementationManifest.native else {
                throw HarnessError(.invalidArgument, "--implementation native has no requirements to vary: compare revisions of it with `tnbench ab BASE [HEAD]`")
            }
            guard base == nil && head == nil else {
                throw HarnessError(.invalidArgument, "--implementation \(implementation) compares two requirement sets with this build: give no revision")
            }
            guard !(baseRequirements.isEmpty && headRequirements.isEmpty) else {
                throw HarnessError(.invalidArgument, "--implementation \(implementation) needs --base-requirements or --head-requirements (name==version)")
            }
            if let loose = (baseRequirements + headRequirements).first(where: { !ImplementationManifest.isPinned($0) }) {
                throw HarnessError(.invalidArgument, "requirement '\(loose)' is not pinned as name==version")
            }
        } else {
            guard base != nil else { throw HarnessError(.invalidArgument, "give a base revision (or --implementation with requirement sets)") }
            guard baseRequirements.isEmpty && headRequirements.isEmpty else {
                throw HarnessError(.invalidArgument, "--base-requirements and --head-requirements go with --implementation")
            }
        }
        let library = implementation != nil

        // Revisions, suites, tier, filters and settings are checked before minutes of building.
        let checked = try ABPreflight.check(
            ABRequest(base: base ?? Provenance.current().gitCommit, head: head, suites: suites, tier: tier, seeds: seeds,
                      configs: configs, sets: sets, implementation: implementation),
            registry: registeredSuites, revisions: revisions)
        let tier = checked.tier
        let baseRevision = checked.base
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let baseBinary = library ? running : try revisions.binary(for: baseRevision, progress: say)
        let headRevision: Revision
        let headBinary: String
        if library {
            headRevision = baseRevision
            headBinary = running
            for side in RevisionSide.allCases {
                say("\(side.rawValue): \(implementation!) with \(pins[side]!.isEmpty ? "its manifest's requirements" : pins[side]!.joined(separator: " "))")
            }
        } else if let checkedHead = checked.head {
            headRevision = checkedHead
            headBinary = try revisions.binary(for: headRevision, progress: say)
        } else {
            let provenance = Provenance.current()
            headRevision = (try? revisions.resolve(provenance.gitCommit))
                ?? Revision(commit: provenance.gitCommit, committed: Timestamp.now(), subject: "")
            headBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        }
        let headLabel = head == nil ? Provenance.current().buildID : headRevision.short
        func label(_ requirements: [String]) -> String {
            requirements.isEmpty ? "manifest" : requirements.joined(separator: "+").replacingOccurrences(of: "==", with: "-")
        }
        let output = out ?? (library
            ? "results/ab-\(tier.rawValue)-\(implementation!)-\(label(baseRequirements))-\(label(headRequirements))"
            : "results/ab-\(tier.rawValue)-\(baseRevision.short)-\(headLabel)")
        let sides = InterleavedRun(base: ResultDirectory(output + "/base"), head: ResultDirectory(output + "/head"))
        let binaries: [RevisionSide: String] = [.base: baseBinary, .head: headBinary]

        // Each build plans with its own suites and settings.
        var plans: [RevisionSide: RunPlan] = [:]
        for side in RevisionSide.allCases {
            var arguments = ["plan"] + (suites.isEmpty ? ["all"] : suites) + ["--tier", tier.rawValue, "--out", sides.directory(side).path]
            if let seeds { arguments += ["--seeds", String(seeds)] }
            arguments += configs.flatMap { ["--config", $0] } + sets.flatMap { ["--set", $0] }
            if let implementation { arguments += ["--implementation", implementation] }
            let result = ExternalProcess.capture(binaries[side]!, arguments)
            guard result.status == 0 else {
                throw HarnessError(.invalidArgument, "the \(side.rawValue) build (\(side == .base ? baseRevision.short : headLabel)) cannot plan this: \(result.error.split(separator: "\n").last ?? "")")
            }
            plans[side] = try sides.directory(side).readPlan()
        }
        let headJobs = plans[.head]!.jobs.map(\.job), baseJobs = Set(plans[.base]!.jobs.map(\.job))
        let jobs = headJobs.filter { baseJobs.contains($0) }
        for job in headJobs where !baseJobs.contains(job) { say("only the head build plans \(job): not compared") }

        let threads = max(1, blasThreads ?? Runner.blasThreads(workers: 1))
        let data = DataDirectory.resolve(flag: dataDirectory)
        Interruption.installHandlers()
        let started = MonotonicClock.seconds()
        // The machine's load that is not the A/B's own, job by job, kept across resumes.
        let loadLog = output + "/load.json"
        var loads = (FileManager.default.contents(atPath: loadLog)).flatMap { try? JSONDecoder().decode([JobLoad].self, from: $0) } ?? []
        try sides.run(jobs, execute: { side, job in
            let index = plans[side]!.entry(for: job)!.index
            let log = sides.directory(side).path + "/ab.log"
            let before = CPUCounters.read()
            let status = ExternalProcess.run(
                binaries[side]!, ["run-job", sides.directory(side).path, String(index), "--blas-threads", String(threads), "--data-dir", data], log: log,
                environment: library ? [
                    ImplementationManifest.requirementsVariable: pins[side]!.joined(separator: " "),
                    ImplementationManifest.requirementsVariable + "_FOR": implementation!,
                ] : [:])
            if let before, let after = CPUCounters.read() {
                loads.append(JobLoad(side: side.rawValue, job: job.description, from: before, to: after))
                if let encoded = try? JSONEncoder().encode(loads) { try? encoded.write(to: URL(fileURLWithPath: loadLog), options: .atomic) }
            }
            if status == ExitStatus.interrupted.rawValue || Interruption.isRequested { throw exitStatus(.interrupted) }
            guard status == 0 || status == ExitStatus.jobFailed.rawValue else {
                throw HarnessError(.invalidArgument, "the \(side.rawValue) build's run-job \(index) exited \(status); see \(log)")
            }
        }, progress: { step, total, side, job in
            say("[\(step)/\(total)] \(side.rawValue): \(job)  (\(ProgressDisplay.format(MonotonicClock.seconds() - started)) so far)")
        }, shouldStop: { Interruption.isRequested })

        let load = LoadAssessment(jobs: loads)
        if load.isLoaded { say("the machine was loaded by other work (\(load.summary)): speed verdicts are undecided") }
        let comparison = RevisionComparison(
            base: try sides.base.loadResults(), head: try sides.head.loadResults(), suites: registeredSuites, load: load)
        try? comparison.json().write(toFile: output + "/ab.json", atomically: true, encoding: .utf8)
        try? comparison.text().write(toFile: output + "/ab.txt", atomically: true, encoding: .utf8)
        if !noHistory && !library {
            let store = RevisionHistory(history)
            let stored = [try store.add(sides.base, revision: baseRevision), try store.add(sides.head, revision: headRevision)]
            say("added \(stored.joined(separator: " and ")) to \(history)/\(tier.rawValue)")
        }
        say("A/B of \(jobs.count) job(s) took \(ProgressDisplay.format(MonotonicClock.seconds() - started)); \(output)/ab.txt, ab.json")
        let sidesLine = library
            ? "\(implementation!): base with \(pins[.base]!.isEmpty ? "its manifest's requirements" : pins[.base]!.joined(separator: " ")), "
                + "head with \(pins[.head]!.isEmpty ? "its manifest's requirements" : pins[.head]!.joined(separator: " "))\n"
            : ""
        print(json ? comparison.json() : sidesLine + comparison.text())
        if comparison.exitStatus != .ok { throw exitStatus(comparison.exitStatus) }
    }
}
