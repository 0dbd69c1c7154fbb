import Datasets
import Harness
import NeuralLayers
import Optimization
import TensorCore

/// A trained teacher network and how it sees an image set.
struct Teacher {
    var network: Sequential<Float>
    /// Whether the network takes `[N, 28, 28, 1]` images (LeNet-5) rather than `[N, 784]`.
    var takesImages: Bool
    /// Its logits on the test images after its training, `[N, 10]`.
    var testScores: Scores?

    func samples(_ images: ImageSet) -> LabeledSamples<Float> {
        let inputs = takesImages ? images.pixels.reshaped([images.count, images.rows, images.columns, 1])
                                 : images.pixels.reshaped([images.count, images.rows * images.columns])
        return LabeledSamples(inputs: inputs, labels: images.labels)
    }

    /// q = softmax(logits / T), row-major `[N, 10]`; the logits in chunks of 500 images (memory, not numbers).
    func probabilities(_ images: ImageSet, temperature: Double) -> [Double] {
        Softmax.probabilities(logits: samples(images).outputs(of: network), temperature: temperature).scalars
    }

    /// FC 784 → 512 → 256 → 10 with ReLU between (Glorot-uniform weights, zero biases).
    static func fullyConnected(using rng: inout Philox) -> Sequential<Float> {
        Sequential([
            Dense<Float>(inputSize: 784, units: 512, using: &rng), ActivationLayer<Float>(.relu),
            Dense<Float>(inputSize: 512, units: 256, using: &rng), ActivationLayer<Float>(.relu),
            Dense<Float>(inputSize: 256, units: 10, using: &rng),
        ])
    }
}

/// One Gaussian epoch's inputs, labelled by the teacher: part of the protocol, the same for
/// every implementation of a job.
struct GaussianSet {
    /// x_p = clip(N(μ_p, σ_p), 0, 1) per pixel, 28×28.
    var images: ImageSet
    /// The teacher's q = softmax(logits / T) on them, row-major `[N, 10]`.
    var probabilities: [Double]
}

// The teacher and the Gaussian inputs belong to the protocol, not to the student's
// implementation: native trains its student on them, and the exchange hands them to external
// ones (``KnowledgeDistillationProblem/exchange(_:in:)``).
extension KnowledgeDistillationProblem {
    /// Builds the teacher of the job's student from the stream `teacher_init` (shared across D)
    /// and trains it on the training images with Adam, one round of the harness's loop per
    /// epoch; evaluates its test scores after every epoch and at the end (`teacher_test_accuracy`)
    /// and records `teacher_seconds`.
    /// - Throws: ``Divergence`` ("teacher: …") when its loss stops being finite.
    func trainTeacher(_ recipe: TeacherProtocol, inputs: Inputs, context: RunContext) throws -> Teacher {
        let bond: Set = [KnowledgeDistillationSuite.bondKey]
        var rng = context.rng("teacher_init", sharedAcross: bond)
        var teacher = inputs.student == .cnn
            ? Teacher(network: MNISTNetworks.lenet5(using: &rng), takesImages: true)
            : Teacher(network: Teacher.fullyConnected(using: &rng), takesImages: false)
        let trainSet = teacher.samples(inputs.train), testSet = teacher.samples(inputs.test)
        let optimizer = Adam(learningRate: recipe.learningRate, epsilon: inputs.adamEpsilon,
                             epsilonPlacement: inputs.adamEpsilonPlacement)
        var trainer = ClassifierTrainer(network: teacher.network, optimizer: optimizer, batchSize: recipe.batchSize)
        var shuffle = context.rng("teacher_shuffle", sharedAcross: bond)
        context.setAttribute("teacher", .string(inputs.student == .cnn ? "LeNet-5" : "FC 784-512-256-10 ReLU"))
        var last: Predictions?
        let loop = TrainingLoop(rounds: recipe.epochs, unit: "teacher epoch", timer: "teacher", samples: nil, lossCurve: nil)
        let outcome: TrainingOutcome
        do {
            outcome = try loop.run(context, observe: { point in
                guard case .endOfRound(let round, _, _) = point else { return .proceed }
                last = Predictions(["teacher/test": .float(testSet.outputs(of: trainer.network))])
                try evaluate(last!, at: .round(round, x: Double(round)), of: inputs, in: context)
                return .proceed
            }) { _ in try trainer.trainEpoch(on: trainSet, shuffle: &shuffle) }
        } catch let error as NonFiniteLoss {
            throw Divergence("teacher: \(error.description)")
        }
        try evaluate(last!, at: .final, of: inputs, in: context)
        context.record(.teacherSeconds, outcome.trainingSeconds)
        teacher.network = trainer.network
        teacher.testScores = last!.sets["teacher/test"]
        return teacher
    }

    /// The Gaussian epochs' inputs, labelled by the teacher: x_p = clip(N(μ_p, σ_p), 0, 1) per
    /// pixel (``PixelGaussian`` fitted to the training images), fresh samples each epoch from the
    /// stream `gaussian` (shared across the student and D), labelled by the teacher's softmax at
    /// the temperature. Records how the teacher labels the first epoch's inputs.
    func gaussianSets(_ teacher: Teacher, inputs: Inputs, context: RunContext) -> [GaussianSet] {
        guard inputs.gaussianEpochs > 0 else { return [] }
        let gaussian = PixelGaussian(fittedTo: inputs.train)
        var rng = context.rng("gaussian", sharedAcross: [KnowledgeDistillationSuite.Student.key, KnowledgeDistillationSuite.bondKey])
        let sets = (0..<inputs.gaussianEpochs).map { _ in
            let images = gaussian.sample(count: inputs.gaussianSamples, using: &rng)
            return GaussianSet(images: images, probabilities: teacher.probabilities(images, temperature: inputs.temperature))
        }
        recordTeacherOnNoise(sets[0].probabilities, context: context)
        return sets
    }

    /// How the teacher labels the first epoch's Gaussian inputs: its mean confidence
    /// (`gaussian_teacher_confidence`) and the share of its most frequent class
    /// (`gaussian_teacher_top_class_share`) (`q` row-major [N, 10]).
    private func recordTeacherOnNoise(_ q: [Double], context: RunContext) {
        let rows = q.count / 10
        guard rows > 0 else { return }
        var confidence = 0.0, counts = [Int](repeating: 0, count: 10)
        for n in 0..<rows {
            let row = q[(n * 10)..<(n * 10 + 10)]
            confidence += row.max()!
            counts[row.firstIndex(of: row.max()!)! - n * 10] += 1
        }
        context.record(.gaussianTeacherConfidence, confidence / Double(rows))
        context.record(.gaussianTeacherTopClassShare, Double(counts.max()!) / Double(rows))
    }

    /// The protocol's lengths, which the problem records for every implementation.
    func recordLengths(_ inputs: Inputs, context: RunContext) {
        context.record(.epochs, Double(inputs.epochs))
        context.record(.gaussianEpochs, Double(inputs.gaussianEpochs))
        context.record(.trainImages, Double(inputs.train.count))
    }
}
