import Datasets
import Foundation
import Harness
import StoudenmireMPS
import TensorCore
import Testing
import _TestSupport

/// The StoudenmireMPS suite through a `RunContext`, on the smoke tier (300 real MNIST images).
@Suite(.enabled(if: mnistAvailable, mnistSkipReason))
struct StoudenmireMPSSuiteTests {
    /// One smoke job with the bond updates split over 2 workers and BLAS at 2 threads (both
    /// pinned, since results are deterministic per worker and thread count), holding the
    /// BLAS-threads lock: the sweeper pins BLAS to one thread per worker while they run, and
    /// runs the SVD between their passes on the threads it found.
    func run(seed: Int) throws -> RunRecord {
        let suite = StoudenmireMPSSuite()
        let plan = suite.plan(for: .smoke)
        var settings = plan.settings
        settings["workers"] = 2
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: plan.configurations[0], seed: seed,
                                 settings: settings, dataDirectory: dataDirectory)
        // Pinned, not inherited: a test that ran between two calls may have left another count
        // behind (`WorkerJob.run` sets the process's count), and the SVD's bits depend on it.
        try withBLASThreads(2) { try suite.run(context) }
        return context.recorded
    }

    /// Same seed, tier and worker count: the same numbers, curves and stored model; another seed
    /// draws another training subset and so another model. The record holds the finals, the
    /// per-half-sweep curves, the bond dimensions and every core, with the label at the centre.
    @Test func smokeRunIsDeterministicPerSeedAndRecordsTheModel() throws {
        let first = try run(seed: 0), second = try run(seed: 0)
        let timing: Set = ["sweep_seconds", "gflops"]
        #expect(first.scalars.filter { !timing.contains($0.key) } == second.scalars.filter { !timing.contains($0.key) })
        for name in ["train_error", "test_error", "cost", "truncation_error"] {
            #expect(first.curves[name] == second.curves[name], "curve \(name)")
        }
        let sameArrays = first.arrays == second.arrays
        #expect(sameArrays, "the stored MPS differs between two runs of one seed")
        let other = try run(seed: 1)
        #expect(other.curves["cost"] != first.curves["cost"])

        for metric in ["test_error", "train_error", "sweep_seconds", "gflops", "param_count", "truncation_error"] {
            #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
        }
        let testError = try #require(first.scalars["test_error"])
        #expect(testError >= 0 && testError < 0.6)  // 1 sweep on 300 images: far below chance (0.9)
        #expect(first.curves["test_error"]?.x == [0.5, 1])
        // The stored MPS, evaluated plainly, classifies exactly as the normalized sweeps measured.
        #expect(first.scalars["stored_model_test_error"] == testError)
        #expect(first.arrays["bond_dimensions"]?.shape == [197])
        #expect(first.arrays.keys.filter { $0.hasPrefix("mps/core_") }.count == 196)
        #expect(first.arrays["mps/core_098"]?.shape.count == 4)  // the label core, at the centre
    }

    /// `init=tnml`: the authors' start on the smoke data — bonds of at most 10 whatever m is,
    /// the label leg on site 0, norm 1, drawn from the job's stream (same seed, same start) —
    /// and the sweeps run from it.
    @Test func theAuthorsStartIsSummedProductStates() throws {
        let suite = StoudenmireMPSSuite()
        let plan = suite.plan(for: .smoke)
        var configuration = plan.configurations[0]
        configuration["init"] = "tnml"
        func context(m: Int) -> RunContext {
            var withM = configuration
            withM["m"] = .int(m)
            return RunContext(suite: suite.name, tier: .smoke, configuration: withM, seed: 0, settings: plan.settings,
                              dataDirectory: dataDirectory, optionalAxisKeys: ["init"])
        }
        let problem = StoudenmireMPSProblem()
        // BLAS pinned: the SVDs' bits depend on its thread count, which a test running between
        // the two calls may change.
        let first = try withBLASThreads(1) { try problem.startingMPS(try problem.inputs(for: context(m: 20)), in: context(m: 20)) }
        let second = try withBLASThreads(1) { try problem.startingMPS(try problem.inputs(for: context(m: 20)), in: context(m: 20)) }
        #expect(first.labelSite == 0 && first.bondDimensions.max()! == 10)
        #expect(abs(Double(first.cores[0].squaredNorm()) - 1) < 1e-5)
        #expect(first.cores.map(\.scalars) == second.cores.map(\.scalars))
        let record = try withBLASThreads(2) { () throws -> RunRecord in
            let job = context(m: 10)
            try suite.run(job)
            return job.recorded
        }
        let testError = try #require(record.scalars["test_error"])
        #expect(testError < 0.6, "test error \(testError) after a sweep from the authors' start")
    }

    /// `label=fixed`: from either start the label sits on the centre before the first sweep (the
    /// principal start's moved there by truncated SVDs), stays there through the sweeps, and the
    /// stored model classifies as the sweeps measured; with the same seed, the same numbers.
    @Test(arguments: ["principal", "tnml"])
    func theAuthorsFixedLabelStaysOnTheCentre(initialization: String) throws {
        let suite = StoudenmireMPSSuite()
        let plan = suite.plan(for: .smoke)
        var configuration = plan.configurations[0]
        configuration["label"] = "fixed"
        configuration["init"] = .string(initialization)
        func context() -> RunContext {
            RunContext(suite: suite.name, tier: .smoke, configuration: configuration, seed: 0, settings: plan.settings,
                       dataDirectory: dataDirectory, optionalAxisKeys: ["label", "init"])
        }
        let problem = StoudenmireMPSProblem()
        let start = try withBLASThreads(1) { try problem.startingMPS(try problem.inputs(for: context()), in: context()) }
        #expect(start.labelSite == 98)
        func train() throws -> RunRecord {
            try withBLASThreads(2) { () throws -> RunRecord in
                let job = context()
                try suite.run(job)
                return job.recorded
            }
        }
        let record = try train(), again = try train()
        #expect(record.arrays["mps/core_098"]?.shape.count == 4)
        #expect(record.arrays.filter { $0.key.hasPrefix("mps/core_") && $0.key != "mps/core_098" }.allSatisfy { $0.value.shape.count == 3 })
        let testError = try #require(record.scalars["test_error"])
        #expect(testError < 0.6, "test error \(testError) after a sweep with the label fixed")
        #expect(record.scalars["stored_model_test_error"] == testError)
        #expect(record.curves["cost"] == again.curves["cost"] && record.scalars["train_error"] == again.scalars["train_error"])
    }
}

/// Bad input fails the job with one line, before any data is read.
@Suite struct StoudenmireMPSInputTests {
    @Test func badInputIsOneLineNamingTheKey() throws {
        let suite = StoudenmireMPSSuite()
        try expectInputFailure(suite, configuration: ["dataset": "mnist", "m": "abc"], mentioning: ["'m'", "'abc'", "not an integer"])
        try expectInputFailure(suite, configuration: ["dataset": "cifar", "m": 10],
                               mentioning: ["'dataset'", "'cifar'", "mnist, fashion-mnist"])
        try expectInputFailure(suite, configuration: ["dataset": "mnist", "m": 10], overriding: ["sweeps": nil, "sweep": 2],
                               mentioning: ["tier setting 'sweeps' is missing"])
        try expectInputFailure(suite, configuration: ["dataset": "mnist", "m": 10], overriding: ["cg_steps": 0],
                               mentioning: ["'cg_steps' = 0 is out of range"])
    }
}

/// Class scores that predict `labels`, except rows where `wrong` holds, which predict the next
/// class: an implementation whose errors are known.
private func knownScores(_ labels: [Int], classes: Int, wrong: (Int) -> Bool) -> Scores {
    .float(Tensor<Float>(shape: [labels.count, classes]) { p in
        for (row, label) in labels.enumerated() {
            for c in 0..<classes { p[row * classes + c] = 0 }
            p[row * classes + (wrong(row) ? (label + 1) % classes : label)] = 1
        }
    })
}

/// The suite's quality metrics come from an implementation's predictions, through the problem's
/// evaluation — and a new implementation is one small type.
@Suite(.enabled(if: mnistAvailable, mnistSkipReason))
struct StoudenmireMPSProblemTests {
    /// Every training image right, every fourth test image wrong, evaluated once as a round.
    struct KnownPredictions: Implementation {
        var name: String { "known" }
        func train(_ inputs: StoudenmireMPSProblem.Inputs, for problem: StoudenmireMPSProblem, in context: RunContext) throws
            -> Predictions
        {
            let predictions = Predictions([
                "train": knownScores(inputs.train.labels, classes: inputs.train.classCount) { _ in false },
                "test": knownScores(inputs.test.labels, classes: inputs.test.classCount) { $0 % 4 == 0 },
            ])
            try problem.evaluate(predictions, at: .round(1, x: 0.5), of: inputs, in: context)
            return predictions
        }
    }

    @Test func qualityMetricsComeFromThePredictions() throws {
        let suite = StoudenmireMPSSuite()
        let plan = suite.plan(for: .smoke)
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: plan.configurations[0], seed: 0,
                                 settings: plan.settings, dataDirectory: dataDirectory)
        try suite.run(context, implementation: KnownPredictions())
        let tests = try #require(plan.settings["test_count"].flatMap { Int($0.description) })
        let expected = Double((0..<tests).filter { $0 % 4 == 0 }.count) / Double(tests)
        #expect(context.recorded.scalars["test_error"] == expected)
        #expect(context.recorded.scalars["train_error"] == 0)
        #expect(context.recorded.curves["test_error"] == Curve(x: [0.5], y: [expected]))
        #expect(context.recorded.curves["train_error"] == Curve(x: [0.5], y: [0]))
        // Nothing the native implementation records: the problem's evaluation alone.
        #expect(Set(context.recorded.scalars.keys) == ["test_error", "train_error"])
    }
}
