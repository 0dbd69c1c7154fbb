import TensorCore

/// Flattens every sample of a batch: `[batch, d₁, …, dₖ] → [batch, d₁·…·dₖ]` in row-major order
/// (for an NHWC image, feature `(h·W + w)·C + c`, TensorFlow's `Flatten` on NHWC). The backward
/// pass reshapes the gradient back. Both are O(1) reshapes; no parameters, no floating-point work.
public struct Flatten<Scalar: BLASScalar>: NeuralLayer {
    public init() {}

    /// The input's shape.
    public struct Cache: Sendable {
        let inputShape: [Int]
    }

    public var parameters: [Tensor<Scalar>] {
        get { [] }
        set { precondition(newValue.isEmpty, "Flatten has no parameters, got \(newValue.count) tensors") }
    }

    public var parameterKinds: [ParameterKind] { [] }

    /// - Precondition: the input has a batch axis.
    public func outputShape(forInput inputShape: [Int]) -> [Int] {
        precondition(!inputShape.isEmpty, "Flatten: input \(inputShape) has no batch axis")
        return [inputShape[0], inputShape.dropFirst().reduce(1, *)]
    }

    public func forward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: Cache) {
        (input.reshaped(outputShape(forInput: input.shape)), Cache(inputShape: input.shape))
    }

    public func backward(
        _ outputGradient: Tensor<Scalar>, cache: Cache, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        precondition(outputGradient.shape == outputShape(forInput: cache.inputShape),
                     "Flatten.backward: output gradient \(outputGradient.shape) is not \(outputShape(forInput: cache.inputShape))")
        return (needsInputGradient ? outputGradient.reshaped(cache.inputShape) : nil, [])
    }

    public func flops(inputShape: [Int]) -> LayerFlops { .zero }
}
