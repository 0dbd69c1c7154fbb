import TensorCore

/// A feed-forward stack of ``NeuralLayer``s trained by back-propagation (the MPO-Net and its
/// dense baselines).
///
/// The trainable tensors of all layers are exposed as one flat list, ``parameters``, in layer
/// order (each layer's own order inside), so that an ``Optimizer`` can update them with slots
/// `0 ..< parameters.count`.
///
/// ```swift
/// var rng = Philox(seed: 1)
/// var network = Sequential<Float>([
///     Dense(inputSize: 784, units: 256, bias: false, initializer: .truncatedNormal(0.1), using: &rng),
///     ActivationLayer(.relu),
///     Dense(inputSize: 256, units: 10, bias: false, initializer: .truncatedNormal(0.1), using: &rng),
/// ])
/// let (logits, caches) = network.forward(x)                      // x: [100, 784]
/// let gradients = network.backward(dLogits, caches: caches)     // one per parameter
/// ```
public struct Sequential<Scalar: BLASScalar>: Sendable {
    public var layers: [any NeuralLayer<Scalar>]

    /// - Precondition: at least one layer.
    public init(_ layers: [any NeuralLayer<Scalar>]) {
        precondition(!layers.isEmpty, "a network needs layers")
        self.layers = layers
    }

    /// Every layer's trainable tensors, in layer order.
    public var parameters: [Tensor<Scalar>] {
        get { layers.flatMap { $0.parameters } }
        set {
            precondition(newValue.count == parameterKinds.count,
                         "Sequential: \(newValue.count) tensors for \(parameterKinds.count) parameters")
            var offset = 0
            for k in layers.indices {
                let count = layers[k].parameterKinds.count
                guard count > 0 else { continue }
                layers[k].parameters = Array(newValue[offset ..< offset + count])
                offset += count
            }
        }
    }

    /// What each entry of ``parameters`` is.
    public var parameterKinds: [ParameterKind] { layers.flatMap { $0.parameterKinds } }

    /// The number of trainable scalars of kind `kind` (the paper counts weights only).
    public func parameterCount(_ kind: ParameterKind) -> Int {
        layers.reduce(0) { $0 + $1.parameterCount(kind) }
    }

    /// The shape after every layer for an input of shape `inputShape` (batch axis included);
    /// the last entry is the output's shape.
    public func shapes(forInput inputShape: [Int]) -> [[Int]] {
        var shapes = [inputShape]
        for layer in layers { shapes.append(layer.outputShape(forInput: shapes.last!)) }
        return shapes
    }

    /// The output for a batch, without keeping caches.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        layers.reduce(input) { x, layer in layer.erasedForward(x).output }
    }

    /// The forward pass, keeping every layer's cache.
    public func forward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, caches: [any Sendable]) {
        var x = input
        var caches: [any Sendable] = []
        caches.reserveCapacity(layers.count)
        for layer in layers {
            let (y, cache) = layer.erasedForward(x)
            caches.append(cache)
            x = y
        }
        return (x, caches)
    }

    /// The backward pass from `∂L/∂output`: the gradient of every entry of ``parameters``, in
    /// the same order. The first layer's input gradient is not computed.
    public func backward(_ outputGradient: Tensor<Scalar>, caches: [any Sendable]) -> [Tensor<Scalar>] {
        precondition(caches.count == layers.count, "backward: \(caches.count) caches for \(layers.count) layers")
        var perLayer = [[Tensor<Scalar>]](repeating: [], count: layers.count)
        var upstream = outputGradient
        for k in layers.indices.reversed() {
            let result = layers[k].erasedBackward(upstream, cache: caches[k], needsInputGradient: k > 0)
            precondition(result.parameters.count == layers[k].parameterKinds.count,
                         "layer \(k) (\(type(of: layers[k]))) returned \(result.parameters.count) gradients for \(layers[k].parameterKinds.count) parameters")
            perLayer[k] = result.parameters
            if let input = result.input { upstream = input }
        }
        return perLayer.flatMap { $0 }
    }

    /// Every layer's floating-point work on one batch of shape `inputShape`.
    public func flops(inputShape: [Int]) -> [LayerFlops] {
        let shapes = shapes(forInput: inputShape)
        return layers.indices.map { layers[$0].flops(inputShape: shapes[$0]) }
    }

    /// The floating-point work of one training step (forward and backward; no input gradient
    /// for the first layer) on a batch of shape `inputShape`.
    public func trainingFlops(inputShape: [Int]) -> Double {
        flops(inputShape: inputShape).enumerated().reduce(0) { $0 + $1.element.training(needsInputGradient: $1.offset > 0) }
    }

    /// The floating-point work of one forward pass (evaluation) on a batch of shape `inputShape`.
    public func forwardFlops(inputShape: [Int]) -> Double {
        flops(inputShape: inputShape).reduce(0) { $0 + $1.forward }
    }
}
