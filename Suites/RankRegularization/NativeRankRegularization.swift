import BarrattProtocol
import Harness
import TensorCore
import TensorNetworks

extension Metric {
    static let penaltyWeight = Metric(
        "penalty_weight", .smallerIsBetter, kind: .informational, unit: "λ",
        description: "λ of λ·P(s)/P(D_max): P(D_max)/N_train (AIC)")
}

/// The arrays of a rank-regularized run: the rounded and the soft bond dimensions along the chain.
let bondDimensionsArray = "bond_dimensions", softBondDimensionsArray = "soft_bond_dimensions"

/// TNBench's own training: a copy-node MPS at D_max (v = (1, 0.8), output scale calibrated,
/// ``CopyNodeInitialization``), with a ``RankRegularizer`` on every internal bond for the
/// rank-regularized model, then Adam on every core at once (``AdamMPSTraining``), one round of
/// the harness's ``TrainingLoop`` per epoch over batches shuffled with `rng("shuffle")`. The
/// predictions are always the truncated, absorbed model's. A batch whose loss or gradient is not
/// finite is skipped; after an epoch whose every batch was, the model cannot change, so training
/// stops and the validation predictions of that model stand for the remaining epochs.
///
/// Records its own numbers: `init_log10_output`, `init_scale_factor`, `penalty_weight`, the
/// arrays `dense_sites`, `bond_dimensions` and `soft_bond_dimensions`, the `train_loss` curve
/// and final (cross-entropy, penalty excluded, of the last epoch with a finite batch),
/// `param_count` (of the truncated model), `nonfinite_batches`, `diverged_epoch`,
/// `epoch_seconds`, `gflops`; the attributes `label_site`, `feature_map`, `numerics`.
public struct NativeRankRegularization: Implementation {
    public init() {}
    public var name: String { "native" }

    public func train(
        _ inputs: RankRegularizationProblem.Inputs, for problem: RankRegularizationProblem, in context: RunContext
    ) throws -> Predictions {
        let data = inputs.mnist.data, bond = inputs.maxBondDimension
        var rng = context.rng("init")
        let model = copyNodeMPS(data, denseNodes: inputs.denseNodes, bondDimension: bond, in: context, using: &rng)
        // AIC price: P(s)/N_train nats per sample, i.e. λ = P(D_max)/N_train in normalized form.
        let fullCount = MPSClassifier<Float>.uniformParameterCount(siteCount: data.sites, bondDimension: bond,
                                                                   physical: 2, labelCount: 10)
        let penaltyWeight = Double(fullCount) / Double(data.train.count)
        let regularizer = inputs.sharpness.map {
            RankRegularizer(bondCount: data.sites - 1, maxBondDimension: bond, sharpness: $0, penaltyWeight: penaltyWeight)
        }
        if regularizer != nil { context.record(.penaltyWeight, penaltyWeight) }
        let training = AdamMPSTraining(model: model, regularizer: regularizer, numerics: inputs.numerics, mnist: inputs.mnist)
        let predictions = try training.run(in: context) { predictions, round in
            try problem.evaluate(predictions, at: .round(round, x: Double(round)), of: inputs, in: context)
        }
        if let trained = training.trainer.regularizer {
            let dims = trained.hardDimensions()
            context.record(array: bondDimensionsArray, shape: [dims.count], values: dims.map(Double.init))
            context.record(array: softBondDimensionsArray, shape: [dims.count], values: trained.softDimensions.scalars)
        }
        return predictions
    }
}
