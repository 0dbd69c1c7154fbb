import ArgumentParser
import Harness

/// `tnbench diff A B`: do two runs hold the same numbers, job by job?
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs job by job, number for number (times left out).",
        discussion: """
            Exact comparison of status, message, scalars, curves, arrays, attributes and settings of \
            every job; timers, wall times, flops, speed metrics and other metrics measured by the clock \
            (throughputs, shares of time), `*_seconds` and `gflops` are left \
            out. Same seed, tier and BLAS thread count give the same numbers, however the jobs ran.

            Works on read-only run directories.

            \(exitStatusHelp([.ok, .regression, .io], meanings: [
                .ok: "the same", .regression: "they differ", .io: "a record is corrupt or cannot be read (its file is named)",
            ]))
            """)

    @Argument(help: "A run directory.") var first: String
    @Argument(help: "Another run directory.") var second: String
    @Flag(help: "Merge records made by different builds instead of refusing.") var allowMixedBuilds = false

    func run() throws {
        let a = try ResultDirectory(first).loadResults(allowMixedBuilds: allowMixedBuilds)
        let b = try ResultDirectory(second).loadResults(allowMixedBuilds: allowMixedBuilds)
        let timed = Dictionary(uniqueKeysWithValues: registeredSuites.map { suite in
            (suite.name, Set(suite.metrics.filter(\.measuredByClock).map(\.name)))
        })
        let lines = RunDifference.differences(a, b, timedMetrics: timed)
        if lines.isEmpty {
            print("the same: \(a.records.count) jobs, every number equal (times left out)")
        } else {
            for line in lines { print(line) }
            print("\(lines.count) difference(s)")
            throw exitStatus(.regression)
        }
    }
}
