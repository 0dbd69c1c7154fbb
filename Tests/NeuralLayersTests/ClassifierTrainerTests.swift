@testable import NeuralLayers
import Optimization
import Testing
import TensorCore
import _TestSupport

/// Two Gaussian blobs in 4 dimensions, class 0 around −1 and class 1 around +1: separable, so a
/// linear classifier's cross-entropy falls within a few epochs.
private func blobs(count: Int, seed: UInt64) -> LabeledSamples<Double> {
    var rng = Philox(seed: seed)
    let labels = (0..<count).map { $0 % 2 }
    let noise = Tensor<Double>.randomNormal(shape: [count, 4], using: &rng)
    let inputs = Tensor<Double>(shape: [count, 4], scalars: noise.scalars.enumerated().map { index, x in
        0.3 * x + (labels[index / 4] == 0 ? -1 : 1)
    })
    return LabeledSamples(inputs: inputs, labels: labels)
}

private func linearClassifier(seed: UInt64) -> Sequential<Double> {
    var rng = Philox(seed: seed)
    return Sequential([Dense<Double>(inputSize: 4, units: 2, using: &rng)])
}

@Suite struct ClassifierTrainerTests {
    /// An epoch takes count / batch steps (the partial batch dropped), reports the mean
    /// cross-entropy as `dataLoss` and the counted flops of those steps, and the loss falls over
    /// epochs on separable data.
    @Test func anEpochTakesTheFullBatchesAndTheLossFalls() throws {
        let train = blobs(count: 50, seed: 1)
        var trainer = ClassifierTrainer(network: linearClassifier(seed: 2), optimizer: SGD(learningRate: 0.5), batchSize: 8)
        var shuffle = Philox(seed: 3)
        let stepFlops = trainer.network.trainingFlops(inputShape: [8, 4])
        let first = try trainer.trainEpoch(on: train, shuffle: &shuffle)
        #expect(first.steps == 6 && trainer.steps == 6 && first.nonFiniteSteps == 0)
        #expect(first.loss == nil && first.flops == stepFlops * 6)
        var last = first
        for _ in 0..<4 { last = try trainer.trainEpoch(on: train, shuffle: &shuffle) }
        #expect(trainer.steps == 30)
        let before = try #require(first.dataLoss), after = try #require(last.dataLoss)
        #expect(after < 0.5 * before, "cross-entropy \(before) → \(after)")
        let accuracy = Classification.accuracy(scores: train.outputs(of: trainer.network), labels: train.labels)
        #expect(accuracy >= 0.9)
    }

    /// The same generator gives the same training, number for number.
    @Test func trainingIsDeterministic() throws {
        func run() throws -> (Double?, [Double]) {
            var trainer = ClassifierTrainer(network: linearClassifier(seed: 2), optimizer: SGD(learningRate: 0.1, momentum: 0.9),
                                            batchSize: 5, l2: 1e-3)
            var shuffle = Philox(seed: 7)
            _ = try trainer.trainEpoch(on: blobs(count: 20, seed: 1), shuffle: &shuffle)
            let report = try trainer.trainEpoch(on: blobs(count: 20, seed: 1), shuffle: &shuffle)
            return (report.dataLoss, trainer.network.parameters.flatMap(\.scalars))
        }
        let (a, b) = (try run(), try run())
        #expect(a.0 == b.0 && a.1 == b.1)
    }

    /// A batch in shards: the loss is the whole batch's (one function of the joined logits), the
    /// gradient the sum of the shards' — equal to the unsharded gradient up to rounding (a sum of
    /// a few terms of order one regrouped: 1e-13) — and, computed on one worker or two, the same
    /// bits: the numbers depend on the shards, not on the thread count.
    @Test(arguments: [2, 3, 7])
    func shardedGradientsAreTheBatchsGradientOnAnyThreadCount(shards: Int) {
        let samples = blobs(count: 21, seed: 3)
        var rng = Philox(seed: 4)
        let network = Sequential<Double>([
            Dense(inputSize: 4, units: 5, using: &rng),
            ActivationLayer(.relu),
            Dense(inputSize: 5, units: 2, using: &rng),
        ])
        let indices = Array((0..<21).reversed())
        let whole = ClassifierTrainer(network: network, optimizer: SGD(learningRate: 0.1), batchSize: 21)
        let sharded = ClassifierTrainer(network: network, optimizer: SGD(learningRate: 0.1), batchSize: 21, batchShards: shards)
        let expected = whole.lossAndGradients(samples, indices)
        let one = withBLASThreads(1) { sharded.lossAndGradients(samples, indices) }
        let two = withBLASThreads(2) { sharded.lossAndGradients(samples, indices) }
        expectClose(one.loss, expected.loss, relativeTolerance: 1e-13)
        for (a, e) in zip(one.gradients!, expected.gradients!) { expectClose(a, e, relativeTolerance: 1e-12, absoluteTolerance: 1e-13) }
        #expect(one.loss.bitPattern == two.loss.bitPattern)
        #expect(one.gradients!.flatMap(\.scalars).map(\.bitPattern) == two.gradients!.flatMap(\.scalars).map(\.bitPattern))
    }

    /// The callback sees every step, numbered over the run, with the network after that step;
    /// throwing from it stops the epoch there.
    @Test func theCallbackSeesEveryStepAndCanStop() throws {
        let train = blobs(count: 12, seed: 1)
        var trainer = ClassifierTrainer(network: linearClassifier(seed: 2), optimizer: SGD(learningRate: 0.1), batchSize: 4)
        var shuffle = Philox(seed: 3)
        var seen = [Int]()
        var lastNetwork: [Double] = []
        for _ in 0..<2 {
            _ = try trainer.trainEpoch(on: train, shuffle: &shuffle) { step, network in
                seen.append(step)
                lastNetwork = network.parameters.flatMap(\.scalars)
            }
        }
        #expect(seen == [1, 2, 3, 4, 5, 6])
        #expect(lastNetwork == trainer.network.parameters.flatMap(\.scalars))
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            _ = try trainer.trainEpoch(on: train, shuffle: &shuffle) { step, _ in if step == 7 { throw Stop() } }
        }
        #expect(trainer.steps == 7)
    }

    /// A batch whose loss is not finite stops training with `NonFiniteLoss`, naming the step
    /// over the run and the loss in the message the harness records, and the step is not taken.
    @Test func aNonFiniteLossThrowsNamingTheStep() throws {
        var train = blobs(count: 8, seed: 1)
        var trainer = ClassifierTrainer(network: linearClassifier(seed: 2), optimizer: SGD(learningRate: 0.1), batchSize: 4)
        var shuffle = Philox(seed: 3)
        _ = try trainer.trainEpoch(on: train, shuffle: &shuffle)
        let before = trainer.network.parameters.flatMap(\.scalars)
        train.inputs = Tensor(shape: [8, 4], repeating: .nan)
        let error = try #require(throws: NonFiniteLoss.self) { _ = try trainer.trainEpoch(on: train, shuffle: &shuffle) }
        #expect(error.step == 3 && error.loss.isNaN)
        #expect(error.description == "the training loss became nan at step 3")
        #expect(trainer.steps == 2 && trainer.network.parameters.flatMap(\.scalars) == before)
    }

    /// The outputs of a network over a set, computed in chunks, are its outputs on the whole set.
    @Test func outputsInChunksAreTheNetworksOutputs() {
        let samples = blobs(count: 11, seed: 4)
        let network = linearClassifier(seed: 5)
        let whole = network(samples.inputs)
        let chunked = samples.outputs(of: network, batchSize: 3)
        #expect(chunked.shape == [11, 2])
        #expect(chunked.argmaxRows() == whole.argmaxRows())
        for (a, b) in zip(chunked.scalars, whole.scalars) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b))) }
    }
}

/// A checkpoint between epochs: a trainer restored from it — built afresh from another
/// initialization — trains on exactly as the one that was saved.
@Suite struct ClassifierTrainerCheckpointTests {
    @Test(arguments: [false, true])
    func restoredTrainerContinuesBitForBit(adam: Bool) throws {
        func trainer(seed: UInt64) -> ClassifierTrainer<Double, AnyOptimizer> {
            let optimizer = adam ? AnyOptimizer(Adam(learningRate: 0.05)) : AnyOptimizer(SGD(learningRate: 0.1, momentum: 0.9))
            return ClassifierTrainer(network: linearClassifier(seed: seed), optimizer: optimizer, batchSize: 5, l2: 1e-3)
        }
        let train = blobs(count: 30, seed: 1)
        var original = trainer(seed: 2)
        var shuffle = Philox(seed: 7)
        for _ in 0..<2 { _ = try original.trainEpoch(on: train, shuffle: &shuffle) }
        var state = TrainingState()
        original.save(into: &state)
        state.set("shuffle", generator: shuffle)

        var restored = trainer(seed: 99)
        try restored.restore(from: state)
        var restoredShuffle = try state.generator("shuffle")
        #expect(restored.steps == original.steps)
        for _ in 0..<2 {
            let a = try original.trainEpoch(on: train, shuffle: &shuffle)
            let b = try restored.trainEpoch(on: train, shuffle: &restoredShuffle)
            #expect(a.dataLoss?.bitPattern == b.dataLoss?.bitPattern)
        }
        #expect(original.network.parameters.flatMap(\.scalars).map(\.bitPattern) == restored.network.parameters.flatMap(\.scalars).map(\.bitPattern))

        // A state of another network is refused, naming the mismatch.
        var other = ClassifierTrainer(network: Sequential([Dense<Double>(inputSize: 3, units: 2, using: &shuffle)]),
                                      optimizer: SGD(learningRate: 0.1), batchSize: 5)
        #expect { try other.restore(from: state) } throws: { "\($0)".contains("parameter 0 is [4, 2], the network's [3, 2]") }
    }
}

/// Adam or SGD behind one type, for a test that runs both.
struct AnyOptimizer: Optimizer {
    var base: any Optimizer
    init(_ base: any Optimizer) { self.base = base }
    var step: Int { base.step }
    mutating func update<Scalar: BLASScalar>(_ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>], slots: [Int]) {
        base.update(&parameters, gradients: gradients, slots: slots)
    }
    func save(into state: inout TrainingState, prefix: String) { base.save(into: &state, prefix: prefix) }
    mutating func restore(from state: TrainingState, prefix: String) throws { try base.restore(from: state, prefix: prefix) }
}
