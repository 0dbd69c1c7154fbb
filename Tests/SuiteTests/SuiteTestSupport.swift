import Datasets
import Foundation
import Harness
import Testing
import _TestSupport

/// The data directory the suite tests read (`TNBENCH_DATA_DIR`, else `~/.cache/tnbench/data`).
let dataDirectory = DataDirectory.resolve(flag: nil)

/// Whether a data set is provisioned. Tests that need it are *skipped*, with the reason, when it
/// is not — unless `TNBENCH_REQUIRE_DATA=1` (set by `ci/test.sh`, which provisions the data
/// first), where a missing set fails the run instead of skipping it silently in CI.
func dataSetAvailable(_ name: String) -> Bool {
    ((try? DataSetManifest.load(set: name, in: dataDirectory)) ?? nil) != nil
        || ProcessInfo.processInfo.environment["TNBENCH_REQUIRE_DATA"] == "1"
}

let mnistAvailable = dataSetAvailable("mnist")
let mnistSkipReason: Comment = "MNIST is not provisioned: run `tnbench data fetch` (or `bash ci/setup.sh`) first"

/// Runs one job of `suite` at `tier` in this process, as the harness does, with settings changed
/// by `overriding` (a `nil` value removes the key).
func runJob(
    _ suite: any Suite, tier: Tier = .smoke, configuration: Configuration, seed: Int = 0,
    overriding changes: [String: ConfigurationValue?] = [:]
) -> JobRecord? {
    var settings = suite.plan(for: tier).settings
    for (key, value) in changes { settings[key] = value }
    let planned = PlannedJob(suite: suite, job: Job(suite: suite.name, configuration: configuration, seed: seed),
                             settings: settings)
    // Held: gradient training re-canonicalizes with both halves at once, pinning BLAS to one
    // thread meanwhile, which would change the bits of a test that pinned another count.
    let outcome = BLASThreadsLock.withLock { JobExecution.run(planned, tier: tier, dataDirectory: dataDirectory) }
    guard case .finished(let record) = outcome else { return nil }
    return record
}

/// Expects a job with bad input to be recorded as *failed* with one line that names the suite
/// and the key.
func expectInputFailure(
    _ suite: any Suite, configuration: Configuration, overriding changes: [String: ConfigurationValue?] = [:],
    mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let record = try #require(runJob(suite, configuration: configuration, overriding: changes), sourceLocation: sourceLocation)
    #expect(record.status == .failed, "status \(record.status): \(record.message)", sourceLocation: sourceLocation)
    #expect(!record.message.contains("\n"), "not one line: \(record.message)", sourceLocation: sourceLocation)
    #expect(record.message.hasPrefix("\(suite.name): "), "\(record.message)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(record.message.contains(fragment), "'\(fragment)' not in: \(record.message)", sourceLocation: sourceLocation)
    }
}

/// One job of `suite` at `tier` run directly in this process with BLAS pinned to one thread
/// (holding the BLAS-threads lock: other tests change the count, and results are deterministic
/// per thread count), with settings changed by `overriding`; what the job recorded.
func runPinned(
    _ suite: any Suite, tier: Tier = .smoke, configuration: Configuration, seed: Int = 0,
    overriding changes: [String: ConfigurationValue] = [:]
) throws -> RunRecord {
    var settings = suite.plan(for: tier).settings
    for (key, value) in changes { settings[key] = value }
    let context = RunContext(suite: suite.name, tier: tier, configuration: configuration, seed: seed,
                             settings: settings, dataDirectory: dataDirectory)
    try withBLASThreads(1) { try suite.run(context) }
    return context.recorded
}

/// Runs one job twice with `run` and expects it repeatable: the same scalars but for the
/// clock-measured `timed` ones, and the same `curves`. Returns both records.
@discardableResult
func expectRepeatable(
    timed: [Metric], curves: [String], sourceLocation: SourceLocation = #_sourceLocation, _ run: () throws -> RunRecord
) throws -> (first: RunRecord, second: RunRecord) {
    let first = try run(), second = try run()
    let clock = Set(timed.map(\.name))
    #expect(first.scalars.filter { !clock.contains($0.key) } == second.scalars.filter { !clock.contains($0.key) },
            sourceLocation: sourceLocation)
    for curve in curves {
        #expect(first.curves[curve] != nil, "no curve \(curve)", sourceLocation: sourceLocation)
        #expect(first.curves[curve] == second.curves[curve], "curve \(curve) differs", sourceLocation: sourceLocation)
    }
    return (first, second)
}
