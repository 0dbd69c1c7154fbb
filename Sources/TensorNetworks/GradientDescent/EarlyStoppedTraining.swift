import Datasets
import TensorCore

/// Epochs of mini-batch training with a validation pass after each and early stopping on the
/// validation loss, the rule of tn4ml's (and Keras') `EarlyStopping(monitor="val_loss",
/// min_delta=0, patience=P)`: the first epoch sets the best loss; every later epoch that does not
/// lower it strictly adds one to a counter that a new minimum resets; training stops when the
/// counter reaches P, or after `maxEpochs`. The model trained last is the one kept.
///
/// The loop knows nothing of the model: `epoch` trains one epoch over the batches it is given
/// and returns its mean loss and flops, `evaluate` measures the validation part.
///
/// Measurements: curves `train_loss`, `val_loss`, `val_accuracy`, `epoch_seconds` (training +
/// validation) per epoch; scalars `val_loss`,
/// `val_accuracy` (last epoch), `epochs_run`, `epoch_seconds` (median over epochs of the training
/// pass plus the validation pass), `samples_per_second` (training samples per second of the
/// training pass, median epoch), `gflops` (training flops per second of training); timers
/// `epoch` and `evaluate`.
public struct EarlyStoppedTraining: Sendable {
    public var maxEpochs: Int
    public var patience: Int
    public var batchSize: Int

    public init(maxEpochs: Int, patience: Int, batchSize: Int) {
        precondition(maxEpochs >= 1 && patience >= 1 && batchSize >= 1,
                     "early-stopped training needs positive epochs, patience and batch size, got \(maxEpochs), \(patience), \(batchSize)")
        self.maxEpochs = maxEpochs
        self.patience = patience
        self.batchSize = batchSize
    }

    public struct Result: Sendable {
        public var measurements: Measurements
        public var epochsRun: Int
    }

    /// - Parameters:
    ///   - trainCount: the training samples, batched with a fresh order per epoch from `shuffle`.
    ///   - epoch: trains one epoch; returns (mean training loss, flops). Throws to stop (divergence).
    ///   - evaluate: the validation loss and accuracy of the current model.
    ///   - progress: after every epoch, (epochs done, validation loss); throwing stops training.
    public func run(
        trainCount: Int, shuffle: Philox,
        epoch: ([[Int]]) throws -> (loss: Double, flops: Double),
        evaluate: () -> BatchEvaluation,
        progress: (Int, Double) throws -> Void = { _, _ in }
    ) throws -> Result {
        let schedule = BatchSchedule(count: trainCount, batchSize: batchSize)
        var result = Measurements()
        var epochSeconds = [Double](), trainSeconds = [Double](), trainingFlops = 0.0
        var best = Double.infinity, wait = 0, done = 0
        var last = BatchEvaluation(loss: .infinity, correct: 0, count: 0, isFinite: false)
        for e in 0..<maxEpochs {
            let batches = schedule.batches(epoch: e, rng: shuffle)
            let (trained, seconds) = try MonotonicClock.timed { try epoch(batches) }
            let (validation, evaluationSeconds) = MonotonicClock.timed { evaluate() }
            trainSeconds.append(seconds)
            epochSeconds.append(seconds + evaluationSeconds)
            result.timers["epoch", default: 0] += seconds
            result.timers["evaluate", default: 0] += evaluationSeconds
            trainingFlops += trained.flops
            result.flops += trained.flops
            last = validation
            done = e + 1
            let accuracy = Double(validation.correct) / Double(Swift.max(validation.count, 1))
            result.append("train_loss", x: Double(done), y: trained.loss)
            result.append("val_loss", x: Double(done), y: validation.loss)
            result.append("val_accuracy", x: Double(done), y: accuracy)
            result.append("epoch_seconds", x: Double(done), y: seconds + evaluationSeconds)
            try progress(done, validation.loss)
            if e == 0 {
                best = validation.loss
            } else {
                wait += 1
                if validation.loss < best { best = validation.loss; wait = 0 }
                if wait >= patience { break }
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        result.scalars["val_loss"] = last.loss
        result.scalars["val_accuracy"] = Double(last.correct) / Double(Swift.max(last.count, 1))
        result.scalars["epochs_run"] = Double(done)
        result.scalars["epoch_seconds"] = median(epochSeconds)
        result.scalars["samples_per_second"] = Double(trainCount) / median(trainSeconds)
        result.scalars["gflops"] = trainingFlops / trainSeconds.reduce(0, +) / 1e9
        return Result(measurements: result, epochsRun: done)
    }
}
