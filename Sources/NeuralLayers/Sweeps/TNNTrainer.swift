import Optimization
import TensorCore
import TensorNetworks

/// Jahromi & Orús's DMRG-like training of a hybrid network by local gradient descent on bond
/// tensors (Sec. III A–C).
///
/// One *pair update* of the neighbouring cores `(i, i+1)` of a TN layer:
/// 1. forward the whole batch through the network and back-propagate the loss, which gives
///    `∂L/∂W` for the layer's contracted weight;
/// 2. form the bond tensor `B = A^i · A^{i+1}` and its exact gradient
///    `∂L/∂B = E_L · ∂L/∂W · E_R`, the matrix gradient projected with the pair's left and right
///    environments (``MPO/bondGradient(matrixGradient:at:)``) — this is what the paper's
///    `GradientTape` computes;
/// 3. step `B' = B − α ∂L/∂B`, split `B' = U S Vᵀ`, truncate to D, and set `A^i = U√S`,
///    `A^{i+1} = √S Vᵀ`; the layer's bias takes a step `b' = b − α ∂L/∂b`.
///
/// The steps are the ``optimizer``'s (an ``SGD``; the paper's is plain gradient descent,
/// `SGD(learningRate: 0.1)`). Biases and dense weights persist between updates, so they are
/// optimizer slots (layer k: weight `2k`, bias `2k + 1`) and would carry momentum or decay if
/// the optimizer had them; one pair update (or one dense update) is one optimizer step. A bond
/// tensor is re-split after its step and its shape can change, so it takes the optimizer's
/// stateless step at the current rate (``SGD/descend(_:along:)``).
///
/// Strategies:
/// - ``Strategy/partialAllLayer`` (PaL, what the paper uses): one sweep runs left→right over
///   the pairs of every TN layer (first layer to last), then right→left (last layer to first);
///   every pair update also takes a gradient step on every trainable ``Dense`` layer.
/// - ``Strategy/layerByLayer(sweepsPerLayer:)`` (LbL): one sweep visits the layers in order;
///   a trainable dense layer takes one gradient step; a TN layer is swept `sweepsPerLayer`
///   times (left→right then right→left) on its own, its dense neighbours fixed.
///
/// Full batch: every update sees all the inputs. Environments are recomputed for each pair
/// from the current cores — for the paper's six-core 64×64 weights this costs far less than
/// the forward pass, and it keeps every update exact.
public struct TNNTrainer: Sendable {
    public enum Strategy: Sendable, Hashable {
        case partialAllLayer
        case layerByLayer(sweepsPerLayer: Int)

        /// The paper's abbreviations, as configuration values spell them.
        public enum Name: String, Sendable, CaseIterable {
            /// ``partialAllLayer``.
            case pal
            /// ``layerByLayer(sweepsPerLayer:)``.
            case lbl
        }

        /// The strategy called `name`; LbL sweeps each TN layer `sweepsPerLayer` times per sweep.
        public init(_ name: Name, sweepsPerLayer: Int) {
            switch name {
            case .pal: self = .partialAllLayer
            case .lbl: self = .layerByLayer(sweepsPerLayer: sweepsPerLayer)
            }
        }

        /// The scheme's name in records ("partial-all-layer", "layer-by-layer").
        public var description: String {
            switch self {
            case .partialAllLayer: return "partial-all-layer"
            case .layerByLayer: return "layer-by-layer"
            }
        }
    }

    /// The steps for bond tensors, biases and dense weights (the paper: plain gradient descent
    /// with α = 0.1).
    public var optimizer: SGD
    public var strategy: Strategy

    public init(optimizer: SGD, strategy: Strategy = .partialAllLayer) {
        if case .layerByLayer(let sweeps) = strategy {
            precondition(sweeps >= 1, "TNNTrainer: sweepsPerLayer must be at least 1, got \(sweeps)")
        }
        self.optimizer = optimizer
        self.strategy = strategy
    }

    /// Plain gradient descent with step size α.
    public init(learningRate: Double = 0.1, strategy: Strategy = .partialAllLayer) {
        self.init(optimizer: SGD(learningRate: learningRate), strategy: strategy)
    }

    /// What one sweep did.
    public struct SweepReport: Sendable {
        /// The loss on the training batch after the sweep.
        public var loss: Double
        /// The network's output on the training batch after the sweep.
        public var output: Tensor<Double>
        /// Per TN layer (in network order), per bond: the last split of the sweep.
        public var bonds: [[BondSplit]]
        /// Floating-point operations of the sweep (model count: products and SVDs).
        public var flops: Double

        /// The entropy of every bond, TN layer by TN layer.
        public var entropies: [[Double]] { bonds.map { $0.map(\.entropy) } }
        /// The largest bond entropy over all TN layers.
        public var entropyMax: Double { entropies.joined().max() ?? 0 }
    }

    /// One sweep of the chosen strategy over the full batch.
    ///
    /// - Throws: ``TNNTrainingError/nonFinite(_:)`` when the loss or a bond tensor becomes
    ///   non-finite, or ``LinearAlgebraError`` when an SVD fails.
    public mutating func sweep(_ network: inout Network, inputs: Tensor<Double>, targets: Tensor<Double>) throws -> SweepReport {
        let tnLayers = network.tensorNetworkLayerIndices
        var bonds: [[BondSplit]] = tnLayers.map { index in
            guard case .tensorNetwork(let tn) = network.layers[index] else { return [] }
            return [BondSplit](repeating: BondSplit(singularValues: [], discardedWeight: 0), count: tn.mpo.siteCount - 1)
        }
        var flops = 0.0
        func pair(_ position: Int, _ bond: Int, updateDense: Bool) throws {
            let result = try updatePair(&network, layer: tnLayers[position], bond: bond,
                                        inputs: inputs, targets: targets, updateDense: updateDense)
            bonds[position][bond] = result.split
            flops += result.flops
        }
        switch strategy {
        case .partialAllLayer:
            for position in tnLayers.indices {
                for bond in 0..<bonds[position].count { try pair(position, bond, updateDense: true) }
            }
            for position in tnLayers.indices.reversed() {
                for bond in (0..<bonds[position].count).reversed() { try pair(position, bond, updateDense: true) }
            }
        case .layerByLayer(let sweepsPerLayer):
            for index in network.layers.indices {
                switch network.layers[index] {
                case .dense(let dense) where dense.trainable:
                    let (loss, _, gradients) = network.lossAndGradients(inputs: inputs, targets: targets)
                    guard loss.isFinite else { throw TNNTrainingError.nonFinite("loss became \(loss) before updating dense layer \(index)") }
                    step(&network, gradients: gradients, denseLayers: [index], tnBiasOf: nil)
                    flops += 3 * network.forwardFlops(batch: inputs.shape[0])
                case .dense:
                    continue
                case .tensorNetwork:
                    let position = tnLayers.firstIndex(of: index)!
                    for _ in 0..<sweepsPerLayer {
                        for bond in 0..<bonds[position].count { try pair(position, bond, updateDense: false) }
                        for bond in (0..<bonds[position].count).reversed() { try pair(position, bond, updateDense: false) }
                    }
                }
            }
        }
        let output = network(inputs)
        let loss = network.loss(output, targets)
        flops += network.forwardFlops(batch: inputs.shape[0])
        guard loss.isFinite else { throw TNNTrainingError.nonFinite("loss became \(loss) after the sweep") }
        return SweepReport(loss: loss, output: output, bonds: bonds, flops: flops)
    }

    /// One local gradient-descent update of the bond `(bond, bond+1)` of the TN layer at
    /// `layer` (see the type's documentation); with `updateDense`, every trainable dense layer
    /// also takes a step with the gradient of the same forward/backward pass.
    ///
    /// - Returns: the loss before the update, the split, and the update's floating-point work.
    @discardableResult
    public mutating func updatePair(
        _ network: inout Network, layer: Int, bond: Int, inputs: Tensor<Double>, targets: Tensor<Double>,
        updateDense: Bool
    ) throws -> (loss: Double, split: BondSplit, flops: Double) {
        guard case .tensorNetwork(var tn) = network.layers[layer] else {
            preconditionFailure("updatePair: layer \(layer) is not a TNLayer")
        }
        let (loss, _, gradients) = network.lossAndGradients(inputs: inputs, targets: targets)
        guard loss.isFinite else {
            throw TNNTrainingError.nonFinite("loss became \(loss) before updating bond \(bond) of layer \(layer)")
        }
        var bondTensor = tn.mpo.bondTensor(at: bond)
        let gradient = tn.mpo.bondGradient(matrixGradient: gradients[layer].weight!, at: bond)
        optimizer.descend(&bondTensor, along: gradient)
        guard bondTensor.isFinite else {
            throw TNNTrainingError.nonFinite("bond \(bond) of layer \(layer) became non-finite")
        }
        let split = try tn.mpo.split(bondTensor: bondTensor, at: bond, truncation: tn.truncation)
        network.layers[layer] = .tensorNetwork(tn)
        let dense = updateDense ? network.layers.indices.filter { network.layers[$0].isTrainableDense } : []
        step(&network, gradients: gradients, denseLayers: dense, tnBiasOf: layer)

        let s = bondTensor.shape
        let m = Double(s[0] * s[1] * s[2]), n = Double(s[3] * s[4] * s[5])
        let projection = 2 * Double(tn.mpo.inputSize * tn.mpo.outputSize) * Double(s[0] + s[5]) * Double(s[0])
        let flops = 3 * network.forwardFlops(batch: inputs.shape[0]) + projection + 4 * m * n * Swift.min(m, n)
        return (loss, split, flops)
    }

    /// One optimizer step on the persistent parameters of an update: the weights and biases of
    /// the trainable dense layers `denseLayers` and the bias of the TN layer `tnBiasOf`
    /// (plain descent: `W' = W − α ∂L/∂W`, `b' = b − α ∂L/∂b`).
    mutating func step(_ network: inout Network, gradients: [LayerGradient], denseLayers: [Int], tnBiasOf tnLayer: Int?) {
        var parameters: [Tensor<Double>] = [], steps: [Tensor<Double>] = [], slots: [Int] = []
        if let index = tnLayer, case .tensorNetwork(let tn) = network.layers[index] {
            parameters.append(tn.bias)
            steps.append(gradients[index].bias!)
            slots.append(2 * index + 1)
        }
        for index in denseLayers {
            guard case .dense(let dense) = network.layers[index], dense.trainable, let bias = dense.bias,
                  let dw = gradients[index].weight, let db = gradients[index].bias else { continue }
            parameters += [dense.weight, bias]
            steps += [dw, db]
            slots += [2 * index, 2 * index + 1]
        }
        guard !parameters.isEmpty else { return }
        optimizer.update(&parameters, gradients: steps, slots: slots)
        var next = 0
        if let index = tnLayer, case .tensorNetwork(var tn) = network.layers[index] {
            tn.bias = parameters[next]
            next += 1
            network.layers[index] = .tensorNetwork(tn)
        }
        for index in denseLayers {
            guard case .dense(var dense) = network.layers[index], dense.trainable, dense.bias != nil,
                  gradients[index].weight != nil, gradients[index].bias != nil else { continue }
            dense.weight = parameters[next]
            dense.bias = parameters[next + 1]
            next += 2
            network.layers[index] = .dense(dense)
        }
    }

    /// The exact gradient of the loss with respect to the bond tensor `(bond, bond+1)` of the TN
    /// layer at `layer`, shaped like ``MPO/bondTensor(at:)``.
    public static func bondGradient(
        _ network: Network, layer: Int, bond: Int, inputs: Tensor<Double>, targets: Tensor<Double>
    ) -> Tensor<Double> {
        guard case .tensorNetwork(let tn) = network.layers[layer] else {
            preconditionFailure("bondGradient: layer \(layer) is not a TNLayer")
        }
        let gradients = network.lossAndGradients(inputs: inputs, targets: targets).gradients
        return tn.mpo.bondGradient(matrixGradient: gradients[layer].weight!, at: bond)
    }
}

/// Why training stopped.
public enum TNNTrainingError: Error, CustomStringConvertible, Sendable {
    /// The loss or a bond tensor stopped being finite.
    case nonFinite(String)

    public var description: String {
        switch self {
        case .nonFinite(let message): return message
        }
    }
}
