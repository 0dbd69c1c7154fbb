import Foundation
@testable import Harness

/// A suite whose runs are built by hand, for figure tests: it only carries its metric and figures.
struct FigureSuite: Suite {
    var figures: [FigureSpec]
    /// Metrics besides `test_accuracy` (a speed metric, say).
    var extraMetrics: [Metric] = []

    var name: String { "Figures" }
    var summary: String { "Hand-built records for figure tests" }
    var paper: PaperReference { PaperReference(title: "Figures", authors: "Nobody", year: 2025, baselineID: "figures") }
    var metrics: [Metric] {
        [Metric("test_accuracy", .largerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.005, description: "accuracy")]
            + extraMetrics
    }
    func plan(for tier: Tier) -> TierPlan { TierPlan(configurations: [[:]], seeds: 1, summary: "none") }
    func run(_ context: RunContext) throws {}
}

/// A fixed provenance, so that figure text does not depend on the machine.
let figureProvenance = Provenance(
    gitCommit: "0123456789abcdef", gitDirty: false, swiftVersion: "6.3", buildConfiguration: "debug",
    blasConfiguration: "test", blasThreads: 1, cpuModel: "test", hostName: "test")

/// A completed job of the figure suite that recorded `test_accuracy = accuracy`.
func accuracyRecord(_ configuration: Configuration, seed: Int, _ accuracy: Double, status: JobStatus = .completed) -> JobRecord {
    var record = RunRecord()
    record.scalars["test_accuracy"] = accuracy
    return JobRecord(
        job: Job(suite: "Figures", configuration: configuration, seed: seed), tier: .smoke, status: status, message: "",
        record: record, settings: [:], provenance: figureProvenance, startTime: "", endTime: "", wallSeconds: 1)
}

/// One record per value, seeds 0, 1, 2…
func accuracyRecords(_ configuration: Configuration, _ accuracies: [Double]) -> [JobRecord] {
    accuracies.enumerated().map { accuracyRecord(configuration, seed: $0.offset, $0.element) }
}

/// A paper point of `test_accuracy` from a table.
func accuracyPoint(_ configuration: Configuration, _ value: Double, sigma: Double?) -> PaperPoint {
    PaperPoint(metric: "test_accuracy", configuration: configuration, value: value, sigma: sigma, confidence: .table, source: "Table I")
}

/// The `.dat` and `.gp` of `spec` drawn from `records`, the paper's `points` and a reference run.
func figureText(
    _ spec: FigureSpec, records: [JobRecord], paper points: [PaperPoint] = [], reference: ReferenceBaselines? = nil
) -> (dat: String, gp: String, data: FigureData) {
    let paper = PaperBaselines(suite: "Figures", paperID: "figures", points: points)
    let data = FigureData.make(spec, suite: "Figures", records: records, reference: reference, paper: paper)
    let (dat, gp) = FigureRenderer.script(spec, data: data, commit: "0123456789")
    return (dat, gp, data)
}

/// The rows of block `index` of a `.dat` file, comment lines left out, split at blanks.
func datRows(_ dat: String, block index: Int) -> [[String]] {
    let blocks = dat.components(separatedBy: "\n\n\n")
    guard index < blocks.count else { return [] }
    return blocks[index].split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
}
