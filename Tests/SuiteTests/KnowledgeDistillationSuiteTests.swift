import Foundation
import Harness
import TensorCore
import KnowledgeDistillation
import Testing
import _TestSupport

/// One smoke job in this process, BLAS pinned to one thread (``runPinned(_:tier:configuration:seed:overriding:)``).
private func runKD(configuration: Configuration, seed: Int = 0,
                overriding changes: [String: ConfigurationValue] = [:]) throws -> RunRecord {
    try runPinned(KnowledgeDistillationSuite(), configuration: configuration, seed: seed, overriding: changes)
}

private let timing: Set<String> = ["epoch_seconds", "gflops", "teacher_seconds"]

@Suite struct KnowledgeDistillationSuiteTests {
    @Test func plansFollowTheIssue() {
        let suite = KnowledgeDistillationSuite()
        let paper = suite.plan(for: .paper)
        #expect(Set(paper.configurations.compactMap { $0.string("student") }) == ["direct", "fc", "cnn"])
        #expect(Set(paper.configurations.compactMap { $0.int("D") }) == [10, 20, 40, 80])
        #expect(paper.configurations.count == 12)
        #expect(paper.settings["epochs"] == 25 && paper.settings["gaussian_epochs"] == 5 && paper.settings["teacher_epochs"] == 25)
        #expect(paper.settings["train_count"] == 2_000 && paper.settings["test_count"] == 1_000)
        #expect(paper.settings["learning_rate"] == 1e-4 && paper.settings["teacher_learning_rate"] == 0.01)
        #expect(paper.settings["label_site"] == 392 && paper.settings["temperature"] == 1.0)
        let ci = suite.plan(for: .ci)
        #expect(Set(ci.configurations.compactMap { $0.int("D") }) == [10] && ci.settings["epochs"] == 25)
    }

    /// Every student trains on the smoke data deterministically and records its numbers; the
    /// distilled ones train a teacher first and one Gaussian epoch after the normal one.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason), arguments: KnowledgeDistillationSuite().plan(for: .smoke).configurations)
    func smokeIsDeterministic(configuration: Configuration) throws {
        let first = try runKD(configuration: configuration)
        let second = try runKD(configuration: configuration)
        #expect(first.scalars.filter { !timing.contains($0.key) } == second.scalars.filter { !timing.contains($0.key) })
        #expect(first.curves["test_accuracy"] == second.curves["test_accuracy"])
        #expect(first.curves["train_loss"] == second.curves["train_loss"])
        // The plateau's diagnostics, one point per epoch, deterministic too.
        let epochs = first.curves["test_accuracy"]?.x ?? []
        for curve in ["gradient_norm", "adam_rms_sqrt_v", "adam_share_below_epsilon", "logit_scale", "logit_spread"] {
            #expect(first.curves[curve]?.x == epochs, "\(curve)")
            #expect(first.curves[curve] == second.curves[curve], "\(curve)")
        }
        #expect(first.curves["adam_share_below_epsilon"]?.y.allSatisfy { (0...1).contains($0) } == true)
        #expect(first.curves["logit_spread"]?.y.allSatisfy { $0 >= 0 } == true)
        for metric in ["test_accuracy", "test_error", "train_accuracy", "train_loss", "param_count", "epoch_seconds", "gflops"] {
            #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
        }
        let accuracy = try #require(first.scalars["test_accuracy"])
        #expect(accuracy >= 0 && accuracy <= 1 && first.scalars["test_error"] == 1 - accuracy)
        // 784 sites, D = 2, label core [2, 2, 10, 2] on site 392.
        #expect(first.scalars["param_count"] == Double(2 * 2 * 2 + 781 * 2 * 4 + 10 * 2 * 4))
        #expect(first.flops > 0)
        if configuration.string("student") == "direct" {
            #expect(first.scalars["gaussian_epochs"] == 0 && first.scalars["teacher_test_accuracy"] == nil)
            #expect(first.curves["test_accuracy"]?.x == [1])
        } else {
            #expect(first.scalars["gaussian_epochs"] == 1)
            #expect(first.curves["test_accuracy"]?.x == [1, 2])
            #expect(first.curves["teacher_test_accuracy"]?.x == [1])
            for metric in ["teacher_test_accuracy", "teacher_agreement", "teacher_seconds"] {
                #expect(first.scalars[metric]?.isFinite == true, "missing \(metric)")
            }
        }
    }

    /// The students of one seed and D start from the same MPS and the distilled ones of a kind
    /// learn from the same teacher whatever D is.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func teachersAreSharedAcrossBondDimensions() throws {
        let a = try runKD(configuration: ["student": "cnn", "D": 2])
        let b = try runKD(configuration: ["student": "cnn", "D": 3])
        #expect(a.scalars["teacher_test_accuracy"] == b.scalars["teacher_test_accuracy"])
        #expect(a.curves["teacher_test_accuracy"] == b.curves["teacher_test_accuracy"])
    }

    /// What an external student gets: the images without the test labels, the protocol's
    /// teacher — the one native trains, recorded alike — as distributions on the training images
    /// and on each Gaussian epoch's inputs; its test scores stay with the problem.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func theExchangeHandsOverTheProtocolsTeacher() throws {
        let suite = KnowledgeDistillationSuite()
        let configuration: Configuration = ["student": "cnn", "D": 2]
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: configuration, seed: 0,
                                 settings: suite.plan(for: .smoke).settings, dataDirectory: dataDirectory)
        let inputs = try suite.problem.inputs(for: context)
        let exchange = try withBLASThreads(1) { try suite.problem.exchange(inputs, in: context) }
        #expect(Set(exchange.sets.keys) == ["train", "test", "gaussian_1"])
        #expect(exchange.sets["test"]?.keys.sorted() == ["inputs"])
        #expect(exchange.sets["train"]?["inputs"]?.shape == [200, 784])
        for set in ["train", "gaussian_1"] {
            guard case .double(let q)? = exchange.sets[set]?["teacher_probabilities"] else {
                Issue.record("\(set): no float64 teacher_probabilities"); continue
            }
            #expect(q.shape == [200, 10])
            for row in 0..<200 {
                let sum = (0..<10).reduce(0.0) { $0 + q.scalars[row * 10 + $1] }
                #expect(abs(sum - 1) < 1e-12, "\(set) row \(row): Σq = \(sum)")
            }
        }
        #expect(exchange.protocolValues["epochs"] == 2 && exchange.protocolValues["normal_epochs"] == 1)
        #expect(exchange.protocolValues["learning_rate"] == 1e-4 && exchange.protocolValues["D"] == 2)
        #expect(exchange.schedule.final == ["test", "train"])
        #expect(exchange.problemPredictions.sets["teacher/test"]?.count == 100)
        // The teacher native trains for this job, with the same record.
        let native = try runKD(configuration: configuration)
        #expect(context.recorded.scalars["teacher_test_accuracy"] == native.scalars["teacher_test_accuracy"])
        #expect(context.recorded.curves["teacher_test_accuracy"] == native.curves["teacher_test_accuracy"])
        #expect(context.recorded.scalars["gaussian_teacher_confidence"] == native.scalars["gaussian_teacher_confidence"])
        #expect(context.recorded.scalars["epochs"] == 1 && context.recorded.scalars["gaussian_epochs"] == 1)
    }

    /// The findings on hand-made summaries: the paper's own table makes both orderings hold;
    /// students that match each other make the collapse finding fail, and a seed at chance
    /// after the normal epochs fails the plateau finding.
    @Test func findingsJudgeTheOrderings() {
        func summary(_ student: String, _ d: Int, _ metric: String, _ values: [Double]) -> MetricSummary {
            MetricSummary(configuration: ["student": .string(student), "D": .int(d)], metric: metric, values: values)
        }
        func holds(_ results: [MetricSummary], _ prefix: String) -> Bool? {
            KnowledgeDistillationSuite().findings(results).first { $0.statement.hasPrefix(prefix) }?.holds
        }
        let epochs = [summary("direct", 10, "epochs", [25])]
        let paper = epochs + [summary("direct", 10, "test_accuracy", [0.897]), summary("fc", 10, "test_accuracy", [0.541]),
                              summary("cnn", 10, "test_accuracy", [0.906])]
        #expect(holds(paper, "Distilling from the CNN teacher") == true)
        #expect(holds(paper, "The paper's FC→MPS collapse reproduces after all epochs") == true)
        let matched = epochs + [summary("direct", 10, "test_accuracy", [0.86]), summary("fc", 10, "test_accuracy", [0.85]),
                                summary("cnn", 10, "test_accuracy", [0.84])]
        #expect(holds(matched, "Distilling from the CNN teacher") == false)
        #expect(holds(matched, "The paper's FC→MPS collapse reproduces after all epochs") == false)
        let plateau = [summary("fc", 10, "test_accuracy_normal", [0.85, 0.09]), summary("fc", 10, "test_accuracy", [0.3, 0.1])]
        #expect(holds(plateau, "Every student leaves") == false)
        #expect(holds(plateau, "The Gaussian epochs do not lower") == false)
        #expect(KnowledgeDistillationSuite().findings([]).isEmpty)
    }

    @Test func badInputIsOneLineNamingTheKey() throws {
        let suite = KnowledgeDistillationSuite()
        try expectInputFailure(suite, configuration: ["student": "teacher", "D": 2], mentioning: ["'student'", "direct, fc, cnn"])
        try expectInputFailure(suite, configuration: ["student": "direct", "D": 0], mentioning: ["'D' = 0 is out of range"])
        try expectInputFailure(suite, configuration: ["student": "direct", "D": 2], overriding: ["numerics": "exact"],
                               mentioning: ["'numerics'", "plain, logscaled"])
        try expectInputFailure(suite, configuration: ["student": "fc", "D": 2], overriding: ["label_site": 784],
                               mentioning: ["'label_site' = 784 is out of range"])
    }
}

/// An implementation whose predictions are known: the student right on the first half of the
/// test images (and NaN scores, counted wrong, on the last), right on a quarter of the training
/// images; the teacher right on every test image but the first 10.
private struct KnownScores: Implementation {
    var name: String { "known" }

    func train(_ inputs: KnowledgeDistillationProblem.Inputs, for problem: KnowledgeDistillationProblem,
               in context: RunContext) throws -> Predictions {
        let test = inputs.test.labels, train = inputs.train.labels
        let teacher = Predictions(["teacher/test": .float(oneHot(test, correct: Array(10..<test.count)))])
        try problem.evaluate(teacher, at: .round(1, x: 1), of: inputs, in: context)
        try problem.evaluate(teacher, at: .final, of: inputs, in: context)
        var student = oneHot(test, correct: Array(0..<(test.count / 2))).scalars.map(Double.init)
        for c in 0..<10 { student[(test.count - 1) * 10 + c] = .nan }
        let studentTest = Scores.double(Tensor(shape: [test.count, 10], scalars: student))
        try problem.evaluate(Predictions(["test": studentTest]), at: .round(1, x: 1), of: inputs, in: context)
        return Predictions([
            "test": studentTest, "train": .float(oneHot(train, correct: Array(0..<(train.count / 4)))),
            "teacher/test": teacher.sets["teacher/test"]!,
        ])
    }

    /// One-hot rows naming the label for the rows in `correct` and the next class elsewhere.
    func oneHot(_ labels: [Int], correct: [Int]) -> Tensor<Float> {
        let right = Set(correct)
        var values = [Float](repeating: 0, count: labels.count * 10)
        for (row, label) in labels.enumerated() { values[row * 10 + (right.contains(row) ? label : (label + 1) % 10)] = 1 }
        return Tensor(shape: [labels.count, 10], scalars: values)
    }
}

extension KnowledgeDistillationSuiteTests {
    /// Every accuracy comes from the implementation's predictions: the student's on the test and
    /// training images (a row with a non-finite score counts as wrong), the teacher's, and their
    /// agreement; nothing else is recorded by the problem.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func qualityMetricsComeFromThePredictions() throws {
        let suite = KnowledgeDistillationSuite()
        let context = RunContext(suite: suite.name, tier: .smoke, configuration: ["student": "fc", "D": 2], seed: 0,
                                 settings: suite.plan(for: .smoke).settings, dataDirectory: dataDirectory)
        try suite.run(context, implementation: KnownScores())
        let s = context.recorded.scalars
        // 100 test images: the student right on 0..<50, the teacher on 10..<100: they agree on 10..<50.
        #expect(s["test_accuracy"] == 0.5 && s["test_error"] == 0.5 && s["test_accuracy_normal"] == 0.5)
        #expect(s["train_accuracy"] == 0.25 && s["teacher_test_accuracy"] == 0.9 && s["teacher_agreement"] == 0.4)
        #expect(s.count == 6)
        #expect(context.recorded.curves["test_accuracy"]?.y == [0.5])
        #expect(context.recorded.curves["teacher_test_accuracy"]?.y == [0.9])
    }
}

extension KnowledgeDistillationSuiteTests {
    /// A teacher whose loss stops being finite makes the job *diverged*, its message naming the
    /// teacher, the loss and the step.
    @Test(.enabled(if: mnistAvailable, mnistSkipReason))
    func aDivergingTeacherIsDiverged() throws {
        let record = try #require(runJob(KnowledgeDistillationSuite(), configuration: ["student": "fc", "D": 2],
                                         overriding: ["teacher_learning_rate": 1e30]))
        #expect(record.status == .diverged)
        #expect(record.message.hasPrefix("teacher: the training loss became ") && record.message.contains(" at step "),
                "\(record.message)")
    }
}
