import Foundation
import Harness
import Testing

/// The committed paper-tier records (`Baselines/records/paper/`, a run directory that
/// `ci/paper-references.sh` keeps) against the committed references made from them
/// (`Baselines/reference/paper/<Suite>.json`): where the records hold every job a suite's
/// reference holds, the reference must be what `tnbench baseline update` makes of those records —
/// every value, seed and job time — so that the report and site drawn from the records and the
/// verdicts judged on the reference are one run. A suite whose records are still being made (no
/// reference yet, or fewer jobs than its reference, made by an earlier run) is not judged here.
@Suite struct CommittedRecordsTests {
    static let records = URL(fileURLWithPath: PaperIdTests.baselines).appendingPathComponent("records/paper").path

    @Test func paperReferencesAreMadeOfTheCommittedRecords() throws {
        guard FileManager.default.fileExists(atPath: Self.records + "/jobs") else {
            Issue.record("no committed paper-tier records in \(Self.records): ci/paper-references.sh writes them")
            return
        }
        // A copy: loading a run directory refreshes its merged file, which belongs to no checkout.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("committed-records-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Self.records, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let results = try ResultDirectory(copy).loadResults(allowMixedBuilds: true)
        #expect(results.tier == .paper)
        var checked: [String] = []
        for suite in PaperIdTests.suites where results.suites.contains(suite.name) {
            guard let committed = try ReferenceBaselines.load(suite: suite.name, tier: .paper, from: PaperIdTests.baselines) else { continue }
            let recorded = Set(results.records.filter { $0.job.suite == suite.name && $0.status == .completed }
                .map { "\($0.job.configuration.name) seed \($0.job.seed)" })
            let referenced = Set((committed.jobs ?? []).flatMap { cost in cost.seeds.map { "\(cost.configuration.name) seed \($0)" } })
            guard !referenced.isEmpty, referenced.isSubset(of: recorded) else { continue }
            let made = ReferenceBaselines.make(from: results, suite: suite.name, metrics: suite.metrics)
            #expect(made.entries == committed.entries, "\(suite.name): the reference's values are not the committed records'")
            #expect(made.jobs == committed.jobs, "\(suite.name): the reference's job times are not the committed records'")
            #expect(made.gitCommit == committed.gitCommit, "\(suite.name): the reference names another build than its records")
            checked.append(suite.name)
        }
        #expect(!checked.isEmpty, "the committed records hold no registered suite")
    }
}
