import Foundation
import Testing
import _TestSupport
@testable import Harness

/// A tier's cost before running it: each planned job costs the mean recorded wall time of its
/// configuration, from the committed reference of the tier.
@Suite struct CostEstimateTests {
    static func reference(jobs: [ReferenceBaselines.JobCost]?) -> ReferenceBaselines {
        ReferenceBaselines(
            suite: "Synthetic", tier: .ci, created: "2026-12-06T11:00:00Z", run: "r", hostName: "vm", cpuModel: "Xeon",
            gitCommit: "abcdef0123456789", blasConfiguration: "OpenBLAS",
            entries: [.init(configuration: ["m": 10], metric: "test_error", values: [0.05], seeds: [0])], jobs: jobs)
    }

    @Test func jobsCostTheirConfigurationsMeanTimeTimesThreads() throws {
        let reference = Self.reference(jobs: [
            .init(configuration: ["m": 10], seeds: [0, 1], seconds: [100, 140], threads: 2, peakResidentBytes: [1e9, 1.5e9]),
            .init(configuration: ["m": 20], seeds: [0], seconds: [600], threads: 1, peakResidentBytes: []),
        ])
        // 3 jobs of m = 10 (120 s each, 2 threads), 1 of m = 20 (600 s, 1 thread), 2 of m = 40 (never recorded).
        let planned: [Configuration] = [["m": 10], ["m": 10], ["m": 10], ["m": 20], ["m": 40], ["m": 40]]
        let estimate = try #require(CostEstimate.estimate(configurations: planned, reference: reference))
        #expect(estimate.jobs == 6 && estimate.estimatedJobs == 4)
        #expect(estimate.seconds == 3 * 120 + 600)
        #expect(estimate.coreSeconds == 3 * 120 * 2 + 600)
        #expect(estimate.peakResidentBytes == 1.5e9)
        #expect(estimate.summary == "≈ 0.37 core-hours (16m00s one job at a time), peak 1.40 GiB per job, for 4 of 6 jobs (the others' configurations were not recorded)")
        #expect(estimate.source == "the committed ci reference (build abcdef0, 2026-12-06, Xeon)")

        let total = try #require(CostEstimate.total([estimate, estimate]))
        #expect(total.jobs == 12 && total.coreSeconds == 2 * estimate.coreSeconds && total.source == estimate.source)
    }

    @Test func noReferenceOrNoJobTimesIsNoEstimate() throws {
        #expect(CostEstimate.estimate(configurations: [["m": 10]], reference: nil) == nil)
        #expect(CostEstimate.estimate(configurations: [["m": 10]], reference: Self.reference(jobs: nil)) == nil)
        let none = try #require(CostEstimate.estimate(
            configurations: [["m": 40]],
            reference: Self.reference(jobs: [.init(configuration: ["m": 10], seeds: [0], seconds: [1], threads: 1, peakResidentBytes: [])])))
        #expect(none.summary == "no estimate: the reference recorded none of these configurations")
    }

    /// `baseline update` records each configuration's job times; loading checks them.
    @Test func referencesRecordJobTimesAndLoadingChecksThem() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/run", seeds: 2)
        let results = try ResultDirectory(root + "/run").loadResults()
        let made = ReferenceBaselines.make(from: results, suite: "Synthetic")
        let jobs = try #require(made.jobs)
        #expect(jobs.map(\.configuration) == [["m": 10], ["m": 20]])
        for cost in jobs {
            let records = results.records.filter { $0.job.configuration == cost.configuration }.sorted { $0.job.seed < $1.job.seed }
            #expect(cost.seeds == [0, 1] && cost.seconds == records.map(\.wallSeconds))
            #expect(cost.peakResidentBytes == records.compactMap(\.peakResidentBytes))
        }
        try made.write(to: root + "/Baselines")
        #expect(try ReferenceBaselines.load(suite: "Synthetic", tier: .smoke, from: root + "/Baselines") == made)

        let bad: [(ReferenceBaselines.JobCost, String)] = [
            (.init(configuration: ["m": 10], seeds: [0, 1], seconds: [1], threads: 1, peakResidentBytes: []), "1 time(s) for 2 seed(s)"),
            (.init(configuration: ["m": 10], seeds: [0], seconds: [-1], threads: 1, peakResidentBytes: []), "-1.0 is not a finite number ≥ 0"),
            (.init(configuration: ["m": 10], seeds: [0], seconds: [1], threads: 0, peakResidentBytes: []), "threads: 0 is not ≥ 1"),
            (.init(configuration: ["m": 10], seeds: [0], seconds: [1], threads: 1, peakResidentBytes: [1, 2]), "peak_resident_bytes: 2 value(s) for 1 seed(s)"),
        ]
        for (cost, message) in bad {
            let reference = Self.reference(jobs: [cost])
            #expect { try reference.validate(file: "f.json", suite: "Synthetic", tier: .ci) } throws: { error in
                "\(error)".contains("f.json: jobs[0] (m=10): \(message)")
            }
        }
        let twice = Self.reference(jobs: Array(repeating: .init(configuration: ["m": 10], seeds: [0], seconds: [1], threads: 1, peakResidentBytes: []), count: 2))
        #expect { try twice.validate(file: "f.json", suite: "Synthetic", tier: .ci) } throws: { "\($0)".contains("jobs[1] (m=10): a second entry") }
    }
}
