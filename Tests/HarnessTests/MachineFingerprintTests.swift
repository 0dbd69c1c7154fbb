import Foundation
import Testing
@testable import Harness

/// Speed is judged against a reference only on the machine it was recorded on (issue 27, item 15):
/// elsewhere speed rows are informational and do not touch the exit status; quality is judged
/// everywhere.
@Suite struct MachineFingerprintTests {
    static let blas = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"
    static let intel = MachineFingerprint(cpuModel: "Intel(R) Xeon(R) Processor", logicalCores: 16, blasConfiguration: blas)
    static let amd = MachineFingerprint(
        cpuModel: "AMD EPYC", logicalCores: 16, blasConfiguration: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64")

    @Test func theMatchRule() {
        var other = Self.intel
        #expect(Self.intel.matches(other))
        other.logicalCores = 8
        #expect(!Self.intel.matches(other))  // the same CPU model with fewer cores (a smaller VM) is another machine
        other.logicalCores = nil
        #expect(Self.intel.matches(other) && other.matches(Self.intel))  // an older file: CPU model and BLAS decide
        other = Self.intel
        other.blasConfiguration = "OpenBLAS 0.3.26 DYNAMIC_ARCH Cooperlake MAX_THREADS=64"
        #expect(!Self.intel.matches(other))
        #expect(!Self.intel.matches(Self.amd))
        #expect(Self.intel.description == "Intel(R) Xeon(R) Processor, 16 logical cores, \(Self.blas)")
    }

    @Test func theSentenceSaysWhy() throws {
        #expect(Comparison.speedNotJudged(reference: Self.intel, run: [Self.intel]) == nil)
        #expect(Comparison.speedNotJudged(reference: Self.intel, run: []) == nil)
        let sentence = try #require(Comparison.speedNotJudged(reference: Self.intel, run: [Self.amd]))
        #expect(sentence == "recorded on \(Self.intel); this run on \(Self.amd): speed not judged")
        // One foreign machine among the run's is enough to stop judging speed.
        #expect(Comparison.speedNotJudged(reference: Self.intel, run: [Self.intel, Self.amd]) != nil)
    }

    @Test func provenanceCarriesTheCoreCount() {
        let provenance = Provenance.current()
        #expect(provenance.logicalCores == ProcessInfo.processInfo.processorCount)
        #expect(Provenance(attributes: provenance.attributes).machine == provenance.machine)
        var old = provenance.attributes
        old["logical_cores"] = nil
        #expect(Provenance(attributes: old).logicalCores == nil)  // records written before it
    }

    /// A run of the synthetic suite by hand: eight seeds, `error` and `seconds` per seed on `machine`.
    static func run(on machine: MachineFingerprint, error: Double, seconds: Double) -> ResultSet {
        let provenance = Provenance(
            gitCommit: "0123456789abcdef", gitDirty: false, swiftVersion: "6.3", buildConfiguration: "release",
            blasConfiguration: machine.blasConfiguration, blasThreads: 1, cpuModel: machine.cpuModel, hostName: "h",
            logicalCores: machine.logicalCores)
        let records = (0..<8).map { seed in
            var record = RunRecord()
            record.scalars["test_error"] = error + 0.001 * Double(seed % 3)
            record.scalars["epoch_seconds"] = seconds * (1 + 0.01 * Double(seed % 4))
            record.scalars["param_count"] = 100
            return JobRecord(
                job: Job(suite: "Synthetic", configuration: ["m": 10], seed: seed), tier: .ci, status: .completed, message: "",
                record: record, settings: [:], provenance: provenance, startTime: "", endTime: "", wallSeconds: 1)
        }
        return ResultSet(name: "run", tier: .ci, provenance: provenance, created: "", records: records)
    }

    func row(_ comparison: Comparison, _ metric: String) throws -> ComparisonRow {
        try #require(comparison.rows.first { $0.metric.name == metric })
    }

    /// The README's main command on another machine: twice as slow, the same quality — exit 0,
    /// with the reason printed; on the reference's own machine the same numbers are a regression.
    @Test func speedFromAnotherMachineIsInformational() throws {
        let baselines = temporaryDirectory()
        let reference = ReferenceBaselines.make(
            from: Self.run(on: Self.intel, error: 0.05, seconds: 1), suite: "Synthetic", metrics: SyntheticSuite().metrics)
        #expect(reference.machine == Self.intel)
        try reference.write(to: baselines)
        let written = try String(contentsOfFile: ReferenceBaselines.path(suite: "Synthetic", tier: .ci, in: baselines), encoding: .utf8)
        #expect(written.contains(#""logical_cores" : 16"#))

        let elsewhere = try Comparison(
            results: Self.run(on: Self.amd, error: 0.05, seconds: 2), suites: [SyntheticSuite()], baselines: baselines)
        let speed = try row(elsewhere, "epoch_seconds")
        #expect(speed.referenceVerdict == nil)
        #expect(speed.referenceReason == "informational: recorded on \(Self.intel); this run on \(Self.amd): speed not judged")
        #expect(try #require(speed.speedRatio).ratio > 1.9)  // still shown, for information
        #expect(try row(elsewhere, "test_error").referenceVerdict == .ok)  // quality is judged everywhere
        #expect(elsewhere.exitStatus == .ok)
        let text = elsewhere.text()
        #expect(text.contains("reference: informational (other machine)"))
        #expect(text.contains("speed is informational: reference recorded on \(Self.intel); this run on \(Self.amd): speed not judged"))
        #expect(text.hasSuffix("no regressions (speed not judged for Synthetic: their references were recorded on another machine; `tnbench ab` compares speed on one machine)"))

        let here = try Comparison(
            results: Self.run(on: Self.intel, error: 0.05, seconds: 2), suites: [SyntheticSuite()], baselines: baselines)
        #expect(try row(here, "epoch_seconds").referenceVerdict == .regressed)
        #expect(here.exitStatus == .regression)

        // Quality regressions still fail on another machine.
        let worse = try Comparison(
            results: Self.run(on: Self.amd, error: 0.08, seconds: 1), suites: [SyntheticSuite()], baselines: baselines)
        #expect(try row(worse, "test_error").referenceVerdict == .regressed)
        #expect(worse.exitStatus == .regression)
    }

    /// A reference written before the fingerprint (no `machine`) is matched on its cpu_model and
    /// blas_configuration, whatever the run's core count.
    @Test func olderReferencesFallBackToCPUAndBLAS() throws {
        let baselines = temporaryDirectory()
        var reference = ReferenceBaselines.make(
            from: Self.run(on: Self.intel, error: 0.05, seconds: 1), suite: "Synthetic", metrics: SyntheticSuite().metrics)
        reference.machine = nil
        try reference.write(to: baselines)
        var bigger = Self.intel
        bigger.logicalCores = 64
        let same = try Comparison(results: Self.run(on: bigger, error: 0.05, seconds: 2), suites: [SyntheticSuite()], baselines: baselines)
        #expect(same.speedNotJudged.isEmpty)
        #expect(try row(same, "epoch_seconds").referenceVerdict == .regressed)
        let other = try Comparison(results: Self.run(on: Self.amd, error: 0.05, seconds: 2), suites: [SyntheticSuite()], baselines: baselines)
        #expect(other.speedNotJudged["Synthetic"] == "recorded on Intel(R) Xeon(R) Processor, \(Self.blas); this run on \(Self.amd): speed not judged")
        #expect(other.exitStatus == .ok)
    }
}
