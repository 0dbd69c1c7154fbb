import Foundation
import Testing
@testable import Harness

/// The results store keyed by build, and the speed-over-commits figure drawn from it.
@Suite struct RevisionHistoryTests {
    /// A copy of the cost suite's run in `source` whose records claim to come from `commit`.
    static func restamped(_ source: ResultDirectory, commit: String, into path: String) throws -> ResultDirectory {
        let target = ResultDirectory(path)
        try target.prepare(tier: .smoke)
        for var record in try source.loadResults().records {
            record.provenance.gitCommit = commit
            record.provenance.gitDirty = false
            try target.write(record)
        }
        return target
    }

    @Test func runsAreKeptByBuildInCommitOrderAndDrawnOverCommits() throws {
        let root = temporaryDirectory()
        _ = try costAB(root: root, headSlowdown: 1.3, work: 100_000)
        let store = RevisionHistory(root + "/history")
        let older = String(repeating: "a", count: 40), newer = String(repeating: "b", count: 40)
        // Added newest first: the store orders by commit date, not by arrival.
        try store.add(
            try Self.restamped(ResultDirectory(root + "/head"), commit: newer, into: root + "/newer"),
            revision: Revision(commit: newer, committed: "2026-12-02T10:00:00Z", subject: "slower"))
        try store.add(
            try Self.restamped(ResultDirectory(root + "/base"), commit: older, into: root + "/older"),
            revision: Revision(commit: older, committed: "2026-12-01T10:00:00Z", subject: "base"))
        let entries = store.entries(tier: .smoke)
        #expect(entries.map(\.build) == [String(older.prefix(10)), String(newer.prefix(10))])
        #expect(entries.map(\.revision.subject) == ["base", "slower"])

        let figures = try store.render(tier: .smoke, suites: [CostSuite()], to: root + "/reports")
        #expect(figures.map(\.id) == ["epoch_seconds_history"])
        let dat = try String(contentsOfFile: root + "/reports/Cost/epoch_seconds_history.dat", encoding: .utf8)
        // One line per stored build: x, the median of its 48 epoch samples, the quartiles, the count.
        let rows = datRows(dat, block: 0)
        #expect(rows.count == 2 && rows.allSatisfy { $0.count == 5 && $0[4] == "48" })
        let samples = { (path: String) in
            try ResultDirectory(path).loadResults().records.compactMap { $0.record.curves["epoch_seconds"]?.y }.flatMap { $0 }.sorted()
        }
        #expect(rows[0][1] == "\(Statistics.quantile(sorted: try samples(root + "/base"), 0.5))")
        #expect(rows[1][1] == "\(Statistics.quantile(sorted: try samples(root + "/head"), 0.5))")
        let gp = try String(contentsOfFile: root + "/reports/Cost/epoch_seconds_history.gp", encoding: .utf8)
        #expect(gp.contains(#"set xtics rotate by -35 ("aaaaaaaaaa" 0, "bbbbbbbbbb" 1)"#))

        // A second run of a build replaces the first.
        try store.add(ResultDirectory(root + "/older"), revision: Revision(commit: older, committed: "2026-12-01T10:00:00Z", subject: "again"))
        #expect(store.entries(tier: .smoke).map(\.revision.subject) == ["again", "slower"])
    }
}
