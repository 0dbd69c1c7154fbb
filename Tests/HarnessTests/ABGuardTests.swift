import Foundation
import Testing
@testable import Harness

/// `tnbench ab` declines to judge speed on a loaded machine (issue 27, item 14) and checks what
/// it is asked before it builds anything (item 17). The load rule is tested on injected readings:
/// nothing here is timed.
@Suite struct ABGuardTests {
    // MARK: Load

    /// `count` jobs of `seconds` each, under `cores` of foreign load.
    static func jobs(_ count: Int, seconds: Double = 10, cores: Double) -> [JobLoad] {
        (0..<count).map { JobLoad(side: $0 % 2 == 0 ? "base" : "head", job: "job \($0)", wallSeconds: seconds, foreignSeconds: cores * seconds) }
    }

    @Test func aQuietMachineIsJudged() {
        let quiet = LoadAssessment(jobs: Self.jobs(24, cores: 0.05), processors: 16)
        #expect(!quiet.isLoaded)
        #expect(quiet.summary == "load not the A/B's own: 0.05 core(s) on average over 24 job(s); 0 of 24 job(s) of 1.6 s or more ran above 0.5 core")
        // A transient load on two jobs of 24 is left to the interval's spread between jobs.
        let blip = LoadAssessment(jobs: Self.jobs(22, cores: 0) + Self.jobs(2, cores: 3), processors: 16)
        #expect(blip.meanForeignCores == 0.25 && !blip.isLoaded)
        #expect(!LoadAssessment(jobs: [], processors: 4).isLoaded)
        #expect(LoadAssessment(jobs: [], processors: 4).summary.hasPrefix("the machine's load was not measured"))
    }

    @Test func aLoadedMachineIsNot() {
        // The issue's case: load 4 the whole time.
        let steady = LoadAssessment(jobs: Self.jobs(24, cores: 4), processors: 16)
        #expect(steady.isLoaded && steady.meanForeignCores == 4)
        // Just above half a core on average.
        #expect(LoadAssessment(jobs: Self.jobs(24, cores: 0.6), processors: 16).isLoaded)
        #expect(!LoadAssessment(jobs: Self.jobs(24, cores: 0.4), processors: 16).isLoaded)
        // A third of the jobs under 1.5 cores: the mean is exactly 0.5, but too many jobs were hit.
        let third = LoadAssessment(jobs: Self.jobs(16, cores: 0) + Self.jobs(8, cores: 1.5), processors: 16)
        #expect(third.meanForeignCores == 0.5 && third.loadedJobs.count == 8 && third.isLoaded)
    }

    /// Jobs shorter than /proc/stat's tick error allows are judged only through the mean.
    @Test func shortJobsCountOnlyInTheMean() {
        let short = LoadAssessment(jobs: Self.jobs(10, seconds: 0.2, cores: 0) + Self.jobs(4, seconds: 0.2, cores: 5), processors: 16)
        #expect(short.timedJobs.isEmpty)
        #expect(short.meanForeignCores > 0.5 && short.isLoaded)  // 4 s of 2.8 s: the mean still sees it
        #expect(LoadAssessment.minimumJobSeconds(processors: 2) == 1)
        #expect(LoadAssessment.minimumJobSeconds(processors: 64) == 6.4)
    }

    @Test func readingsBecomeForeignLoad() throws {
        let stat = "cpu  100 20 30 1000 50 5 6 7 8 9\ncpu0 50 10 15 500 25 2 3 3 4 4\nintr 1 2 3\n"
        // user + nice + system + irq + softirq + steal, in ticks of 1/100 s.
        #expect(CPUCounters.machineBusySeconds(procStat: stat) == 1.68)
        #expect(CPUCounters.machineBusySeconds(procStat: "intr 1 2\n") == nil)
        let start = CPUCounters(machineBusySeconds: 100, ownSeconds: 3, wallSeconds: 50)
        let load = JobLoad(side: "base", job: "j", from: start, to: CPUCounters(machineBusySeconds: 112, ownSeconds: 11, wallSeconds: 54))
        #expect(load.wallSeconds == 4 && load.foreignSeconds == 4 && load.foreignCores == 1)
        // Tick rounding can make the machine's count lag the job's own: never negative.
        let lagging = JobLoad(side: "head", job: "j", from: start, to: CPUCounters(machineBusySeconds: 107.99, ownSeconds: 11, wallSeconds: 54))
        #expect(lagging.foreignSeconds == 0)
        // This machine can be read (the tests run on Linux).
        let now = try #require(CPUCounters.read())
        #expect(now.machineBusySeconds > 0 && now.ownSeconds > 0)
    }

    /// A slower head: regressed on a quiet machine, undecided (exit 0) on a loaded one; quality
    /// is judged either way.
    @Test func speedIsUndecidedOnALoadedMachine() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/base")
        try runSynthetic(SyntheticSuite(slowdown: 1.5), into: root + "/head")
        let (base, head) = (try ResultDirectory(root + "/base").loadResults(), try ResultDirectory(root + "/head").loadResults())

        let quiet = RevisionComparison(base: base, head: head, suites: [SyntheticSuite()], load: LoadAssessment(jobs: Self.jobs(20, cores: 0.1)))
        #expect(quiet.rows.filter { $0.metric.kind == .speed }.allSatisfy { $0.verdict == .regressed })
        #expect(quiet.exitStatus == .regression)
        #expect(quiet.text().contains("machine: load not the A/B's own: 0.10 core(s)"))

        let loaded = RevisionComparison(base: base, head: head, suites: [SyntheticSuite()], load: LoadAssessment(jobs: Self.jobs(20, cores: 4)))
        let speed = loaded.rows.filter { $0.metric.kind == .speed }
        #expect(!speed.isEmpty && speed.allSatisfy { $0.verdict == .undecided })
        #expect(speed.allSatisfy { $0.reason.hasPrefix("undecided: the machine was loaded (load not the A/B's own: 4.00 core(s) on average over 20 job(s)") })
        #expect(speed.allSatisfy { $0.reason.contains("measured ratio 1.5") && $0.speed != nil })
        #expect(loaded.rows.filter { $0.metric.kind == .quality }.allSatisfy { $0.verdict == .ok })
        #expect(loaded.exitStatus == .ok)
        #expect(loaded.text().contains("speed undecided: the machine was loaded by other work"))
        #expect(loaded.json().contains(#""verdict" : "undecided""#))
    }

    // MARK: Checked before building

    /// The repository this test file is in.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    // The revision checks need git and a checkout with its history (not a source tarball).
    static let isCheckout = FileManager.default.fileExists(atPath: repository + "/.git")
        && ExternalProcess.capture("/usr/bin/env", ["git", "--version"]).status == 0

    /// Checks `request`; returns the error and whether anything was built or checked out.
    static func check(_ request: ABRequest) throws -> (error: HarnessError?, touched: Bool) {
        let builds = temporaryDirectory() + "/revisions"
        let revisions = try RevisionBuilds(repository: repository, directory: builds)
        do {
            _ = try ABPreflight.check(request, registry: [SyntheticSuite()], revisions: revisions)
            return (nil, FileManager.default.fileExists(atPath: builds))
        } catch let error as HarnessError {
            return (error, FileManager.default.fileExists(atPath: builds))
        }
    }

    @Test(.enabled(if: isCheckout, "needs git and a git checkout of TNBench"))
    func badRevisionsAndSuitesAreReportedBeforeAnyBuild() throws {
        let badBase = try Self.check(ABRequest(base: "no-such-revision-27", suites: ["Synthetic"], tier: .smoke))
        #expect(badBase.error?.kind == .invalidArgument)
        #expect(badBase.error?.message.hasPrefix("'no-such-revision-27' is not a commit of ") == true)
        #expect(!badBase.touched)

        let badHead = try Self.check(ABRequest(base: "HEAD", head: "no-such-head-27", suites: ["Synthetic"], tier: .smoke))
        #expect(badHead.error?.message.hasPrefix("'no-such-head-27' is not a commit") == true && !badHead.touched)

        let badSuite = try Self.check(ABRequest(base: "HEAD", suites: ["Synthetik"], tier: .smoke))
        #expect(badSuite.error == HarnessError(.unknownSuite, "unknown suite 'Synthetik'; valid suites: Synthetic, all"))
        #expect(!badSuite.touched)

        let badKey = try Self.check(ABRequest(base: "HEAD", suites: ["Synthetic"], tier: .smoke, configs: ["mm=10"]))
        #expect(badKey.error?.kind == .unknownConfigurationKey && !badKey.touched)
        let badSetting = try Self.check(ABRequest(base: "HEAD", suites: ["Synthetic"], tier: .smoke, sets: ["epochz=2"]))
        #expect(badSetting.error?.kind == .unknownConfigurationKey && !badSetting.touched)
        let badSeeds = try Self.check(ABRequest(base: "HEAD", suites: ["Synthetic"], tier: .smoke, seeds: 0))
        #expect(badSeeds.error?.kind == .invalidArgument && !badSeeds.touched)

        // A good request resolves both revisions and plans, still without building.
        let builds = temporaryDirectory() + "/revisions"
        let checked = try ABPreflight.check(
            ABRequest(base: "HEAD", head: "HEAD", suites: ["Synthetic"], tier: .smoke, configs: ["m=10"]),
            registry: [SyntheticSuite()], revisions: try RevisionBuilds(repository: Self.repository, directory: builds))
        #expect(checked.base.commit.count == 40 && checked.head == checked.base)
        #expect(checked.tier == .smoke && checked.jobs == 5)
        #expect(!FileManager.default.fileExists(atPath: builds))
    }
}
