import Foundation
import Harness
import TensorCore
import _TestSupport

/// A suite with a known distribution per configuration, for testing the harness end to end:
/// test_error = base(m) + 0.002·z + shift with z ~ N(0, 1) from the job's "noise" stream,
/// base(10) = 0.05, base(20) = 0.02; epoch_seconds = (1 + 0.01·z₂)·slowdown.
struct SyntheticSuite: Suite {
    enum Trouble: Sendable { case none, mixed }
    var shift = 0.0
    var slowdown = 1.0
    var trouble = Trouble.none

    var name: String { "Synthetic" }
    var summary: String { "Known distributions for harness tests" }
    var paper: PaperReference { PaperReference(title: "Synthetic", authors: "Nobody", year: 2025, baselineID: "synthetic") }
    var metrics: [Metric] {
        [
            Metric("test_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.01, description: "error"),
            Metric("epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", description: "time per epoch"),
            Metric("param_count", .smallerIsBetter, kind: .informational, unit: "parameters", description: "parameters"),
        ]
    }
    var figures: [FigureSpec] {
        [
            FigureSpec(id: "test_error_vs_m", title: "Test error vs m", kind: .metricVersus(metric: .testError, x: "m", series: nil),
                       xLabel: "bond dimension m", yLabel: "test error (fraction)"),
            FigureSpec(id: "loss", title: "Loss vs epoch", kind: .curve(name: "loss", series: nil), xLabel: "epoch", yLabel: "loss"),
        ]
    }

    func plan(for tier: Tier) -> TierPlan {
        TierPlan(configurations: Configuration.grid([("m", [10, 20])]), seeds: 5, summary: "m ∈ {10, 20}", settings: ["epochs": 3])
    }

    static func base(_ m: Int) -> Double { m == 10 ? 0.05 : 0.02 }

    /// The values a job must record, computed from the documented key, not through RunContext.
    static func expected(m: Int, seed: Int, shift: Double = 0, slowdown: Double = 1) -> (error: Double, seconds: Double) {
        var rng = Philox(seed: RandomKey.derive("Synthetic", "m=\(m)", seed), stream: RandomKey.derive("noise"))
        let z = rng.nextNormal(), z2 = rng.nextNormal()
        return (base(m) + 0.002 * z + shift, (1 + 0.01 * z2) * slowdown)
    }

    func run(_ context: RunContext) throws {
        try context.checkCancellation()
        let m = try context.parameters.int("m", in: 10...)
        if trouble == .mixed && m == 20 {
            switch context.seed {
            case 1: throw Divergence("loss became NaN at epoch 2")
            case 2: throw LinearAlgebraError.noConvergence(routine: "sgesdd", info: 3)
            case 3: context.record("test_error", .nan); return
            default: break
            }
        }
        var rng = context.rng("noise")
        let z = rng.nextNormal(), z2 = rng.nextNormal()
        let error = Self.base(m) + 0.002 * z + shift
        for epoch in 1...3 {
            context.progress(Double(epoch) / 3, "epoch \(epoch)/3")
            context.append("loss", x: Double(epoch), y: 1 / Double(epoch + 1) + error)
        }
        context.record("test_error", error)
        context.record("epoch_seconds", (1 + 0.01 * z2) * slowdown)
        context.record("param_count", Double(m * m))
        context.record(array: "spectrum", shape: [2, m / 10], values: (0..<(2 * m / 10)).map { Float($0) * 0.5 + Float(z) })
        context.setAttribute("feature_map", "cos_sin")
        context.addFlops(1e9)
    }
}

/// A fresh temporary directory per test.
func temporaryDirectory(_ name: String = #function) -> String {
    let path = NSTemporaryDirectory() + "tnbench-harness-tests/\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs the synthetic suite in-process into `directory`.
@discardableResult
func runSynthetic(
    _ suite: SyntheticSuite = SyntheticSuite(), into directory: String, seeds: Int? = nil,
    filter: ConfigurationFilter = ConfigurationFilter(), shouldStop: @escaping @Sendable () -> Bool = { false }
) throws -> RunSummary {
    let jobs = try JobPlanner.plan(suites: [suite], tier: .smoke, seeds: seeds, filter: filter)
    let runner = Runner(directory: ResultDirectory(directory), tier: .smoke, dataDirectory: "/nonexistent")
    // The in-process runner sets the BLAS thread count for its jobs.
    return try BLASThreadsLock.withLock { try runner.run(jobs, shouldStop: shouldStop) }
}

/// Writes `Baselines/Synthetic.json` with a point that m = 10 reproduces and one that m = 20 does
/// not (both judging the smoke tier), and a paper-tier point for m = 10's param_count.
func writePaperBaselines(_ directory: String) throws {
    let json = """
        {"suite": "Synthetic", "paper_id": "synthetic",
         "points": [
          {"metric": "test_error", "configuration": {"m": 10}, "value": 0.05, "sigma": null, "n": null,
           "confidence": "table", "margin": 0.005, "source": "Table 1", "note": "exact", "tiers": ["smoke", "paper"]},
          {"metric": "test_error", "configuration": {"m": 20}, "value": 0.03, "confidence": "figure-approx",
           "margin": 0.002, "source": "Fig. 2", "tiers": ["smoke"]},
          {"metric": "param_count", "configuration": {"m": 10}, "value": 100, "confidence": "table", "source": "Sec. 2"}
         ]}
        """
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try json.write(toFile: directory + "/Synthetic.json", atomically: true, encoding: .utf8)
}
