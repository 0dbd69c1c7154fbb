import Foundation
import Testing
@testable import Harness

/// Schema 2 (arrays as groups), reading schema 1, and records of several builds.
@Suite struct RecordSchemaTests {
    func record(_ job: Job, provenance: Provenance = .current(), arrays: [String: RecordedArray] = [:]) -> JobRecord {
        var run = RunRecord()
        run.scalars = ["test_error": 0.05]
        run.arrays = arrays
        return JobRecord(
            job: job, tier: .smoke, status: .completed, message: "", record: run, settings: ["epochs": 3],
            provenance: provenance, startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T00:00:01Z", wallSeconds: 1,
            overrides: ["epochs": 3])
    }

    func provenance(commit: String, dirty: Bool? = false, hash: String? = nil, code: String? = nil, host: String = "node01") -> Provenance {
        Provenance(
            gitCommit: commit, gitDirty: dirty, gitDiffHash: hash, codeHash: code, swiftVersion: "Swift 6.3", buildConfiguration: "release",
            blasConfiguration: "OpenBLAS", blasThreads: 2, cpuModel: "Xeon", hostName: host)
    }

    let job = Job(suite: "Synthetic", configuration: ["m": 10], seed: 0)

    @Test func slashSeparatedArrayNamesAreGroups() throws {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.prepare(tier: .smoke)
        let arrays: [String: RecordedArray] = [
            "mps/core_000": RecordedArray(shape: [1, 2, 2], data: .float32([1, 2, 3, 4])),
            "mps/core_001": RecordedArray(shape: [2, 2, 1], data: .float64([5, 6, 7, 8]), attributes: ["site": 1]),
            "spectrum": RecordedArray(shape: [2], data: .float64([0.5, 0.25])),
            "a%b/c": RecordedArray(shape: [1], data: .float64([9])),
        ]
        try directory.write(record(job, arrays: arrays))
        let back = try directory.readRecord(job)
        #expect(back.record.arrays == arrays)
        #expect(back.overrides == ["epochs": 3])
        try withHDF5 {
            let file = try HDF5File.open(directory.recordPath(job))
            let root = try file.root()
            #expect(try root.attributes()["schema_version"] == .int(2))
            let group = try root.group("Synthetic/m=10/seed_0/arrays")
            #expect(group.children().map(\.name) == ["a%25b", "mps", "spectrum"])
            let mps = try group.group("mps")
            #expect(mps.children().map(\.name) == ["core_000", "core_001"])
            #expect(mps.children().allSatisfy { !$0.isGroup })
            #expect(try mps.readDataset("core_001").attributes["site"] == 1)
        }
        // Merged, the groups survive and read back the same.
        let merged = try directory.loadResults()
        #expect(merged.records.first?.record.arrays == arrays)
    }

    /// A version-1 job file (the slash escaped in one dataset name) still reads and merges.
    @Test func schemaVersionOneStillReads() throws {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.prepare(tier: .smoke)
        let path = directory.recordPath(job)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try withHDF5 {
            let file = try HDF5File.create(path)
            let root = try file.root()
            try root.setAttributes(["schema_version": .int(1), "kind": .string("job")])
            let group = try root.createGroup("Synthetic/m=10/seed_0")
            try group.setAttributes([
                "suite": .string("Synthetic"), "tier": .string("smoke"), "seed": .int(0), "configuration": .string("m=10"),
                "status": .string("completed"), "message": .string(""), "git_commit": .string("abc"), "git_dirty": .string("false"),
            ])
            try group.createGroup("configuration").setAttributes(["m": .int(10)])
            try group.createGroup("scalars").setAttributes(["test_error": .double(0.05)])
            let arrays = try group.createGroup("arrays")
            try arrays.writeDataset("mps%2Fcore_000", shape: [2], data: .float64([1, 2]))
            try arrays.writeDataset("100%25", shape: [1], data: .float64([3]))
            file.flush()
        }
        let record = try directory.readRecord(job)
        #expect(record.record.arrays["mps/core_000"] == RecordedArray(shape: [2], data: .float64([1, 2])))
        #expect(record.record.arrays["100%"] == RecordedArray(shape: [1], data: .float64([3])))
        #expect(record.overrides.isEmpty && record.provenance.gitDiffHash == nil)
        let results = try directory.loadResults(allowMixedBuilds: true)
        #expect(results.records.first?.record.arrays["mps/core_000"] != nil)
        // A future version is refused with one line.
        try withHDF5 {
            let file = try HDF5File.open(path, writable: true)
            try file.root().setAttributes(["schema_version": .int(99)])
        }
        #expect(throws: HarnessError.self) { try directory.merge(allowMixedBuilds: true) }
    }

    @Test func buildIDNamesCommitAndDiff() {
        #expect(provenance(commit: "0123456789abcdef").buildID == "0123456789")
        #expect(provenance(commit: "0123456789abcdef", dirty: true, hash: "feedbeef0000").buildID == "0123456789+dirty.feedbeef0000")
        #expect(provenance(commit: "unknown", dirty: nil).buildID == "unknown")
        #expect(provenance(commit: "0123456789abcdef", code: "c0de").codeID == "code c0de")
        #expect(provenance(commit: "0123456789abcdef").codeID == "0123456789")
        // This test binary was stamped at build time (in a checkout: commit and code hash).
        let current = Provenance.current()
        #expect(!current.gitCommit.isEmpty)
        #expect((current.gitCommit == "unknown") == (current.codeHash == nil))
    }

    /// Two commits with the same code (a docs-only commit between them) merge without the flag.
    @Test func sameCodeFromTwoCommitsMerges() throws {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.prepare(tier: .smoke)
        let other = Job(suite: "Synthetic", configuration: ["m": 20], seed: 1)
        try directory.write(record(job, provenance: provenance(commit: "aaaaaaaaaaaa", code: "c0de00000000")))
        try directory.write(record(other, provenance: provenance(commit: "bbbbbbbbbbbb", code: "c0de00000000")))
        let results = try directory.loadResults()
        #expect(results.records.count == 2)
        #expect(Report.contributors(results.records).contains("| bbbbbbbbbb | bbbbbbbbbbbb | no | c0de00000000 | 1: Synthetic [m=20] seed 1 |"))
    }

    /// Records of different builds are refused with the jobs of each build, unless allowed; the
    /// report then names every build and host.
    @Test func recordsOfDifferentBuildsAreNotMergedUnlessAllowed() throws {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.prepare(tier: .smoke)
        let other = Job(suite: "Synthetic", configuration: ["m": 20], seed: 1)
        try directory.write(record(job, provenance: provenance(commit: "aaaaaaaaaaaa", code: "c1", host: "node01")))
        try directory.write(record(other, provenance: provenance(commit: "aaaaaaaaaaaa", dirty: true, hash: "123456789abc", code: "c2", host: "node02")))
        do {
            try directory.merge()
            Issue.record("mixed builds were merged")
        } catch let error as HarnessError {
            #expect(error.kind == .mixedBuilds && error.exitStatus == .usage)
            #expect(error.message.contains("builds of 2 different codes"))
            #expect(error.message.contains("build aaaaaaaaaa (code c1): 1 job(s) (Synthetic [m=10] seed 0)"))
            #expect(error.message.contains("build aaaaaaaaaa+dirty.123456789abc (code c2): 1 job(s) (Synthetic [m=20] seed 1)"))
            #expect(error.message.contains("--allow-mixed-builds") && !error.message.contains("\n"))
        }
        #expect(throws: HarnessError.self) { try directory.checkBuild(allowMixedBuilds: false) }
        #expect(directory.recordBuilds().count == 2)

        let results = try directory.loadResults(allowMixedBuilds: true)
        try withHDF5 {
            let attributes = try HDF5File.open(directory.mergedPath).root().attributes()
            #expect(attributes["builds"] == .string("aaaaaaaaaa,aaaaaaaaaa+dirty.123456789abc"))
            #expect(attributes["hosts"] == .string("node01,node02"))
        }
        let text = Report.contributors(results.records)
        #expect(text.contains("| aaaaaaaaaa | aaaaaaaaaaaa | no | c1 | 1: Synthetic [m=10] seed 0 |"))
        #expect(text.contains("| aaaaaaaaaa+dirty.123456789abc | aaaaaaaaaaaa | yes (diff 123456789abc) | c2 | 1: Synthetic [m=20] seed 1 |"))
        #expect(text.contains("**The records come from builds of 2 different codes**"))
        #expect(text.contains("| node01 | Xeon | 2 | 1: Synthetic [m=10] seed 0 |") && text.contains("| node02 |"))
    }

    /// A run into a directory holding another build's records is refused before any job runs.
    @Test func runnerRefusesToAddToAnotherBuildsRecords() throws {
        let root = temporaryDirectory()
        let directory = ResultDirectory(root)
        try directory.prepare(tier: .smoke)
        try directory.write(record(job, provenance: provenance(commit: "0000000000ff", code: "0ther")))
        #expect(throws: HarnessError.self) { try runSynthetic(into: root, seeds: 1) }
        #expect(directory.recordFiles().count == 1)
    }
}
