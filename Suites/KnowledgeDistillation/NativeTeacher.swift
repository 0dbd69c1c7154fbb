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

extension NativeKnowledgeDistillation {
    /// Builds the teacher of the job's student from the stream `teacher_init` (shared across D)
    /// and trains it on the training images with Adam, one round of the harness's loop per
    /// epoch; the problem evaluates its test scores after every epoch and at the end.
    /// - Throws: ``Divergence`` ("teacher: …") when its loss stops being finite.
    func trainTeacher(
        _ recipe: KnowledgeDistillationProblem.TeacherProtocol, inputs: KnowledgeDistillationProblem.Inputs,
        problem: KnowledgeDistillationProblem, context: RunContext
    ) throws -> Teacher {
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
                try problem.evaluate(last!, at: .round(round, x: Double(round)), of: inputs, in: context)
                return .proceed
            }) { _ in try trainer.trainEpoch(on: trainSet, shuffle: &shuffle) }
        } catch let error as NonFiniteLoss {
            throw Divergence("teacher: \(error.description)")
        }
        try problem.evaluate(last!, at: .final, of: inputs, in: context)
        context.record(.teacherSeconds, outcome.trainingSeconds)
        teacher.network = trainer.network
        teacher.testScores = last!.sets["teacher/test"]
        return teacher
    }
}
