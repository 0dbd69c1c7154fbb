import TensorCore
import TensorNetworks

/// One layer of a hybrid network.
public enum Layer: Sendable {
    case dense(Dense<Double>)
    case tensorNetwork(TNLayer)

    public var inputSize: Int {
        switch self {
        case .dense(let layer): return layer.inputSize
        case .tensorNetwork(let layer): return layer.inputSize
        }
    }
    public var units: Int {
        switch self {
        case .dense(let layer): return layer.units
        case .tensorNetwork(let layer): return layer.units
        }
    }
    public var parameterCount: Int {
        switch self {
        case .dense(let layer): return layer.weight.count + (layer.bias?.count ?? 0)
        case .tensorNetwork(let layer): return layer.parameterCount
        }
    }
    /// Whether this is a ``Dense`` layer that training updates.
    public var isTrainableDense: Bool {
        if case .dense(let layer) = self { return layer.trainable }
        return false
    }
}

/// A feed-forward stack of ``Dense`` and ``TNLayer`` layers of any depth, with a loss.
///
/// ```swift
/// var rng = Philox(seed: 3)
/// var network = Network(layers: [
///     .dense(Dense(inputSize: 2, units: 64, trainable: false, using: &rng)),
///     .tensorNetwork(try TNLayer(siteCount: 6, physicalDimension: 2, maxBondDimension: 4,
///                                activation: .relu, using: &rng)),
///     .dense(Dense(inputSize: 64, units: 2, activation: .softmax, using: &rng)),
/// ], loss: .binaryCrossEntropy)
/// let (loss, _, gradients) = network.lossAndGradients(inputs: x, targets: y)
/// ```
public struct Network: Sendable {
    public var layers: [Layer]
    public var loss: Loss

    /// - Precondition: consecutive layers fit (`units` of one is `inputSize` of the next).
    public init(layers: [Layer], loss: Loss) {
        precondition(!layers.isEmpty, "a network needs layers")
        for k in 1..<layers.count {
            precondition(layers[k - 1].units == layers[k].inputSize,
                         "layer \(k - 1) has \(layers[k - 1].units) units but layer \(k) takes \(layers[k].inputSize)")
        }
        self.layers = layers
        self.loss = loss
    }

    /// The indices of the TN layers, in order.
    public var tensorNetworkLayerIndices: [Int] {
        layers.indices.filter { if case .tensorNetwork = layers[$0] { return true } else { return false } }
    }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// The network's output for a batch `[batch, inputSize]`.
    public func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { forward(x).output }

    /// The forward pass, keeping every layer's cache.
    public func forward(_ x: Tensor<Double>) -> (output: Tensor<Double>, caches: [LayerCache<Double>]) {
        var activations = x
        var caches: [LayerCache<Double>] = []
        caches.reserveCapacity(layers.count)
        for layer in layers {
            let (y, cache): (Tensor<Double>, LayerCache<Double>)
            switch layer {
            case .dense(let dense): (y, cache) = dense.forward(activations)
            case .tensorNetwork(let tn): (y, cache) = tn.forward(activations)
            }
            caches.append(cache)
            activations = y
        }
        return (activations, caches)
    }

    /// The backward pass from `∂L/∂output` through every layer: one ``LayerGradient`` per layer.
    public func backward(_ outputGradient: Tensor<Double>, caches: [LayerCache<Double>]) -> [LayerGradient] {
        precondition(caches.count == layers.count, "backward: \(caches.count) caches for \(layers.count) layers")
        var gradients = [LayerGradient](repeating: LayerGradient(weight: nil, bias: nil), count: layers.count)
        var upstream = outputGradient
        for k in layers.indices.reversed() {
            let needsInput = k > 0
            let result: (input: Tensor<Double>?, gradient: LayerGradient)
            switch layers[k] {
            case .dense(let dense):
                let pass = dense.backward(upstream, cache: caches[k], needsInputGradient: needsInput)
                result = (pass.input, LayerGradient(weight: pass.parameters.first,
                                                    bias: dense.bias == nil ? nil : pass.parameters.last))
            case .tensorNetwork(let tn): result = tn.backward(upstream, cache: caches[k], needsInputGradient: needsInput)
            }
            gradients[k] = result.gradient
            if let input = result.input { upstream = input }
        }
        return gradients
    }

    /// The loss on a batch, the network's output and the gradient of the loss with respect to
    /// every layer's parameters.
    public func lossAndGradients(
        inputs: Tensor<Double>, targets: Tensor<Double>
    ) -> (loss: Double, output: Tensor<Double>, gradients: [LayerGradient]) {
        let (output, caches) = forward(inputs)
        let value = loss(output, targets)
        let gradients = backward(loss.gradient(output, targets), caches: caches)
        return (value, output, gradients)
    }

    /// Floating-point operations of one forward pass on `batch` samples (the products only).
    public func forwardFlops(batch: Int) -> Double {
        layers.reduce(0.0) { total, layer in
            var flops = 2.0 * Double(batch) * Double(layer.inputSize) * Double(layer.units)
            if case .tensorNetwork(let tn) = layer { flops += tn.mpo.contractionFlops }
            return total + flops
        }
    }
}
