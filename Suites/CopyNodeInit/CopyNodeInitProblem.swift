import BarrattProtocol
import Harness
import TensorCore
import TensorNetworks

/// The `init` axis: the initializations compared.
public enum Initializer: String, ConfigurationAxis {
    case glorot, he, lecun
    case copyNode = "copy_node"
    /// Copy-node with the paper-literal copy vector v = (1, 0), uncalibrated.
    case copyNodeV10 = "copy_node_v10"
    public static let key = "init"

    /// The matched-variance initializations.
    static let matched: [Initializer] = [.glorot, .he, .lecun]
}

/// The `numerics` axis: how the chain's products are represented (``ContractionNumerics``).
public enum Numerics: String, ConfigurationAxis {
    case plain, logscaled
    public static let key = "numerics"

    public var contraction: ContractionNumerics {
        switch self {
        case .plain: .plain
        case .logscaled: .logscaled
        }
    }
}

/// The configuration key of the uniform bond dimension D.
let bondDimensionKey = "D"

/// Barratt et al.'s problem: MNIST 14×14 split 80:20 into training and validation images (the
/// first `train_count` of the file, stratified with `rng("split")`), the first `test_count` test
/// images, Adam's protocol settings, and the evaluation — the validation error of an
/// implementation's class scores after every epoch (the `val_error` curve) and, at the end, the
/// validation and test errors. A row of scores that is not finite counts as an error. The
/// pieces it shares with RankRegularization's problem are ``BarrattMNIST``'s.
public struct CopyNodeInitProblem: Problem {
    static let suite = "CopyNodeInit"

    /// What an implementation trains on.
    public struct Inputs: Sendable {
        /// The data and Adam's settings of the protocol.
        public var mnist: BarrattMNIST
        public var initializer: Initializer
        /// The uniform bond dimension D.
        public var bondDimension: Int
        public var numerics: ContractionNumerics
        /// Dense nodes of a copy-node initialization (nil for the matched ones).
        public var denseNodes: Int?
    }

    public init() {}

    public func inputs(for context: RunContext) throws -> Inputs {
        let initializer = try context.parameters.choice(Initializer.self)
        let bond = try context.parameters.int(bondDimensionKey, in: 1...)
        let numerics = try context.parameters.choice(Numerics.self).contraction
        let mnist = try BarrattMNIST(for: context, suite: Self.suite)
        let denseNodes = initializer == .copyNode || initializer == .copyNodeV10
            ? try context.settings.int("dense_nodes", in: 1...) : nil
        return Inputs(mnist: mnist, initializer: initializer, bondDimension: bond, numerics: numerics, denseNodes: denseNodes)
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

extension CopyNodeInitProblem {
    public var isExchangeable: Bool { true }

    /// Non-finite scores count as errors, as for native (a matched initialization that
    /// overflows is the paper's point).
    public var acceptsNonFiniteScores: Bool { true }

    /// Barratt et al.'s data and Adam's protocol, with the bond dimension, the initialization,
    /// its dense nodes and the contraction numerics.
    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        var values: [String: ConfigurationValue] = [
            "bond_dimension": .int(inputs.bondDimension), Initializer.key: .string(inputs.initializer.rawValue),
            Numerics.key: .string(try context.parameters.choice(Numerics.self).rawValue),
        ]
        if let dense = inputs.denseNodes { values["dense_nodes"] = .int(dense) }
        return inputs.mnist.exchange(adding: values)
    }
}
