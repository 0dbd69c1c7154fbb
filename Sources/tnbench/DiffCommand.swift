import ArgumentParser
import Harness

/// `tnbench diff A B`: do two runs hold the same numbers, job by job?
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs job by job, number for number (times left out).",
        discussion: """
            Exact comparison of status, message, scalars, curves, arrays, attributes and settings of \
            every job; timers, wall times, flops, speed metrics, `*_seconds` and `gflops` are left \
            out. Same seed, tier and BLAS thread count give the same numbers, however the jobs ran.

            Exit status: 0 the same · 1 they differ · 2 bad input · 5 a record is corrupt or \
            cannot be read (its file is named). Works on read-only run directories.
            """)

    @Argument(help: "A run directory.") var first: String
    @Argument(help: "Another run directory.") var second: String
    @Flag(help: "Merge records made by different builds instead of refusing.") var allowMixedBuilds = false

    func run() throws {
        let a = try ResultDirectory(first).loadResults(allowMixedBuilds: allowMixedBuilds)
        let b = try ResultDirectory(second).loadResults(allowMixedBuilds: allowMixedBuilds)
        let speed = Dictionary(uniqueKeysWithValues: registeredSuites.map { suite in
            (suite.name, Set(suite.metrics.filter { $0.kind == .speed }.map(\.name)))
        })
        let lines = RunDifference.differences(a, b, speedMetrics: speed)
        if lines.isEmpty {
            print("the same: \(a.records.count) jobs, every number equal (times left out)")
        } else {
            for line in lines { print(line) }
            print("\(lines.count) difference(s)")
            throw exitStatus(.regression)
        }
    }
}
