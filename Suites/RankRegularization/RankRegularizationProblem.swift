import BarrattProtocol
import Harness
import TensorCore
import TensorNetworks

/// The `model` axis: the plain copy-node MPS at D = D_max, or the rank-regularized one.
public enum Model: String, ConfigurationAxis {
    case mps
    case rankRegularized = "rank_regularized"
    public static let key = "model"
}

/// The configuration key of the largest bond dimension D_max.
let maxBondDimensionKey = "D_max"

/// The CopyNodeInit suite's problem with the rank-regularization protocol's settings: MNIST
/// 14×14 split 80:20 (the first `train_count` images, stratified with `rng("split")`), the first
/// `test_count` test images, and the evaluation — the validation error of an implementation's
/// class scores after every epoch (the `val_error` curve), and at the end the validation and
/// test errors. A row of scores that is not finite counts as an error. The pieces it shares with
/// CopyNodeInit's problem are ``BarrattMNIST``'s.
public struct RankRegularizationProblem: Problem {
    static let suite = "RankRegularization"

    /// What an implementation trains on.
    public struct Inputs: Sendable {
        /// The data and Adam's settings of the protocol.
        public var mnist: BarrattMNIST
        public var model: Model
        /// D_max: the bond dimension of the MPS, and the regularizers' largest.
        public var maxBondDimension: Int
        public var numerics: ContractionNumerics
        /// Dense nodes of the copy-node initialization.
        public var denseNodes: Int
        /// τ of the regularizers' sigmoids (rank-regularized only).
        public var sharpness: Double?
    }

    public init() {}

    public func inputs(for context: RunContext) throws -> Inputs {
        let bond = try context.parameters.int(maxBondDimensionKey, in: 1...)
        let model = try context.parameters.choice(Model.self)
        let numerics = try context.settings.choice("numerics", as: ContractionNumerics.self)
        let mnist = try BarrattMNIST(for: context, suite: Self.suite)
        let denseNodes = try context.settings.int("dense_nodes", in: 1...)
        let sharpness = model == .rankRegularized ? try context.settings.double("sharpness", in: 0...) : nil
        return Inputs(mnist: mnist, model: model, maxBondDimension: bond, numerics: numerics, denseNodes: denseNodes,
                      sharpness: sharpness)
    }

    /// The validation error of the "validation" scores: a curve point at a round; at the end
    /// also the test error of the "test" scores, with the protocol's size
    /// (``BarrattMNIST/evaluate(_:at:in:)``).
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        try inputs.mnist.evaluate(predictions, at: checkpoint, in: context)
    }
}

extension RankRegularizationProblem {
    public var isExchangeable: Bool { true }

    /// Non-finite scores count as errors, as for native.
    public var acceptsNonFiniteScores: Bool { true }

    /// Barratt et al.'s data and Adam's protocol, with the model, D_max, the copy-node start's
    /// dense nodes, the contraction numerics and (rank-regularized) the sigmoids' width τ.
    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        var values: [String: ConfigurationValue] = [
            Model.key: .string(inputs.model.rawValue), "bond_dimension": .int(inputs.maxBondDimension),
            "dense_nodes": .int(inputs.denseNodes),
            "numerics": .string(inputs.numerics.rawValue),
        ]
        if let sharpness = inputs.sharpness { values["sharpness"] = .double(sharpness) }
        return inputs.mnist.exchange(adding: values)
    }
}
