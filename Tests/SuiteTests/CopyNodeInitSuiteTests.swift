import Foundation
import Harness
import Testing
import CopyNodeInit

@Suite struct CopyNodeInitSuiteTests {
    @Test func plansUseTheIssueNames() {
        let copy = CopyNodeInitSuite()
        let ci = copy.plan(for: .ci)
        #expect(ci.seeds == 3)
        #expect(Set(ci.configurations.compactMap { $0.string("init") }).isSuperset(of: ["glorot", "he", "lecun", "copy_node"]))
        #expect(Set(ci.configurations.compactMap { $0.int("D") }) == [2, 6, 10])
        #expect(Set(ci.configurations.compactMap { $0.string("numerics") }) == ["plain", "logscaled"])
        #expect(ci.configurations.contains(["init": "copy_node_v10", "D": 6, "numerics": "plain"]))
        #expect(copy.plan(for: .paper).seeds == 10 && copy.plan(for: .paper).settings["epochs"] == 100)
    }

    @Test(.enabled(if: mnistAvailable, mnistSkipReason), arguments: CopyNodeInitSuite().plan(for: .smoke).configurations)
    func smokeIsDeterministic(configuration: Configuration) throws {
        let (first, _) = try expectRepeatable(timed: [.epochSeconds, .gflops], curves: ["val_error", "train_loss"]) {
            try runPinned(CopyNodeInitSuite(), configuration: configuration)
        }
        for metric in ["val_error", "test_error", "param_count", "epoch_seconds", "gflops", "init_log10_output"] {
            #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
        }
        #expect(first.scalars["param_count"] == Double(388 * 4 + 22 * 2))
        #expect(first.curves["val_error"]?.y.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 } == true)
        #expect(first.curves["val_error"]?.y.last == first.scalars["val_error"])
        #expect(first.flops > 0)
    }

    /// The suite's quality metrics are the problem's evaluation of an implementation's
    /// predictions: a stub's known scores give exactly the errors they imply, non-finite rows
    /// counted wrong, and nothing the stub did not record appears.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func qualityMetricsComeFromPredictions() throws {
        let (recorded, inputs) = try expectErrorsOfKnownScores(
            CopyNodeInitSuite(), configuration: ["init": "glorot", "D": 2, "numerics": "plain"], wrongEvery: (4, 5)
        ) { ($0.mnist.data.validation.labels, $0.mnist.data.test.labels) }
        #expect(recorded.scalars["train_images"] == Double(inputs.mnist.data.train.count) && recorded.scalars["epochs"] == 1)
        #expect(recorded.scalars["param_count"] == nil && recorded.curves["epoch_seconds"] == nil)
    }

    /// An epoch whose every batch is non-finite freezes the model: the remaining epochs are not
    /// run, yet the validation curve has a point per epoch, the frozen model's; a non-finite
    /// output is an error.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func frozenModelKeepsItsValidationErrorForTheRemainingEpochs() throws {
        let record = try runPinned(CopyNodeInitSuite(), configuration: ["init": "copy_node", "D": 2, "numerics": "plain"],
                                   overriding: ["epochs": 4, "learning_rate": 1e30])
        let validation = try #require(record.curves["val_error"])
        let trained = try #require(record.curves["epoch_seconds"]).x.count
        #expect(validation.x == [1, 2, 3, 4])
        #expect(trained < 4, "no epoch froze: \(trained) trained")
        #expect(validation.y.dropFirst(trained - 1).allSatisfy { $0 == validation.y[trained - 1] })
        #expect(record.scalars["val_error"] == validation.y.last)
        #expect(record.scalars["diverged_epoch"] == 1)
        #expect((record.scalars["nonfinite_batches"] ?? 0) > 0)
        #expect(record.scalars["epochs"] == 4)
    }

    /// Bad input is one line naming the suite, the key, the value and the valid choices; the
    /// job is recorded as failed (not diverged).
    @Test func badInputIsOneLineNamingTheKey() throws {
        let copy = CopyNodeInitSuite()
        try expectInputFailure(copy, configuration: ["init": "xavier", "D": 2, "numerics": "plain"],
                               mentioning: ["'init'", "'xavier'", "glorot, he, lecun, copy_node, copy_node_v10"])
        try expectInputFailure(copy, configuration: ["init": "glorot", "D": "abc", "numerics": "plain"],
                               mentioning: ["'D'", "'abc'", "not an integer"])
        try expectInputFailure(copy, configuration: ["init": "glorot", "D": 2, "numerics": "plain"],
                               overriding: ["epochs": nil, "epoch": 3], mentioning: ["tier setting 'epochs' is missing"])
        try expectInputFailure(copy, configuration: ["init": "glorot", "D": 2, "numerics": "plain"],
                               overriding: ["validation_fraction": 1.5], mentioning: ["'validation_fraction' = 1.5 is out of range"])
    }

    /// A split that leaves no validation image is an input error, not a trap.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func emptyValidationSplitIsAnInputError() throws {
        try expectInputFailure(CopyNodeInitSuite(), configuration: ["init": "glorot", "D": 2, "numerics": "plain"],
                               overriding: ["train_count": 2], mentioning: ["train_count 2", "0 validation images"])
    }
}
