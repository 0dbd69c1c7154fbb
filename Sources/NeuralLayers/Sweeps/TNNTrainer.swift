import Optimization
import TensorCore
import TensorNetworks

/// Jahromi & Orús's DMRG-like training of a hybrid network — a ``Sequential`` of ``Dense`` and
/// ``TNLayer`` layers — by local gradient descent on bond tensors (Sec. III A–C).
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
///
/// ```swift
/// var trainer = TNNTrainer(learningRate: 0.1, loss: .binaryCrossEntropy)
/// let report = try trainer.sweep(&network, inputs: x, targets: y)   // one sweep: an EpochReport
/// let entropies = trainer.entropies                                  // its last splits' entropies
/// ```
public struct TNNTrainer: Sendable {
    public enum Strategy: Sendable, Hashable {
        case partialAllLayer
        case layerByLayer(sweepsPerLayer: Int)

        /// The scheme's name ("partial-all-layer", "layer-by-layer").
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
    /// The loss the sweeps descend.
    public var loss: Loss
    /// Sweeps done so far.
    public private(set) var sweepCount = 0
    /// Per TN layer (in network order), per bond: the last split of the last sweep.
    public private(set) var bonds: [[BondSplit]] = []
    /// The network's output on the training batch after the last sweep.
    public private(set) var output: Tensor<Double>?

    public init(optimizer: SGD, loss: Loss, strategy: Strategy = .partialAllLayer) {
        if case .layerByLayer(let sweeps) = strategy {
            precondition(sweeps >= 1, "TNNTrainer: sweepsPerLayer must be at least 1, got \(sweeps)")
        }
        self.optimizer = optimizer
        self.loss = loss
        self.strategy = strategy
    }

    /// Plain gradient descent with step size α.
    public init(learningRate: Double = 0.1, loss: Loss, strategy: Strategy = .partialAllLayer) {
        self.init(optimizer: SGD(learningRate: learningRate), loss: loss, strategy: strategy)
    }

    /// The entropy of every bond of the last sweep, TN layer by TN layer.
    public var entropies: [[Double]] { bonds.map { $0.map(\.entropy) } }
    /// The largest bond entropy of the last sweep over all TN layers.
    public var entropyMax: Double { entropies.joined().max() ?? 0 }

    /// One sweep of the chosen strategy over the full batch. The report's loss is the loss on
    /// the batch after the sweep; its steps are the pair (and LbL dense) updates.
    ///
    /// - Throws: ``TNNTrainingError/nonFinite(_:)`` naming the sweep when the loss or a bond
    ///   tensor becomes non-finite, or ``LinearAlgebraError`` when an SVD fails.
    public mutating func sweep(_ network: inout Sequential<Double>, inputs: Tensor<Double>, targets: Tensor<Double>) throws -> EpochReport {
        sweepCount += 1
        do {
            return try sweepOnce(&network, inputs: inputs, targets: targets)
        } catch TNNTrainingError.nonFinite(let message) {
            throw TNNTrainingError.nonFinite("\(message) at sweep \(sweepCount)")
        }
    }

    mutating func sweepOnce(_ network: inout Sequential<Double>, inputs: Tensor<Double>, targets: Tensor<Double>) throws -> EpochReport {
        let tnLayers = network.tensorNetworkLayerIndices
        bonds = tnLayers.map { index in
            let sites = (network.layers[index] as? TNLayer)?.mpo.siteCount ?? 1
            return [BondSplit](repeating: BondSplit(singularValues: [], discardedWeight: 0), count: sites - 1)
        }
        var flops = 0.0, steps = 0
        func pair(_ position: Int, _ bond: Int, updateDense: Bool) throws {
            let result = try updatePair(&network, layer: tnLayers[position], bond: bond,
                                        inputs: inputs, targets: targets, updateDense: updateDense)
            bonds[position][bond] = result.split
            flops += result.flops
            steps += 1
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
                if let dense = network.layers[index] as? Dense<Double> {
                    guard dense.trainable else { continue }
                    let (loss, _, gradients) = network.affineGradients(inputs: inputs, targets: targets, loss: self.loss)
                    guard loss.isFinite else { throw TNNTrainingError.nonFinite("loss became \(loss) before updating dense layer \(index)") }
                    step(&network, gradients: gradients, denseLayers: [index], tnBiasOf: nil)
                    flops += 3 * network.affineForwardFlops(batch: inputs.shape[0])
                    steps += 1
                } else if let position = tnLayers.firstIndex(of: index) {
                    for _ in 0..<sweepsPerLayer {
                        for bond in 0..<bonds[position].count { try pair(position, bond, updateDense: false) }
                        for bond in (0..<bonds[position].count).reversed() { try pair(position, bond, updateDense: false) }
                    }
                }
            }
        }
        let output = network(inputs)
        let loss = self.loss(output, targets)
        flops += network.affineForwardFlops(batch: inputs.shape[0])
        guard loss.isFinite else { throw TNNTrainingError.nonFinite("loss became \(loss) after the sweep") }
        self.output = output
        return EpochReport(loss: loss, flops: flops, steps: steps)
    }

    /// One local gradient-descent update of the bond `(bond, bond+1)` of the TN layer at
    /// `layer` (see the type's documentation); with `updateDense`, every trainable dense layer
    /// also takes a step with the gradient of the same forward/backward pass.
    ///
    /// - Returns: the loss before the update, the split, and the update's floating-point work.
    /// - Precondition: `layer` is a ``TNLayer``; every layer is a ``Dense`` or a ``TNLayer``.
    @discardableResult
    public mutating func updatePair(
        _ network: inout Sequential<Double>, layer: Int, bond: Int, inputs: Tensor<Double>, targets: Tensor<Double>,
        updateDense: Bool
    ) throws -> (loss: Double, split: BondSplit, flops: Double) {
        guard var tn = network.layers[layer] as? TNLayer else {
            preconditionFailure("updatePair: layer \(layer) is not a TNLayer")
        }
        let (loss, _, gradients) = network.affineGradients(inputs: inputs, targets: targets, loss: self.loss)
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
        network.layers[layer] = tn
        let dense = updateDense ? network.layers.indices.filter { (network.layers[$0] as? Dense<Double>)?.trainable == true } : []
        step(&network, gradients: gradients, denseLayers: dense, tnBiasOf: layer)

        let s = bondTensor.shape
        let m = Double(s[0] * s[1] * s[2]), n = Double(s[3] * s[4] * s[5])
        let projection = 2 * Double(tn.mpo.inputSize * tn.mpo.outputSize) * Double(s[0] + s[5]) * Double(s[0])
        let flops = 3 * network.affineForwardFlops(batch: inputs.shape[0]) + projection + 4 * m * n * Swift.min(m, n)
        return (loss, split, flops)
    }

    /// One optimizer step on the persistent parameters of an update: the weights and biases of
    /// the trainable dense layers `denseLayers` and the bias of the TN layer `tnBiasOf`
    /// (plain descent: `W' = W − α ∂L/∂W`, `b' = b − α ∂L/∂b`).
    mutating func step(_ network: inout Sequential<Double>, gradients: [AffineGradient], denseLayers: [Int], tnBiasOf tnLayer: Int?) {
        var parameters: [Tensor<Double>] = [], steps: [Tensor<Double>] = [], slots: [Int] = []
        if let index = tnLayer, let tn = network.layers[index] as? TNLayer {
            parameters.append(tn.bias)
            steps.append(gradients[index].bias!)
            slots.append(2 * index + 1)
        }
        for index in denseLayers {
            guard let dense = network.layers[index] as? Dense<Double>, dense.trainable, let bias = dense.bias,
                  let dw = gradients[index].weight, let db = gradients[index].bias else { continue }
            parameters += [dense.weight, bias]
            steps += [dw, db]
            slots += [2 * index, 2 * index + 1]
        }
        guard !parameters.isEmpty else { return }
        optimizer.update(&parameters, gradients: steps, slots: slots)
        var next = 0
        if let index = tnLayer, var tn = network.layers[index] as? TNLayer {
            tn.bias = parameters[next]
            next += 1
            network.layers[index] = tn
        }
        for index in denseLayers {
            guard var dense = network.layers[index] as? Dense<Double>, dense.trainable, dense.bias != nil,
                  gradients[index].weight != nil, gradients[index].bias != nil else { continue }
            dense.weight = parameters[next]
            dense.bias = parameters[next + 1]
            next += 2
            network.layers[index] = dense
        }
    }

    /// The exact gradient of `loss` with respect to the bond tensor `(bond, bond+1)` of the TN
    /// layer at `layer`, shaped like ``MPO/bondTensor(at:)``.
    public static func bondGradient(
        _ network: Sequential<Double>, loss: Loss, layer: Int, bond: Int, inputs: Tensor<Double>, targets: Tensor<Double>
    ) -> Tensor<Double> {
        guard let tn = network.layers[layer] as? TNLayer else {
            preconditionFailure("bondGradient: layer \(layer) is not a TNLayer")
        }
        let gradients = network.affineGradients(inputs: inputs, targets: targets, loss: loss).gradients
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
