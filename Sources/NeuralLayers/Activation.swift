import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An elementwise (or, for softmax, row-wise) activation applied to a batch `[batch, units]`
/// (elementwise ones to a batch of any shape), in `Float` or `Double` (exponentials are taken in
/// `Double`).
public enum Activation: String, Sendable, Hashable, Codable, CaseIterable {
    /// `max(0, z)`; the derivative at 0 is taken as 0.
    case relu
    /// `1 / (1 + e^{−z})`.
    case sigmoid
    /// `e^{z_j} / Σ_k e^{z_k}` over each row (shifted by the row maximum for stability).
    case softmax
    /// The identity ("Activation: None" in the paper's tables).
    case linear

    /// The activation of a batch of pre-activations `z` (`[batch, units]`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction<Scalar: BLASScalar>(_ z: Tensor<Scalar>) -> Tensor<Scalar> {
        switch self {
        case .linear: return z
        case .relu: return z.map { Swift.max($0, 0) }
        case .sigmoid: return z.map { Scalar(1 / (1 + exp(-Double($0)))) }
        case .softmax:
            precondition(z.rank == 2, "softmax needs [batch, units], got \(z.shape)")
            var y = z
            let units = z.shape[1]
            y.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<z.shape[0] {
                    let base = row * units
                    var top = -Double.infinity
                    for j in 0..<units { top = Swift.max(top, Double(buffer[base + j])) }
                    var total = 0.0
                    for j in 0..<units {
                        let e = exp(Double(buffer[base + j]) - top)
                        buffer[base + j] = Scalar(e)
                        total += e
                    }
                    for j in 0..<units { buffer[base + j] = Scalar(Double(buffer[base + j]) / total) }
                }
            }
            return y
        }
    }

    /// The gradient with respect to the pre-activation `z`, given the gradient with respect to
    /// the output and the cached `z` and `y = σ(z)`.
    ///
    /// relu: `g·[z > 0]`; sigmoid: `g·y(1 − y)`; softmax: `y ⊙ (g − ⟨g, y⟩_row)`; linear: `g`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward<Scalar: BLASScalar>(
        _ outputGradient: Tensor<Scalar>, preActivation z: Tensor<Scalar>, output y: Tensor<Scalar>
    ) -> Tensor<Scalar> {
        precondition(outputGradient.shape == z.shape && z.shape == y.shape,
                     "activation backward: shapes \(outputGradient.shape), \(z.shape), \(y.shape) differ")
        switch self {
        case .linear: return outputGradient
        case .relu:
            return Tensor(shape: z.shape) { out in
                guard out.count > 0 else { return }
                outputGradient.withUnsafeBufferPointer { gb in
                    z.withUnsafeBufferPointer { zb in
                        LayerKernels.reluBackward(gb.baseAddress!, preActivation: zb.baseAddress!, into: out.baseAddress!,
                                                  count: out.count)
                    }
                }
            }
        case .sigmoid:
            var g = outputGradient
            g.withUnsafeMutableBufferPointer { gb in
                y.withUnsafeBufferPointer { yb in for i in 0..<gb.count { gb[i] *= yb[i] * (1 - yb[i]) } }
            }
            return g
        case .softmax:
            var g = outputGradient
            let units = z.shape[1]
            g.withUnsafeMutableBufferPointer { gb in
                y.withUnsafeBufferPointer { yb in
                    for row in 0..<z.shape[0] {
                        let base = row * units
                        var inner: Scalar = 0
                        for j in 0..<units { inner += gb[base + j] * yb[base + j] }
                        for j in 0..<units { gb[base + j] = yb[base + j] * (gb[base + j] - inner) }
                    }
                }
            }
            return g
        }
    }
}

/// An ``Activation`` as a layer of its own: the ReLU after a convolution or an MPO layer.
/// Softmax is row-wise and needs `[batch, units]`; the elementwise ones take any shape.
public struct ActivationLayer<Scalar: BLASScalar>: NeuralLayer {
    public var activation: Activation

    public init(_ activation: Activation) { self.activation = activation }

    /// The layer's input and output.
    public struct Cache: Sendable {
        var input: Tensor<Scalar>
        var output: Tensor<Scalar>
    }

    public var parameters: [Tensor<Scalar>] {
        get { [] }
        set { precondition(newValue.isEmpty, "an activation has no parameters") }
    }
    public var parameterKinds: [ParameterKind] { [] }

    public func outputShape(forInput inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: Cache) {
        let output = activation(input)
        return (output, Cache(input: input, output: output))
    }

    public func backward(
        _ outputGradient: Tensor<Scalar>, cache: Cache, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        guard needsInputGradient else { return (nil, []) }
        return (activation.backward(outputGradient, preActivation: cache.input, output: cache.output), [])
    }

    /// One operation per element each way (a comparison for ReLU; the exponentials of sigmoid
    /// and softmax are counted as one).
    public func flops(inputShape: [Int]) -> LayerFlops {
        let count = Double(inputShape.reduce(1, *))
        return LayerFlops(forward: count, inputGradient: count)
    }
}
