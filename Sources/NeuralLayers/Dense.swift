import TensorCore
import TensorNetworks

/// What a layer's forward pass keeps for its backward pass.
public struct LayerCache: Sendable {
    /// The layer's input `[batch, inputSize]`.
    public var input: Tensor<Double>
    /// The weight matrix used (`[inputSize, units]`; for a ``TNLayer`` the contracted MPO).
    public var weight: Tensor<Double>
    /// `z = x·W + b`.
    public var preActivation: Tensor<Double>
    /// `y = σ(z)`.
    public var output: Tensor<Double>
}

/// The gradients of the loss with respect to one layer's parameters.
public struct LayerGradient: Sendable {
    /// `∂L/∂W` as a dense `[inputSize, units]` matrix (for a ``TNLayer``, with respect to the
    /// contracted MPO; project it with ``MPO/bondGradient(matrixGradient:at:)``). `nil` for a
    /// frozen layer.
    public var weight: Tensor<Double>?
    /// `∂L/∂b`; `nil` for a frozen layer.
    public var bias: Tensor<Double>?

    public init(weight: Tensor<Double>?, bias: Tensor<Double>?) {
        self.weight = weight
        self.bias = bias
    }
}

/// A fully connected layer `y = σ(x·W + b)` with `W` of shape `[inputSize, units]`.
///
/// A layer with `trainable == false` is left untouched by the trainers (the paper's "dummy"
/// input layer that maps the features to the TN layer's size).
public struct Dense: Sendable {
    public var weight: Tensor<Double>
    public var bias: Tensor<Double>
    public var activation: Activation
    public var trainable: Bool

    /// - Precondition: `weight` is a matrix and `bias` has one entry per column.
    public init(weight: Tensor<Double>, bias: Tensor<Double>, activation: Activation = .linear, trainable: Bool = true) {
        precondition(weight.rank == 2 && bias.shape == [weight.shape[1]],
                     "Dense: weight \(weight.shape) and bias \(bias.shape) do not fit")
        self.weight = weight
        self.bias = bias
        self.activation = activation
        self.trainable = trainable
    }

    /// A Glorot-uniform initialized layer with zero bias (Keras' defaults).
    public init(inputSize: Int, units: Int, activation: Activation = .linear, trainable: Bool = true, using rng: inout Philox) {
        self.init(
            weight: VarianceTarget.glorot.uniformMatrix(fanIn: inputSize, fanOut: units, using: &rng),
            bias: Tensor(zeros: [units]), activation: activation, trainable: trainable)
    }

    public var inputSize: Int { weight.shape[0] }
    public var units: Int { weight.shape[1] }
    public var parameterCount: Int { weight.count + bias.count }

    /// The forward pass of a batch `[batch, inputSize]`, with what the backward pass needs.
    public func forward(_ x: Tensor<Double>) -> (output: Tensor<Double>, cache: LayerCache) {
        affineForward(x, weight: weight, bias: bias, activation: activation)
    }

    /// The backward pass: from `∂L/∂y` to `∂L/∂x` (when asked) and the parameter gradients
    /// (`∂L/∂W = xᵀ·∂L/∂z`, `∂L/∂b = Σ_batch ∂L/∂z`; skipped for a frozen layer).
    public func backward(
        _ outputGradient: Tensor<Double>, cache: LayerCache, needsInputGradient: Bool = true
    ) -> (input: Tensor<Double>?, gradient: LayerGradient) {
        affineBackward(outputGradient, cache: cache, activation: activation,
                       needsParameterGradient: trainable, needsInputGradient: needsInputGradient)
    }
}

/// `σ(x·W + b)` with its cache.
func affineForward(
    _ x: Tensor<Double>, weight: Tensor<Double>, bias: Tensor<Double>, activation: Activation
) -> (output: Tensor<Double>, cache: LayerCache) {
    precondition(x.rank == 2 && x.shape[1] == weight.shape[0],
                 "layer input \(x.shape) does not fit weight \(weight.shape)")
    var z = x.matmul(weight)
    let units = weight.shape[1]
    z.withUnsafeMutableBufferPointer { zb in
        bias.withUnsafeBufferPointer { bb in
            for row in 0..<x.shape[0] { for j in 0..<units { zb[row * units + j] += bb[j] } }
        }
    }
    let y = activation(z)
    return (y, LayerCache(input: x, weight: weight, preActivation: z, output: y))
}

/// The backward pass of `σ(x·W + b)`.
func affineBackward(
    _ outputGradient: Tensor<Double>, cache: LayerCache, activation: Activation,
    needsParameterGradient: Bool, needsInputGradient: Bool
) -> (input: Tensor<Double>?, gradient: LayerGradient) {
    let dz = activation.backward(outputGradient, preActivation: cache.preActivation, output: cache.output)
    var gradient = LayerGradient(weight: nil, bias: nil)
    if needsParameterGradient {
        gradient.weight = cache.input.matmul(dz, transposeSelf: true)
        let units = dz.shape[1]
        gradient.bias = Tensor(shape: [units]) { db in
            for j in 0..<units { db[j] = 0 }
            dz.withUnsafeBufferPointer { g in
                for row in 0..<dz.shape[0] { for j in 0..<units { db[j] += g[row * units + j] } }
            }
        }
    }
    let dx = needsInputGradient ? dz.matmul(cache.weight, transposeOther: true) : nil
    return (dx, gradient)
}
