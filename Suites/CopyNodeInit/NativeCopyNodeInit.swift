import BarrattProtocol
import Harness
import TensorCore
import TensorNetworks

/// TNBench's own training: the MPS initialized as the `init` axis says (``MatchedInitializer``
/// or ``copyNodeMPS(_:denseNodes:bondDimension:paperVector:in:using:)``), then Adam on every
/// core at once (``AdamMPSTraining``, shared with RankRegularization), one round of the harness's ``TrainingLoop`` per epoch over batches shuffled with
/// `rng("shuffle")`. A batch whose loss or gradient is not finite is skipped; after an epoch
/// whose every batch was, the model cannot change, so training stops and the validation
/// predictions of that model stand for the remaining epochs.
///
/// Records its own numbers: `init_log10_output`, `init_scale_factor`, the array `dense_sites`,
/// the `train_loss` curve and final (cross-entropy of the last epoch with a finite batch),
/// `param_count`, `nonfinite_batches`, `diverged_epoch` (the first epoch with a non-finite
/// batch, when any), `epoch_seconds`, `gflops`; the attributes `label_site`, `feature_map`,
/// `numerics`.
public struct NativeCopyNodeInit: Implementation {
    public init() {}
    public var name: String { "native" }

    public func train(_ inputs: CopyNodeInitProblem.Inputs, for problem: CopyNodeInitProblem, in context: RunContext) throws
        -> Predictions
    {
        let training = AdamMPSTraining(model: initialModel(inputs, in: context), numerics: inputs.numerics, mnist: inputs.mnist)
        return try training.run(in: context) { predictions, round in
            try problem.evaluate(predictions, at: .round(round, x: Double(round)), of: inputs, in: context)
        }
    }

    /// The MPS the `init` axis names, drawn from `rng("init")`.
    private func initialModel(_ inputs: CopyNodeInitProblem.Inputs, in context: RunContext) -> MPSClassifier<Float> {
        let data = inputs.mnist.data
        var rng = context.rng("init")
        switch inputs.initializer {
        case .glorot, .he, .lecun:
            return MatchedInitializer.mps(
                target: VarianceTarget(rawValue: inputs.initializer.rawValue)!, siteCount: data.sites,
                bondDimension: inputs.bondDimension, labelCount: 10, featureMap: data.featureMap, using: &rng)
        case .copyNode, .copyNodeV10:
            guard let denseNodes = inputs.denseNodes else { preconditionFailure("copy-node inputs without dense_nodes") }
            return copyNodeMPS(data, denseNodes: denseNodes, bondDimension: inputs.bondDimension,
                               paperVector: inputs.initializer == .copyNodeV10, in: context, using: &rng)
        }
    }
}
