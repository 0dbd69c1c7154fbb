import TensorCore

/// The training loop the TNN suites share: `sweeps` full-batch sweeps of a ``TNNTrainer``,
/// with an observer called after every sweep (to record curves, evaluate held-out data, check
/// for cancellation) and a timing hook around each sweep alone.
///
/// ```swift
/// var trainer = TNNTrainer(learningRate: 0.1, strategy: .partialAllLayer)
/// let reports = try TNNTraining.run(&network, trainer: &trainer, inputs: x, targets: y, sweeps: 60,
///                                   timing: { try context.measure("train", $0).value }) { sweep, report, network in
///     context.append("loss", x: Double(sweep), y: report.loss)
/// }
/// // Without `timing:`, label the observer (`observe: { … }`): a lone trailing closure is `timing`.
/// ```
public enum TNNTraining {
    /// Trains `network` for `sweeps` sweeps and returns one report per sweep.
    ///
    /// - Parameters:
    ///   - timing: wraps each sweep (and only the sweep) — e.g. a timer; the default runs it.
    ///   - observe: called after sweep `sweep` (1-based) with its report and the network after it;
    ///     an error it throws stops training and is rethrown.
    /// - Throws: ``TNNTrainingError/nonFinite(_:)`` naming the sweep when the loss or a bond
    ///   tensor becomes non-finite; ``LinearAlgebraError`` when an SVD fails; whatever `timing`
    ///   or `observe` throws.
    @discardableResult
    public static func run(
        _ network: inout Network, trainer: inout TNNTrainer, inputs: Tensor<Double>, targets: Tensor<Double>,
        sweeps: Int,
        timing: (() throws -> TNNTrainer.SweepReport) throws -> TNNTrainer.SweepReport = { try $0() },
        observe: (_ sweep: Int, _ report: TNNTrainer.SweepReport, _ network: Network) throws -> Void = { _, _, _ in }
    ) throws -> [TNNTrainer.SweepReport] {
        precondition(sweeps >= 1, "TNNTraining: sweeps must be at least 1, got \(sweeps)")
        var reports: [TNNTrainer.SweepReport] = []
        reports.reserveCapacity(sweeps)
        for sweep in 1...sweeps {
            let report: TNNTrainer.SweepReport
            do {
                report = try timing { try trainer.sweep(&network, inputs: inputs, targets: targets) }
            } catch TNNTrainingError.nonFinite(let message) {
                throw TNNTrainingError.nonFinite("\(message) at sweep \(sweep)")
            }
            try observe(sweep, report, network)
            reports.append(report)
        }
        return reports
    }
}
