import Datasets
import Harness
import Optimization
import TensorCore
import TensorNetworks

/// Piché's distillation problem: the first MNIST images, one student of the `student` axis at
/// bond dimension D, the protocol (normal and Gaussian epochs, Adam, temperature; for the
/// distilled students the teacher's training), and the evaluation of an implementation's class
/// scores — the student's on the `test` and `train` sets, the teacher's on `teacher/test`.
public struct KnowledgeDistillationProblem: Problem {
    public init() {}

    /// The teacher's training protocol (distilled students only).
    public struct TeacherProtocol: Sendable {
        public let epochs: Int
        public let learningRate: Double
        public let batchSize: Int
    }

    /// What an implementation trains on: the images, the student and the protocol.
    public struct Inputs: Sendable {
        public let student: KnowledgeDistillationSuite.Student
        public let bondDimension: Int
        /// The first `train_count` / `test_count` MNIST images, 28×28 in [0, 1].
        public let train: ImageSet
        public let test: ImageSet
        /// Epochs on the training images, then (distilled students) epochs on Gaussian inputs.
        public let epochs: Int
        public let gaussianEpochs: Int
        public let gaussianSamples: Int
        public let batchSize: Int
        public let learningRate: Double
        public let adamEpsilon: Double
        public let adamEpsilonPlacement: Adam.EpsilonPlacement
        public let temperature: Double
        public let numerics: ContractionNumerics
        /// σ of the near-identity initialization's noise.
        public let initStandardDeviation: Double
        public let labelSite: Int
        /// The teacher's protocol; nil for the direct student.
        public let teacher: TeacherProtocol?
    }

    /// The MPS's sites: one per pixel of a 28×28 image.
    static let sites = 28 * 28

    public func inputs(for context: RunContext) throws -> Inputs {
        let settings = context.settings
        let student = try context.parameters.choice(KnowledgeDistillationSuite.Student.self)
        let bond = try context.parameters.int(KnowledgeDistillationSuite.bondKey, in: 1...)
        let trainCount = try settings.int("train_count", in: 1...60_000)
        let testCount = try settings.int("test_count", in: 1...10_000)
        let epochs = try settings.int("epochs", in: 1...)
        let gaussianEpochs = student == .direct ? 0 : try settings.int("gaussian_epochs", in: 0...)
        let gaussianSamples = try settings.int("gaussian_samples", in: 1...)
        let batchSize = try settings.int("batch_size", in: 1...)
        let rate = try settings.double("learning_rate", in: 0...)
        let epsilon = try settings.double("adam_epsilon", in: 0...)
        let placement = try settings.choice("adam_epsilon_placement", as: Adam.EpsilonPlacement.self)
        let temperature = try settings.double("temperature", in: 1e-3...)
        let numerics = try settings.choice("numerics", as: ContractionNumerics.self)
        let initStandardDeviation = try settings.double("init_std", in: 0...)
        let labelSite = try settings.int("label_site", in: 0..<Self.sites)

        // Data: the first images of each file, 28×28 in [0, 1].
        var unused = context.rng("data")
        let (train, test) = try context.measure("load") {
            try PooledImages.load(.mnist, PooledImages.Selection(train: .first(trainCount), testCount: testCount, pooling: 1),
                                  dataDirectory: context.dataDirectory, rng: &unused)
        }.value
        guard train.count >= batchSize else {
            throw SuiteInputError(suite: context.suite, key: "batch_size",
                                  "batch_size \(batchSize) exceeds the \(train.count) training images")
        }
        let teacher = student == .direct ? nil : try teacherProtocol(train: train, context: context)
        return Inputs(
            student: student, bondDimension: bond, train: train, test: test, epochs: epochs, gaussianEpochs: gaussianEpochs,
            gaussianSamples: gaussianSamples, batchSize: batchSize, learningRate: rate, adamEpsilon: epsilon,
            adamEpsilonPlacement: placement, temperature: temperature, numerics: numerics,
            initStandardDeviation: initStandardDeviation, labelSite: labelSite, teacher: teacher)
    }

    private func teacherProtocol(train: ImageSet, context: RunContext) throws -> TeacherProtocol {
        let settings = context.settings
        let epochs = try settings.int("teacher_epochs", in: 1...)
        let rate = try settings.double("teacher_learning_rate", in: 0...)
        let batchSize = try settings.int("teacher_batch_size", in: 1...)
        guard train.count >= batchSize else {
            throw SuiteInputError(suite: context.suite, key: "teacher_batch_size",
                                  "teacher_batch_size \(batchSize) exceeds the \(train.count) training images")
        }
        return TeacherProtocol(epochs: epochs, learningRate: rate, batchSize: batchSize)
    }

    public var isExchangeable: Bool { true }

    /// Non-finite scores count as errors, as for native (a plain float32 contraction over 784
    /// sites can overflow; the row is then wrong, not the job).
    public var acceptsNonFiniteScores: Bool { true }

    /// The images (`train` {`inputs` [N, 784] row-major in [0, 1], `labels`}, `test` {`inputs`})
    /// and the protocol. A distilled student's teacher is the protocol's, not the
    /// implementation's: the exchange trains it here, as native does (the same network from the
    /// same streams, recording `teacher_test_accuracy` and `teacher_seconds`), and hands over its
    /// distributions q = softmax(logits / T) on the training images (`train`
    /// {`teacher_probabilities` [N, 10]}) and on each Gaussian epoch's inputs (`gaussian_1` …
    /// {`inputs`, `teacher_probabilities`}). The teacher's test scores stay here, for
    /// `teacher_agreement` (``ProblemExchange/problemPredictions``). An epoch is a normal or a
    /// Gaussian epoch (`epochs` = normal + Gaussian); the test scores are due after each.
    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        var train: [String: NpyArray] = [
            "inputs": .float(inputs.train.flattened(order: .rowMajor)), "labels": .labels(inputs.train.labels),
        ]
        var sets: [String: [String: NpyArray]] = ["test": ["inputs": .float(inputs.test.flattened(order: .rowMajor))]]
        var known = Predictions()
        if let recipe = inputs.teacher {
            let teacher = try trainTeacher(recipe, inputs: inputs, context: context)
            known.sets["teacher/test"] = teacher.testScores
            train["teacher_probabilities"] = .double(Tensor(
                shape: [inputs.train.count, 10], scalars: teacher.probabilities(inputs.train, temperature: inputs.temperature)))
            for (epoch, set) in gaussianSets(teacher, inputs: inputs, context: context).enumerated() {
                sets["gaussian_\(epoch + 1)"] = [
                    "inputs": .float(set.images.flattened(order: .rowMajor)),
                    "teacher_probabilities": .double(Tensor(shape: [set.images.count, 10], scalars: set.probabilities)),
                ]
            }
        }
        sets["train"] = train
        recordLengths(inputs, context: context)
        return ProblemExchange(
            sets: sets,
            protocolValues: [
                "student": .string(inputs.student.rawValue), KnowledgeDistillationSuite.bondKey: .int(inputs.bondDimension),
                "epochs": .int(inputs.epochs + inputs.gaussianEpochs), "normal_epochs": .int(inputs.epochs),
                "gaussian_epochs": .int(inputs.gaussianEpochs), "batch_size": .int(inputs.batchSize),
                "learning_rate": .double(inputs.learningRate), "adam_epsilon": .double(inputs.adamEpsilon),
                "temperature": .double(inputs.temperature), "init_std": .double(inputs.initStandardDeviation),
                "label_site": .int(inputs.labelSite), "classes": 10,
                "loss": .string(inputs.teacher == nil ? "softmax cross-entropy on the labels"
                                                      : "batch mean of KL(q || softmax(f / T)), q the teacher's distributions"),
            ],
            schedule: PredictionSchedule(epoch: ["test"], final: ["test", "train"]),
            problemPredictions: known)
    }

    /// The metrics of the sets predicted. The teacher alone (`teacher/test`, no `test`):
    /// `teacher_test_accuracy`, a curve point at a round, the final at ``Checkpoint/final``.
    /// The student (`test`): a point of the `test_accuracy` curve at each round, and
    /// `test_accuracy_normal` after the last normal epoch; at ``Checkpoint/final``
    /// `test_accuracy`, `test_error`, `train_accuracy` (from `train`) and, for a distilled
    /// student, `teacher_agreement` (the share of test images on which the student's arg max is
    /// the teacher's, from `teacher/test`). A row with a non-finite score counts as wrong.
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        let suite = context.suite
        let labels = inputs.test.labels
        guard let student = predictions.sets["test"] else {
            let accuracy = try predictions.scores("teacher/test", suite: suite).accuracy(labels: labels)
            switch checkpoint {
            case .round(_, let x): context.append(Metric.teacherTestAccuracy.name, x: x, y: accuracy)
            case .final: context.record(.teacherTestAccuracy, accuracy)
            case .step: break
            }
            return [.teacherTestAccuracy: accuracy]
        }
        let classes = Self.predictedClasses(student)
        let accuracy = Classification.accuracy(predicted: classes, labels: labels)
        var values: [Metric: Double] = [.testAccuracy: accuracy]
        switch checkpoint {
        case .round(let round, let x):
            context.append(Metric.testAccuracy.name, x: x, y: accuracy)
            if round == inputs.epochs { context.record(.testAccuracyNormal, accuracy) }
            Self.appendLogitDiagnostics(student, x: x, context: context)
        case .final:
            context.record(.testAccuracy, accuracy)
            context.record(.testError, 1 - accuracy)
            let train = Self.predictedClasses(try predictions.scores("train", suite: suite))
            values[.trainAccuracy] = Classification.accuracy(predicted: train, labels: inputs.train.labels)
            context.record(.trainAccuracy, values[.trainAccuracy]!)
            if inputs.teacher != nil {
                let teacher = try predictions.scores("teacher/test", suite: suite).predictedClasses
                values[.teacherAgreement] = Classification.accuracy(predicted: classes, labels: teacher)
                context.record(.teacherAgreement, values[.teacherAgreement]!)
            }
        case .step: break
        }
        return values
    }

    /// The logits' side of the plateau's diagnostics (the suite's doc), from the student's test
    /// scores after an epoch: `logit_scale` (mean over the images of max_ℓ |f_ℓ|) and
    /// `logit_spread` (mean of max_ℓ f_ℓ − min_ℓ f_ℓ: 0 when every class scores the same). A value
    /// that is not finite (a non-finite row) is left out.
    static func appendLogitDiagnostics(_ scores: Scores, x: Double, context: RunContext) {
        let (scale, spread) = switch scores {
        case .float(let t): logitScaleAndSpread(t)
        case .double(let t): logitScaleAndSpread(t)
        }
        if let scale, scale.isFinite { context.append("logit_scale", x: x, y: scale) }
        if let spread, spread.isFinite { context.append("logit_spread", x: x, y: spread) }
    }

    private static func logitScaleAndSpread<Scalar: BLASScalar>(_ logits: Tensor<Scalar>) -> (Double?, Double?) {
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        guard rows > 0 && classes > 0 else { return (nil, nil) }
        var scale = 0.0, spread = 0.0
        logits.withUnsafeBufferPointer { f in
            for n in 0..<rows {
                let row = f[(n * classes)..<((n + 1) * classes)].map { Double($0) }
                scale += row.map(abs).max()!
                spread += row.max()! - row.min()!
            }
        }
        return (scale / Double(rows), spread / Double(rows))
    }

    /// The arg max of each row; -1 (no class) for a row with a non-finite score.
    static func predictedClasses(_ scores: Scores) -> [Int] {
        let finite = switch scores {
        case .float(let t): rowsFinite(t)
        case .double(let t): rowsFinite(t)
        }
        return zip(scores.predictedClasses, finite).map { $1 ? $0 : -1 }
    }

    private static func rowsFinite<Scalar: BLASScalar>(_ t: Tensor<Scalar>) -> [Bool] {
        let width = t.shape[1]
        return t.withUnsafeBufferPointer { p in
            (0..<t.shape[0]).map { row in (0..<width).allSatisfy { p[row * width + $0].isFinite } }
        }
    }
}
