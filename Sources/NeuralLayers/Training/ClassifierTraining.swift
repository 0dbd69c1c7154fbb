import Optimization
import TensorCore

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
}

/// Why classifier training stopped.
public enum ClassifierTrainingError: Error, CustomStringConvertible, Sendable {
    /// The loss stopped being finite.
    case nonFinite(step: Int, loss: Double)

    public var description: String {
        switch self {
        case let .nonFinite(step, loss): return "the training loss became \(loss) at step \(step)"
        }
    }
}

/// Mini-batch training of a ``Sequential`` classifier by back-propagation: mean softmax
/// cross-entropy of a batch plus the L2 term `(α/2)·Σ w²` over every trainable tensor, one
/// optimizer step per batch, and the test accuracy measured as the MPO-Net authors' code does.
///
/// Each epoch visits the training samples in a fresh random order (a permutation from the
/// caller's generator) in consecutive batches of `batchSize`; a last partial batch is dropped
/// (none for 60,000 / 100). The test set is evaluated after every epoch (the curves) and every
/// `evaluationInterval` steps (the *best* test accuracy, the maximum over those evaluations and
/// the last one — test-set model selection, what the authors' code prints).
///
/// Returns ``Measurements`` named as the suites record them: scalars `test_accuracy` (after the
/// last step), `best_test_accuracy`, `train_loss` (the last epoch's mean cross-entropy, without
/// the L2 term), `epoch_seconds` (median over epochs of the training time, evaluations
/// excluded), `gflops` (training flops per second of training), `steps`, `epochs`; curves
/// `train_loss`, `test_accuracy` and `epoch_seconds` per epoch; timers `train` and `evaluate`;
/// the training flops.
public enum ClassifierTraining {
    public struct Options: Sendable {
        public var batchSize: Int
        public var epochs: Int
        /// α of the L2 term (0 for none).
        public var l2: Double
        /// Steps between test evaluations for the best accuracy (0: only after the last step).
        public var evaluationInterval: Int
        /// Samples per forward pass when evaluating (memory, not numbers).
        public var evaluationBatchSize: Int

        public init(batchSize: Int, epochs: Int, l2: Double, evaluationInterval: Int, evaluationBatchSize: Int = 500) {
            precondition(batchSize >= 1 && epochs >= 0 && l2 >= 0 && evaluationInterval >= 0 && evaluationBatchSize >= 1,
                         "ClassifierTraining.Options: batch \(batchSize), epochs \(epochs), l2 \(l2), interval \(evaluationInterval)")
            self.batchSize = batchSize
            self.epochs = epochs
            self.l2 = l2
            self.evaluationInterval = evaluationInterval
            self.evaluationBatchSize = evaluationBatchSize
        }
    }

    /// Trains `network` in place.
    ///
    /// - Parameter progress: called after every epoch with the epochs done and the total; it
    ///   may throw to stop (cancellation).
    /// - Throws: ``ClassifierTrainingError/nonFinite(step:loss:)`` when a batch's loss is not
    ///   finite, or what `progress` throws.
    /// - Precondition: the training set holds at least one batch.
    public static func train<Scalar: BLASScalar, O: Optimizer>(
        _ network: inout Sequential<Scalar>, optimizer: inout O,
        train: LabeledSamples<Scalar>, test: LabeledSamples<Scalar>, options: Options,
        shuffle rng: inout Philox, progress: (Int, Int) throws -> Void = { _, _ in }
    ) throws -> Measurements {
        let batch = options.batchSize
        let stepsPerEpoch = train.count / batch
        precondition(stepsPerEpoch >= 1, "ClassifierTraining: \(train.count) samples do not fill a batch of \(batch)")
        let stepFlops = network.trainingFlops(inputShape: [batch] + train.sampleShape)
        var result = Measurements()
        var epochSeconds: [Double] = []
        var trainSeconds = 0.0, evaluateSeconds = 0.0
        var step = 0
        var best = -Double.infinity, last = Double.nan
        func evaluate() -> Double {
            let (accuracy, seconds) = MonotonicClock.timed {
                self.accuracy(network, on: test, batchSize: options.evaluationBatchSize)
            }
            evaluateSeconds += seconds
            return accuracy
        }
        for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
            let order = rng.permutation(train.count)
            var lossSum = 0.0
            var epochTrainSeconds = 0.0
            for b in 0..<stepsPerEpoch {
                let start = MonotonicClock.seconds()
                let samples = train.batch(Array(order[(b * batch) ..< ((b + 1) * batch)]))
                let (logits, caches) = network.forward(samples.inputs)
                let (loss, logitGradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: samples.labels)
                guard loss.isFinite else { throw ClassifierTrainingError.nonFinite(step: step + 1, loss: loss) }
                var gradients = network.backward(logitGradient, caches: caches)
                var parameters = network.parameters
                if options.l2 > 0 {
                    SoftmaxCrossEntropy.addL2Gradient(&gradients, parameters: parameters, alpha: options.l2)
                }
                optimizer.update(&parameters, gradients: gradients)
                network.parameters = parameters
                step += 1
                lossSum += loss
                epochTrainSeconds += MonotonicClock.seconds() - start
                if options.evaluationInterval > 0 && step % options.evaluationInterval == 0 {
                    last = evaluate()
                    best = max(best, last)
                }
            }
            trainSeconds += epochTrainSeconds
            epochSeconds.append(epochTrainSeconds)
            let accuracy = evaluate()
            last = accuracy
            result.append("train_loss", x: Double(epoch), y: lossSum / Double(stepsPerEpoch))
            result.append("test_accuracy", x: Double(epoch), y: accuracy)
            result.append("epoch_seconds", x: Double(epoch), y: epochTrainSeconds)
            try progress(epoch, options.epochs)
        }
        if options.epochs == 0 { last = accuracy(network, on: test, batchSize: options.evaluationBatchSize) }
        best = max(best, last)
        result.scalars["test_accuracy"] = last
        result.scalars["best_test_accuracy"] = best
        result.scalars["train_loss"] = result.curves["train_loss"]?.y.last ?? .nan
        if !epochSeconds.isEmpty {
            result.scalars["epoch_seconds"] = epochSeconds.sorted()[epochSeconds.count / 2]
            result.scalars["gflops"] = stepFlops * Double(step) / trainSeconds / 1e9
        }
        result.scalars["steps"] = Double(step)
        result.scalars["epochs"] = Double(options.epochs)
        result.timers["train"] = trainSeconds
        result.timers["evaluate"] = evaluateSeconds
        result.flops = stepFlops * Double(step)
        return result
    }

    /// The fraction of `samples` whose arg-max output is the label, evaluated in batches.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func accuracy<Scalar: BLASScalar>(
        _ network: Sequential<Scalar>, on samples: LabeledSamples<Scalar>, batchSize: Int = 500
    ) -> Double {
        var correct = 0
        var start = 0
        while start < samples.count {
            let end = min(start + batchSize, samples.count)
            let part = samples.batch(Array(start ..< end))
            let predicted = network(part.inputs).argmaxRows()
            correct += zip(predicted, part.labels).filter { $0.0 == $0.1 }.count
            start = end
        }
        return samples.count == 0 ? .nan : Double(correct) / Double(samples.count)
    }
}
