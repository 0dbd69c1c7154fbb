import Optimization
import TensorCore

/// Mini-batch training of a ``Sequential`` classifier by back-propagation, one epoch at a time:
/// mean softmax cross-entropy of a batch plus the L2 term `(α/2)·Σ w²` over every trainable
/// tensor, one optimizer step per batch.
///
/// Each epoch visits the training samples in a fresh random order (a permutation from the
/// caller's generator) in consecutive batches of ``batchSize``; a last partial batch is dropped
/// (none for 60,000 / 100). What the caller measures between steps (an evaluation every so many
/// steps) hangs on the one callback of ``trainEpoch(on:shuffle:afterStep:)``.
///
/// **Batch shards.** With ``batchShards`` = S > 1, a batch is cut into S consecutive shards
/// (sizes differing by at most one); their forward passes run in parallel, the loss and its
/// gradient are taken once on their logits put back together (the same function of the logits
/// as for the whole batch), then their backward passes run in parallel and the batch's gradient
/// is the shards' gradients added in shard order. Shards run on up to BLAS's thread count of
/// workers (``ParallelWorkers``), BLAS one thread each: a network of many small products
/// (convolutions with few channels, pooling, activations) keeps every core busy, where BLAS's
/// own threads would share out products too small to divide. The numbers depend on S and not on
/// the thread count; S = 1 is the whole batch in one pass, BLAS threading its products.
public struct ClassifierTrainer<Scalar: BLASScalar, O: Optimizer> {
    /// The network being trained.
    public var network: Sequential<Scalar>
    public var optimizer: O
    public let batchSize: Int
    /// α of the L2 term (0 for none).
    public let l2: Double
    /// How many shards a batch's forward and backward passes are cut into (see the type's
    /// documentation); 1 for none.
    public let batchShards: Int
    /// Optimizer steps taken so far, over all epochs.
    public private(set) var steps = 0

    /// - Precondition: `batchSize ≥ 1`, `l2 ≥ 0`, `1 ≤ batchShards ≤ batchSize`.
    public init(network: Sequential<Scalar>, optimizer: O, batchSize: Int, l2: Double = 0, batchShards: Int = 1) {
        precondition(batchSize >= 1 && l2 >= 0, "ClassifierTrainer: batch \(batchSize), l2 \(l2)")
        precondition(batchShards >= 1 && batchShards <= batchSize,
                     "ClassifierTrainer: \(batchShards) shards of a batch of \(batchSize)")
        self.network = network
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.l2 = l2
        self.batchShards = batchShards
    }

    /// Trains one epoch over `train`.
    ///
    /// The report's `dataLoss` is the epoch's mean cross-entropy over its batches, without the L2
    /// term (which is not evaluated); `loss` is nil. `flops` counts the forward and backward
    /// passes (``Sequential/trainingFlops(inputShape:)``).
    ///
    /// - Parameter afterStep: called after every step with the steps taken over the run
    ///   (1-based) and the network as it now is; it may throw to stop (cancellation).
    /// - Throws: ``NonFiniteLoss`` when a batch's loss is not finite (the step is not taken),
    ///   or what `afterStep` throws.
    /// - Precondition: `train` holds at least one batch.
    public mutating func trainEpoch(
        on train: LabeledSamples<Scalar>, shuffle rng: inout Philox,
        afterStep: (_ step: Int, _ network: Sequential<Scalar>) throws -> Void = { _, _ in }
    ) throws -> EpochReport {
        let stepsPerEpoch = train.count / batchSize
        precondition(stepsPerEpoch >= 1, "ClassifierTrainer: \(train.count) samples do not fill a batch of \(batchSize)")
        let stepFlops = network.trainingFlops(inputShape: [batchSize] + train.sampleShape)
        let order = rng.permutation(train.count)
        var lossSum = 0.0
        for b in 0..<stepsPerEpoch {
            let (loss, batchGradients) = lossAndGradients(train, Array(order[(b * batchSize) ..< ((b + 1) * batchSize)]))
            guard loss.isFinite, var gradients = batchGradients else { throw NonFiniteLoss(step: steps + 1, loss: loss) }
            var parameters = network.parameters
            if l2 > 0 {
                SoftmaxCrossEntropy.addL2Gradient(&gradients, parameters: parameters, alpha: l2)
            }
            optimizer.update(&parameters, gradients: gradients)
            network.parameters = parameters
            steps += 1
            lossSum += loss
            try afterStep(steps, network)
        }
        return EpochReport(loss: nil, dataLoss: lossSum / Double(stepsPerEpoch), flops: stepFlops * Double(stepsPerEpoch),
                           steps: stepsPerEpoch)
    }
}

extension ClassifierTrainer {
    /// The mean cross-entropy of the batch `indices` of `train` (without the L2 term) and the
    /// gradient of every entry of the network's ``Sequential/parameters`` (nil when the loss is
    /// not finite: no backward pass), in ``batchShards`` shards: one training step's work before
    /// the optimizer's.
    public func lossAndGradients(_ train: LabeledSamples<Scalar>, _ indices: [Int]) -> (loss: Double, gradients: [Tensor<Scalar>]?) {
        let labels = indices.map { train.labels[$0] }
        guard batchShards > 1 else {
            let (logits, caches) = network.forward(train.batch(indices).inputs)
            let (loss, logitGradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels)
            return (loss, loss.isFinite ? network.backward(logitGradient, caches: caches) : nil)
        }
        let shards = batchShards, workers = BLASRuntime.threadCount
        let bounds = (0...shards).map { $0 * indices.count / shards }
        let network = self.network
        var logits = [Tensor<Scalar>](repeating: Tensor(zeros: [0]), count: shards)
        var caches = [[any Sendable]](repeating: [], count: shards)
        logits.withUnsafeMutableBufferPointer { logits in
            caches.withUnsafeMutableBufferPointer { caches in
                ParallelWorkers.forEach(shards, workers: workers) { s in
                    (logits[s], caches[s]) = network.forward(train.batch(Array(indices[bounds[s] ..< bounds[s + 1]])).inputs)
                }
            }
        }
        let (loss, logitGradient) = SoftmaxCrossEntropy.lossAndGradient(logits: .concatenated(logits), labels: labels)
        guard loss.isFinite else { return (loss, nil) }
        var gradients = [[Tensor<Scalar>]](repeating: [], count: shards)
        gradients.withUnsafeMutableBufferPointer { gradients in
            ParallelWorkers.forEach(shards, workers: workers) { s in
                gradients[s] = network.backward(logitGradient.slice(bounds[s] ..< bounds[s + 1]), caches: caches[s])
            }
        }
        var total = gradients[0]
        for s in 1..<shards {
            for p in total.indices { total[p] += gradients[s][p] }
        }
        return (loss, total)
    }
}

/// A labelled set of samples: `inputs` `[count, …]` (any sample shape) and one class per sample.
public struct LabeledSamples<Scalar: BLASScalar>: Sendable {
    public var inputs: Tensor<Scalar>
    public var labels: [Int]

    /// - Precondition: one label per sample.
    public init(inputs: Tensor<Scalar>, labels: [Int]) {
        precondition(inputs.rank >= 2 && inputs.shape[0] == labels.count,
                     "LabeledSamples: \(inputs.shape) inputs for \(labels.count) labels")
        self.inputs = inputs
        self.labels = labels
    }

    public var count: Int { labels.count }
    /// The shape of one sample.
    public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// The samples at `indices`, in that order, as one batch.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func batch(_ indices: [Int]) -> LabeledSamples {
        let size = sampleShape.reduce(1, *)
        let gathered = Tensor<Scalar>(shape: [indices.count] + sampleShape) { out in
            inputs.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    let from = source.baseAddress! + index * size
                    (out.baseAddress! + row * size).update(from: from, count: size)
                }
            }
        }
        return LabeledSamples(inputs: gathered, labels: indices.map { labels[$0] })
    }

    /// The outputs of `network` for every sample, `[count, outputs]`, computed `batchSize`
    /// samples at a time (memory, not numbers): the scores an evaluation reads.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func outputs(of network: Sequential<Scalar>, batchSize: Int = 500) -> Tensor<Scalar> {
        precondition(batchSize >= 1, "LabeledSamples.outputs: batch \(batchSize)")
        var rows = [Scalar]()
        var width = 0
        var start = 0
        while start < count {
            let end = min(start + batchSize, count)
            let part = network(batch(Array(start ..< end)).inputs)
            width = part.shape[1]
            rows += part.scalars
            start = end
        }
        return Tensor(shape: [count, width], scalars: rows)
    }
}

extension ClassifierTrainer {
    /// Writes what the next epochs depend on: the network's parameters, the optimizer's state
    /// and the step count (a checkpoint between two epochs; the shuffling stream is the caller's).
    public func save(into state: inout TrainingState) {
        let parameters = network.parameters
        state.set("network/count", count: parameters.count)
        for (k, parameter) in parameters.enumerated() { state.set("network/\(k)", tensor: parameter) }
        optimizer.save(into: &state, prefix: "optimizer")
        state.set("steps", count: steps)
    }

    /// Reads back what ``save(into:)`` wrote into this trainer's network (built as before).
    ///
    /// - Throws: ``TrainingStateError`` when the state does not fit the network (another
    ///   architecture or precision) or lacks an entry.
    public mutating func restore(from state: TrainingState) throws {
        let current = network.parameters
        guard try state.count("network/count") == current.count else {
            throw TrainingStateError("\(try state.count("network/count")) parameter tensors for a network of \(current.count)")
        }
        let restored = try current.indices.map { try state.tensor("network/\($0)", as: Scalar.self) }
        if let k = current.indices.first(where: { restored[$0].shape != current[$0].shape }) {
            throw TrainingStateError("parameter \(k) is \(restored[k].shape), the network's \(current[k].shape)")
        }
        network.parameters = restored
        try optimizer.restore(from: state, prefix: "optimizer")
        steps = try state.count("steps")
    }
}
