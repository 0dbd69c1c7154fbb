import Harness
import NeuralLayers
import TensorCore

extension Metric {
    /// The training loss per sweep (the ``SweepTraining`` loss curve); a suite refines the description.
    public static let loss = Metric("loss", .smallerIsBetter, kind: .informational, unit: "nats",
                                    description: "training loss after each sweep")
    /// Recorded per sweep and at the end by ``SweepTraining``; a suite refines the description.
    public static let entropyMax = Metric("entropy_max", .smallerIsBetter, kind: .informational, unit: "nats",
                                          description: "largest bond entanglement entropy of the MPOs after the last sweep")
    /// Recorded per sweep (samples) and at the end by ``SweepTraining``; a suite refines the description.
    public static let sweepSeconds = Metric("sweep_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "sweep_seconds",
                                            description: "wall-clock seconds per sweep")
}

/// Jahromi & Orús's training of a hybrid TNN, shared by the native implementations of
/// TNNClassification and TNNRegression: ``TNNTrainer`` sweeps (plain gradient descent, PaL or
/// LbL) under the harness's ``TrainingLoop``, one round per sweep, with the records both keep —
/// the attribute `strategy`; per sweep `sweep_seconds` (samples), `loss` and `entropy_max`; at
/// the end `entropy_max`, `sweep_seconds` (the `train` timer over the sweeps), `gflops`,
/// `param_count` and the array `entropy` ([sweeps, bonds of every TN layer]). A sweep whose loss
/// or a bond is not finite ends the job as diverged, with the trainer's message.
public struct SweepTraining {
    /// The network, trained after ``run(sweeps:inputs:targets:in:afterSweep:)``.
    public private(set) var network: Sequential<Double>
    /// The trainer, with the last sweep's bonds and training output.
    public private(set) var trainer: TNNTrainer

    /// Plain gradient descent with step `learningRate` on `loss`, in the scheme `strategy` names.
    public init(network: Sequential<Double>, learningRate: Double, loss: Loss, strategy: Strategy) {
        self.network = network
        trainer = TNNTrainer(learningRate: learningRate, loss: loss, strategy: strategy.scheme)
    }

    /// Runs `sweeps` sweeps on `inputs` and `targets`; after each hands the sweep (1-based), the
    /// network and the trainer to `afterSweep` (evaluation time, timed as `evaluate`); records
    /// what the type's summary says.
    /// - Throws: ``Divergence`` for a non-finite sweep; what `afterSweep` throws.
    @discardableResult
    public mutating func run(
        sweeps: Int, inputs: Tensor<Double>, targets: Tensor<Double>, in context: RunContext,
        afterSweep: @escaping (Int, Sequential<Double>, TNNTrainer) throws -> Void = { _, _, _ in }
    ) throws -> TrainingOutcome {
        var network = self.network, trainer = self.trainer
        context.setAttribute("strategy", .string(trainer.strategy.description))
        var entropyRows: [Double] = []
        let loop = TrainingLoop(rounds: sweeps, unit: "sweep", timer: "train",
                                samples: Metric.sweepSeconds.name, lossCurve: Metric.loss.name)
        let outcome: TrainingOutcome
        do {
            outcome = try loop.run(context, observe: { point in
                guard case .endOfRound(let sweep, _, _) = point else { return .proceed }
                try afterSweep(sweep, network, trainer)
                context.append(Metric.entropyMax.name, x: Double(sweep), y: trainer.entropyMax)
                entropyRows += trainer.entropies.flatMap { $0 }
                return .proceed
            }) { _ in
                try trainer.sweep(&network, inputs: inputs, targets: targets)
            }
        } catch TNNTrainingError.nonFinite(let message) {
            throw Divergence(message)
        }
        (self.network, self.trainer) = (network, trainer)

        let trainSeconds = context.recorded.timers["train"] ?? 0
        context.record(.entropyMax, trainer.entropyMax)
        context.record(.sweepSeconds, trainSeconds / Double(sweeps))
        context.record(.gflops, trainSeconds > 0 ? context.recorded.flops / trainSeconds / 1e9 : 0)
        context.record(.parameterCount, Double(network.scalarCount))
        let bondsPerSweep = trainer.entropies.reduce(0) { $0 + $1.count }
        context.record(array: "entropy", shape: [sweeps, bondsPerSweep], values: entropyRows)
        return outcome
    }
}
