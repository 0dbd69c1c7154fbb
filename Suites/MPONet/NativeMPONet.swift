import Harness
import NeuralLayers
import Optimization
import TensorCore

/// TNBench's own MPO-Net: the networks of ``MNISTNetworks`` in `Float`, trained by
/// ``ClassifierTrainer`` (plain SGD with the authors' continuous exponential decay, optional
/// momentum) under the harness's ``TrainingLoop``, one round per epoch. It asks the problem to
/// evaluate its test scores after every epoch and every `evaluation_interval` steps, and records
/// what is about its own work: parameter counts, the compression ratio, the MPO layers'
/// contraction orders, the training loss, steps and speed. It resumes from the harness's
/// checkpoint after a kill (``Resumption``), with the numbers of an uninterrupted run.
public struct NativeMPONet: Implementation {
    public init() {}

    public var name: String { "native" }

    public func train(_ inputs: MPONetProblem.Inputs, for problem: MPONetProblem, in context: RunContext) throws -> Predictions {
        var model = buildNetwork(inputs, context: context)
        let optimizer = SGD(schedule: .exponentialDecay(initial: inputs.learningRate, rate: inputs.decayRate,
                                                        decaySteps: inputs.decaySteps, staircase: false),
                            momentum: inputs.momentum)
        let shards = Self.batchShards(inputs.network)
        context.setAttribute("batch_shards", .int(shards))
        var trainer = ClassifierTrainer(network: model, optimizer: optimizer, batchSize: inputs.batchSize, l2: inputs.l2,
                                        batchShards: shards)
        var shuffle = context.rng("shuffle")
        func testScores(_ network: Sequential<Float>) -> Predictions {
            Predictions(["test": .float(inputs.test.outputs(of: network))])
        }
        // The network an evaluation within the epoch sees (handed over by the trainer's callback).
        var current = model
        var last: Predictions?
        // A LeNet-5 paper job runs for more than an hour: the harness checkpoints it between
        // epochs — the network, SGD's state and step, and where the shuffling stream stands.
        let resumption = Resumption(
            save: {
                var state = TrainingState()
                trainer.save(into: &state)
                state.set("shuffle", generator: shuffle)
                return state
            },
            restore: { state in
                try trainer.restore(from: state)
                shuffle = try state.generator("shuffle")
                current = trainer.network
            })
        let loop = TrainingLoop(rounds: inputs.epochs, lossCurve: nil)
        let outcome = try loop.run(context, observe: { point in
            switch point {
            case .withinRound(_, let step):
                try problem.evaluate(testScores(current), at: .step(step), of: inputs, in: context)
            case .endOfRound(let round, let report, _):
                if let loss = report.dataLoss { context.append(Metric.trainLoss.name, x: Double(round), y: loss) }
                last = testScores(current)
                try problem.evaluate(last!, at: .round(round, x: Double(round)), of: inputs, in: context)
            }
            return .proceed
        }, resumption: resumption) { round in
            let report = try trainer.trainEpoch(on: inputs.train, shuffle: &shuffle) { step, network in
                guard inputs.evaluationInterval > 0 && step % inputs.evaluationInterval == 0 else { return }
                current = network
                try round.checkpoint(step: step)
            }
            current = trainer.network
            return report
        }
        model = trainer.network
        context.record(.trainLoss, outcome.reports.last?.dataLoss ?? .nan)
        if let median = outcome.medianRoundSeconds { context.record(.epochSeconds, median) }
        if let gflops = outcome.gflops { context.record(.gflops, gflops) }
        context.record(.steps, Double(trainer.steps))
        context.record(.epochs, Double(inputs.epochs))
        return last ?? testScores(model)
    }

    /// How many shards a training batch runs in (``ClassifierTrainer/batchShards``): the LeNet-5
    /// pair's convolutions, pools and activations are many small pieces of work that BLAS's
    /// threads cannot share out, so its batch of 100 runs as 4 shards of 25 images on the cores
    /// (the same numbers on any thread count); the FC2 pair's batch is one product per layer,
    /// which BLAS threads well, so it runs whole.
    static func batchShards(_ network: MPONetSuite.Network) -> Int { network.isLeNet ? 4 : 1 }

    /// The job's network, drawn from the stream `init`, with its counts and settings recorded.
    private func buildNetwork(_ inputs: MPONetProblem.Inputs, context: RunContext) -> Sequential<Float> {
        let contraction: MPOLinear<Float>.Contraction? = switch inputs.contraction {
        case .auto: nil
        case .dense: .denseMatrix
        case .cores: .coreByCore
        }
        var initRNG = context.rng("init")
        let model: Sequential<Float> = switch inputs.network {
        case .fc2: MNISTNetworks.fc2(using: &initRNG)
        case .mpoFC2: MNISTNetworks.mpoFC2(bondDimension: inputs.bondDimension!, contraction: contraction, using: &initRNG)
        case .lenet5: MNISTNetworks.lenet5(using: &initRNG)
        case .mpoLeNet5: MNISTNetworks.mpoLeNet5(contraction: contraction, using: &initRNG)
        }
        let mpoLayers = model.layers.compactMap { $0 as? MPOLinear<Float> }
        let replaced = mpoLayers.reduce(0) { $0 + $1.inputSize * $1.units }
        context.record(.parameterCount, Double(model.parameterCount(.weight)))
        context.record(.biasCount, Double(model.parameterCount(.bias)))
        context.record(.compressionRatio,
                       mpoLayers.isEmpty ? 1 : Double(mpoLayers.reduce(0) { $0 + $1.parameterCount(.weight) }) / Double(replaced))
        context.setAttribute("contractions",
                             .string(mpoLayers.map { $0.contraction(batch: inputs.batchSize).rawValue }.joined(separator: ",")))
        let momentum = inputs.momentum
        context.setAttribute("optimizer", .string(momentum > 0 ? "SGD, momentum \(momentum)" : "SGD (plain, as the authors' code)"))
        context.setAttribute("learning_rate", .string("\(inputs.learningRate)·\(inputs.decayRate)^(step/\(inputs.decaySteps))"))
        return model
    }
}
