import Foundation
import Synchronization
import Testing
@testable import Harness
import TensorCore

/// Resumption, determinism and the record format.
@Suite struct ResumeTests {
    /// The deterministic content of a run: everything but times and provenance.
    func content(_ results: ResultSet) -> [String] {
        results.records.map { r in
            let scalars = r.record.scalars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" }
            let curves = r.record.curves.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.x.map(\.bitPattern))\($0.value.y.map(\.bitPattern))" }
            let arrays = r.record.arrays.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.shape)\($0.value.data)" }
            return "\(r.job) \(r.status) \(scalars) \(curves) \(arrays) \(r.record.attributes) \(r.record.flops) \(r.settings)"
        }
    }

    @Test func interruptedRunCompletesOnlyTheMissingJobs() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/uninterrupted")

        // Stop once three records exist: the job that sees the stop is abandoned without a record.
        let directory = ResultDirectory(root + "/interrupted")
        let stopped = try runSynthetic(into: directory.path, shouldStop: { directory.recordFiles().count >= 3 })
        #expect(stopped.interrupted && stopped.exitStatus == .interrupted)
        #expect(stopped.completed == 3 && stopped.notRun == 7)
        #expect(directory.recordFiles().count == 3)

        let resumed = try runSynthetic(into: directory.path)
        #expect(resumed.skipped == 3 && resumed.completed == 7 && !resumed.interrupted)

        // A crash loses a record (deleted here) and leaves a temporary file: both are handled.
        // The abandoned file (older than a live writer's could be) goes; a fresh one, perhaps
        // another command's writer at work, stays.
        let lost = Job(suite: "Synthetic", configuration: ["m": 20], seed: 4)
        try FileManager.default.removeItem(atPath: directory.recordPath(lost))
        let abandoned = directory.recordPath(lost) + ".tmp-123", live = directory.recordPath(lost) + ".tmp-456"
        try Data("half-written".utf8).write(to: URL(fileURLWithPath: abandoned))
        try Data("being written".utf8).write(to: URL(fileURLWithPath: live))
        let old = Date().addingTimeInterval(-ResultDirectory.abandonedTemporaryAge - 1)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: abandoned)
        let again = try runSynthetic(into: directory.path)
        #expect(again.skipped == 9 && again.completed == 1)
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: live))
        try FileManager.default.removeItem(atPath: live)

        let a = try ResultDirectory(root + "/uninterrupted").loadResults()
        let b = try directory.loadResults()
        #expect(content(a) == content(b))
        #expect(content(a).count == 10)
    }

    @Test func seedSubsetThenFullRunResumes() throws {
        let root = temporaryDirectory()
        let first = try runSynthetic(into: root + "/run", seeds: 2)
        #expect(first.completed == 4)
        let second = try runSynthetic(into: root + "/run")
        #expect(second.skipped == 4 && second.completed == 6)
    }

    @Test(arguments: [0, 3])
    func sameSeedGivesBitIdenticalRecords(seed: Int) throws {
        let root = temporaryDirectory()
        let filter = ConfigurationFilter(["m": [20]])
        try runSynthetic(into: root + "/a", filter: filter)
        try runSynthetic(into: root + "/b", filter: filter)
        let job = Job(suite: "Synthetic", configuration: ["m": 20], seed: seed)
        let a = try ResultDirectory(root + "/a").readRecord(job)
        let b = try ResultDirectory(root + "/b").readRecord(job)
        #expect(a.record.scalars.mapValues(\.bitPattern) == b.record.scalars.mapValues(\.bitPattern))
        #expect(a.record.curves == b.record.curves)
        #expect(a.record.arrays == b.record.arrays)
        // float32 stays float32 through HDF5, and the values are the ones recorded.
        guard case .float32(let values)? = a.record.arrays["spectrum"]?.data else {
            Issue.record("spectrum is not float32")
            return
        }
        #expect(a.record.arrays["spectrum"]?.shape == [2, 2])
        var rng = Philox(seed: RandomKey.derive("Synthetic", "m=20", seed), stream: RandomKey.derive("noise"))
        let z: Float = Float(rng.nextNormal())
        #expect(values == (0..<4).map { Float($0) * 0.5 + z })
        #expect(a.record.attributes["feature_map"] == "cos_sin")
        #expect(a.settings["epochs"] == 3)
        #expect(a.provenance.blasThreads >= 1 && !a.provenance.cpuModel.isEmpty)
        #expect(a.startTime.hasSuffix("Z"))
    }
}
