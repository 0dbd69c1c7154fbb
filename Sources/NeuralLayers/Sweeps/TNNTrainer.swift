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
/// Strategies:
/// - ``Strategy/partialAllLayer`` (PaL, what the paper uses): one sweep runs left→right over
///   the pairs of every TN layer (first layer to last), then right→left (last layer to first);
///   every pair update also takes a gradient step on every trainable ``Dense`` layer.
/// - ``Strategy/layerByLayer(sweepsPerLayer:)`` (LbL): one sweep visits the layers in order;
///   a trainable dense layer takes one gradient step; a TN layer is swept `sweepsPerLayer`
///   times (left→right then right→left) on its own.
///
/// Full batch: every update sees all the inputs. Environments are recomputed for each pair
/// from the current cores — for the paper's six-core 64×64 weights this costs far less than
/// the forward pass, and it keeps every update exact.
public struct TNNTrainer: Sendable {
    public enum Strategy: Sendable, Hashable {
        case partialAllLayer
        case layerByLayer(sweepsPerLayer: Int)
    }

    /// α, the step size for bond tensors, biases and dense weights (the paper uses 0.1).
    public var learningRate: Double
    public var strategy: Strategy

    public init(learningRate: Double = 0.1, strategy: Strategy = .partialAllLayer) {
        self.learningRate = learningRate
        self.strategy = strategy
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
    public func sweep(_ network: inout Network, inputs: Tensor<Double>, targets: Tensor<Double>) throws -> SweepReport {
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
                    stepDense(&network, gradients: gradients, only: index)
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
    public func updatePair(
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
        bondTensor.add(gradient, scaledBy: -learningRate)
        guard bondTensor.isFinite else {
            throw TNNTrainingError.nonFinite("bond \(bond) of layer \(layer) became non-finite")
        }
        let split = try tn.mpo.split(bondTensor: bondTensor, at: bond, truncation: tn.truncation)
        tn.bias.add(gradients[layer].bias!, scaledBy: -learningRate)
        network.layers[layer] = .tensorNetwork(tn)
        if updateDense { stepDense(&network, gradients: gradients, only: nil) }

        let s = bondTensor.shape
        let m = Double(s[0] * s[1] * s[2]), n = Double(s[3] * s[4] * s[5])
        let projection = 2 * Double(tn.mpo.inputSize * tn.mpo.outputSize) * Double(s[0] + s[5]) * Double(s[0])
        let flops = 3 * network.forwardFlops(batch: inputs.shape[0]) + projection + 4 * m * n * Swift.min(m, n)
        return (loss, split, flops)
    }

    /// `W' = W − α ∂L/∂W`, `b' = b − α ∂L/∂b` for the trainable dense layers (all, or one).
    func stepDense(_ network: inout Network, gradients: [LayerGradient], only: Int?) {
        for index in network.layers.indices where only == nil || only == index {
            guard case .dense(var dense) = network.layers[index], dense.trainable,
                  let dw = gradients[index].weight, let db = gradients[index].bias else { continue }
            dense.weight.add(dw, scaledBy: -learningRate)
            dense.bias.add(db, scaledBy: -learningRate)
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
