import TensorCore
import TensorNetworks

/// Jahromi & Orús's `TNLayer`: an ``MPOLinear`` layer with a bias, an activation and the bond
/// dimension its DMRG-like updates truncate to — `y = σ(x·W + b)` with `W = MPO(A¹ … A^N)` of
/// shape `[Π dIn, Π dOut]`. A ``NeuralLayer``, so a TNN is a ``Sequential`` of ``Dense`` and
/// `TNLayer` layers.
///
/// The activation is applied after contracting the whole MPO with the input (Eq. 4), so the
/// forward pass contracts the cores to the dense `W` (cheap for the paper's 64×64 weights) and
/// multiplies the batch by it. ``matrixBackward(_:cache:needsInputGradient:)`` returns `∂L/∂W`;
/// a trainer turns it into the gradient of a bond tensor with
/// ``MPO/bondGradient(matrixGradient:at:)`` — the exact gradient of the loss through the whole
/// nonlinear network (``TNNTrainer``). The ``NeuralLayer`` backward pass projects `∂L/∂W` onto
/// the cores, for back-propagation into them.
///
/// ```swift
/// var rng = Philox(seed: 7)
/// let layer = try TNLayer(siteCount: 6, physicalDimension: 2, maxBondDimension: 4,
///                         activation: .relu, using: &rng)        // 64 → 64 units
/// let (y, cache) = layer.forward(x)                               // x: [batch, 64]
/// ```
public struct TNLayer: NeuralLayer {
    public typealias Scalar = Double

    /// The MPO layer: its cores and its bias.
    public var linear: MPOLinear<Double>
    public var activation: Activation
    /// D: the bond dimension every SVD split truncates to.
    public var maxBondDimension: Int

    /// - Precondition: `bias` has one entry per output unit.
    public init(mpo: MPO<Double>, bias: Tensor<Double>, activation: Activation, maxBondDimension: Int) {
        precondition(bias.shape == [mpo.outputSize], "TNLayer: bias \(bias.shape) does not fit \(mpo.outputSize) units")
        precondition(maxBondDimension >= 1, "TNLayer: maxBondDimension must be at least 1")
        self.linear = MPOLinear(mpo: mpo, bias: bias, contraction: .denseMatrix)
        self.activation = activation
        self.maxBondDimension = maxBondDimension
    }

    /// A layer of `d^siteCount` units whose MPO is the TT-SVD of a Glorot-uniform
    /// `d^N × d^N` matrix truncated to `maxBondDimension`, with zero bias.
    ///
    /// - Throws: ``LinearAlgebraError`` if an SVD fails.
    public init(
        siteCount: Int, physicalDimension d: Int, maxBondDimension: Int, activation: Activation,
        using rng: inout Philox
    ) throws {
        let dims = [Int](repeating: d, count: siteCount)
        let size = dims.reduce(1, *)
        let matrix = VarianceTarget.glorot.uniformMatrix(fanIn: size, fanOut: size, using: &rng)
        let mpo = try MPO(matrix: matrix, inputDimensions: dims, outputDimensions: dims,
                          truncation: Truncation(maxBondDimension: maxBondDimension))
        self.init(mpo: mpo, bias: Tensor(zeros: [size]), activation: activation, maxBondDimension: maxBondDimension)
    }

    /// The MPO of the weight matrix.
    public var mpo: MPO<Double> {
        get { linear.mpo }
        set { linear.mpo = newValue }
    }
    /// The bias `b`.
    public var bias: Tensor<Double> {
        get { linear.bias! }
        set {
            precondition(newValue.shape == [units], "TNLayer: bias \(newValue.shape) does not fit \(units) units")
            linear.bias = newValue
        }
    }

    /// Truncation to at most D singular values, as every split of this layer uses.
    public var truncation: Truncation { Truncation(maxBondDimension: maxBondDimension) }
    public var inputSize: Int { mpo.inputSize }
    public var units: Int { mpo.outputSize }
    public var parameterCount: Int { mpo.parameterCount + bias.count }

    /// The forward pass: contracts the MPO, then `σ(x·W + b)`.
    public func forward(_ x: Tensor<Double>) -> (output: Tensor<Double>, cache: LayerCache<Double>) {
        affineForward(x, weight: mpo.denseMatrix(), bias: linear.bias, activation: activation)
    }

    /// The backward pass to the contracted matrix: `∂L/∂x` (when asked), `∂L/∂W` for the
    /// contracted MPO and `∂L/∂b` — what the bond updates of ``TNNTrainer`` take.
    public func matrixBackward(
        _ outputGradient: Tensor<Double>, cache: LayerCache<Double>, needsInputGradient: Bool = true
    ) -> (input: Tensor<Double>?, weight: Tensor<Double>, bias: Tensor<Double>) {
        let pass = affineBackward(outputGradient, cache: cache, activation: activation, hasBias: true,
                                  needsParameterGradient: true, needsInputGradient: needsInputGradient)
        return (pass.input, pass.weight!, pass.bias!)
    }

    // MARK: NeuralLayer

    /// The cores, then the bias.
    public var parameters: [Tensor<Double>] {
        get { mpo.cores + [bias] }
        set {
            precondition(newValue.count == parameterKinds.count, "TNLayer: \(newValue.count) tensors for \(parameterKinds.count) parameters")
            linear.parameters = newValue
        }
    }
    public var parameterKinds: [ParameterKind] { linear.parameterKinds }

    public func outputShape(forInput inputShape: [Int]) -> [Int] { linear.outputShape(forInput: inputShape) }

    /// The backward pass into the cores: `∂L/∂W` projected onto every core
    /// (``MPO/coreGradients(matrixGradient:contraction:)``), then `∂L/∂b`.
    public func backward(
        _ outputGradient: Tensor<Double>, cache: LayerCache<Double>, needsInputGradient: Bool
    ) -> (input: Tensor<Double>?, parameters: [Tensor<Double>]) {
        let pass = matrixBackward(outputGradient, cache: cache, needsInputGradient: needsInputGradient)
        let cores = mpo.coreGradients(matrixGradient: pass.weight, contraction: mpo.denseContraction())
        return (pass.input, cores + [pass.bias])
    }

    /// The dense-matrix path of ``MPOLinear`` plus one operation per element for the activation.
    public func flops(inputShape: [Int]) -> LayerFlops {
        var flops = linear.flops(inputShape: inputShape, contraction: .denseMatrix)
        if activation != .linear { flops.forward += Double(inputShape[0] * units) }
        return flops
    }
}
