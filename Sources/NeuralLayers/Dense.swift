import TensorCore
import TensorNetworks

/// What an affine layer's forward pass keeps for its backward pass.
public struct LayerCache<Scalar: BLASScalar>: Sendable {
    /// The layer's input `[batch, inputSize]`.
    public var input: Tensor<Scalar>
    /// The weight matrix used (`[inputSize, units]`; for a ``TNLayer`` the contracted MPO).
    public var weight: Tensor<Scalar>
    /// `z = x·W + b`.
    public var preActivation: Tensor<Scalar>
    /// `y = σ(z)`.
    public var output: Tensor<Scalar>
}

/// A fully connected layer `y = σ(x·W + b)` with `W` of shape `[inputSize, units]`, with or
/// without the bias `b`.
///
/// A layer with `trainable == false` has no trainable tensors (``parameters`` is empty) and is
/// left untouched by the trainers (Jahromi & Orús's "dummy" input layer that maps the features
/// to the TN layer's size).
public struct Dense<Scalar: BLASScalar>: NeuralLayer {
    public var weight: Tensor<Scalar>
    public var bias: Tensor<Scalar>?
    public var activation: Activation
    public var trainable: Bool

    /// - Precondition: `weight` is a matrix and `bias`, if any, has one entry per column.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, activation: Activation = .linear, trainable: Bool = true) {
        precondition(weight.rank == 2 && (bias == nil || bias!.shape == [weight.shape[1]]),
                     "Dense: weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit")
        self.weight = weight
        self.bias = bias
        self.activation = activation
        self.trainable = trainable
    }

    /// A Glorot-uniform initialized layer with zero bias (Keras' defaults).
    public init(inputSize: Int, units: Int, activation: Activation = .linear, trainable: Bool = true, using rng: inout Philox) {
        self.init(
            weight: VarianceTarget.glorot.uniformMatrix(fanIn: inputSize, fanOut: units, using: &rng).converted(),
            bias: Tensor(zeros: [units]), activation: activation, trainable: trainable)
    }

    /// A layer initialized as the MPO-Net authors' TensorFlow code does: weights from a normal
    /// of standard deviation `standardDeviation` truncated at 2σ, zero bias (if any).
    public init(
        inputSize: Int, units: Int, bias: Bool, activation: Activation = .linear,
        truncatedNormal standardDeviation: Scalar, using rng: inout Philox
    ) {
        self.init(weight: .truncatedNormal(shape: [inputSize, units], standardDeviation: standardDeviation, using: &rng),
                  bias: bias ? Tensor(zeros: [units]) : nil, activation: activation)
    }

    public var inputSize: Int { weight.shape[0] }
    public var units: Int { weight.shape[1] }

    // MARK: NeuralLayer

    public var parameters: [Tensor<Scalar>] {
        get { trainable ? [weight] + (bias.map { [$0] } ?? []) : [] }
        set {
            precondition(newValue.count == parameterKinds.count, "Dense: \(newValue.count) tensors for \(parameterKinds.count) parameters")
            guard trainable else { return }
            precondition(newValue[0].shape == weight.shape, "Dense: weight \(newValue[0].shape) is not \(weight.shape)")
            weight = newValue[0]
            if bias != nil {
                precondition(newValue[1].shape == [units], "Dense: bias \(newValue[1].shape) is not [\(units)]")
                bias = newValue[1]
            }
        }
    }
    public var parameterKinds: [ParameterKind] { trainable ? (bias == nil ? [.weight] : [.weight, .bias]) : [] }

    public func outputShape(forInput inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 2 && inputShape[1] == inputSize, "Dense: input \(inputShape) is not [batch, \(inputSize)]")
        return [inputShape[0], units]
    }

    /// The forward pass of a batch `[batch, inputSize]`, with what the backward pass needs.
    public func forward(_ x: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: LayerCache<Scalar>) {
        affineForward(x, weight: weight, bias: bias, activation: activation)
    }

    /// The backward pass: from `∂L/∂y` to `∂L/∂x` (when asked) and the parameter gradients
    /// (`∂L/∂W = xᵀ·∂L/∂z`, `∂L/∂b = Σ_batch ∂L/∂z`; none for a frozen layer).
    public func backward(
        _ outputGradient: Tensor<Scalar>, cache: LayerCache<Scalar>, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        let result = affineBackward(outputGradient, cache: cache, activation: activation, hasBias: bias != nil,
                                    needsParameterGradient: trainable, needsInputGradient: needsInputGradient)
        return (result.input, result.weight.map { [$0] + (result.bias.map { [$0] } ?? []) } ?? [])
    }

    public func flops(inputShape: [Int]) -> LayerFlops {
        let product = 2 * Double(inputShape[0]) * Double(inputSize) * Double(units)
        let elementwise = Double(inputShape[0] * units) * ((bias == nil ? 0 : 1) + (activation == .linear ? 0 : 1))
        return LayerFlops(forward: product + elementwise, parameterGradient: trainable ? product : 0, inputGradient: product)
    }
}

/// `σ(x·W + b)` with its cache.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func affineForward<Scalar: BLASScalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?, activation: Activation
) -> (output: Tensor<Scalar>, cache: LayerCache<Scalar>) {
    precondition(x.rank == 2 && x.shape[1] == weight.shape[0],
                 "layer input \(x.shape) does not fit weight \(weight.shape)")
    var z = x.matmul(weight)
    if let bias { z.addToRows(bias) }
    let y = activation(z)
    return (y, LayerCache(input: x, weight: weight, preActivation: z, output: y))
}

/// The backward pass of `σ(x·W + b)`: `∂L/∂x`, `∂L/∂W`, `∂L/∂b` (each `nil` unless asked for).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func affineBackward<Scalar: BLASScalar>(
    _ outputGradient: Tensor<Scalar>, cache: LayerCache<Scalar>, activation: Activation, hasBias: Bool,
    needsParameterGradient: Bool, needsInputGradient: Bool
) -> (input: Tensor<Scalar>?, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?) {
    let dz = activation.backward(outputGradient, preActivation: cache.preActivation, output: cache.output)
    let dw = needsParameterGradient ? cache.input.matmul(dz, transposeSelf: true) : nil
    let db = needsParameterGradient && hasBias ? dz.columnSums() : nil
    let dx = needsInputGradient ? dz.matmul(cache.weight, transposeOther: true) : nil
    return (dx, dw, db)
}

extension Tensor {
    /// Adds `row` (`[columns]`) to every row of this matrix.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func addToRows(_ row: Tensor) {
        precondition(rank == 2 && row.shape == [shape[1]], "addToRows: \(row.shape) does not fit \(shape)")
        let columns = shape[1], rows = shape[0]
        withUnsafeMutableBufferPointer { zb in
            row.withUnsafeBufferPointer { bb in
                for r in 0..<rows { for j in 0..<columns { zb[r * columns + j] += bb[j] } }
            }
        }
    }

    /// The sum of the rows of this matrix: `[columns]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func columnSums() -> Tensor {
        precondition(rank == 2, "columnSums needs a matrix, got \(shape)")
        let columns = shape[1], rows = shape[0]
        return Tensor(shape: [columns]) { db in
            for j in 0..<columns { db[j] = 0 }
            withUnsafeBufferPointer { g in
                for r in 0..<rows { for j in 0..<columns { db[j] += g[r * columns + j] } }
            }
        }
    }
}
