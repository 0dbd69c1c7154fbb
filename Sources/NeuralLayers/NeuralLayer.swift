import TensorCore

/// What a trainable tensor of a layer is: the paper's parameter counts take weights only.
public enum ParameterKind: String, Sendable, Hashable, Codable {
    case weight
    case bias
}

/// The floating-point work of one layer on one batch (multiply-adds × 2, plus the elementwise
/// work where it is not negligible), split by pass.
public struct LayerFlops: Sendable, Hashable {
    /// The forward pass.
    public var forward: Double
    /// The backward pass to the layer's parameter gradients.
    public var parameterGradient: Double
    /// The backward pass to the layer's input gradient.
    public var inputGradient: Double

    public init(forward: Double, parameterGradient: Double = 0, inputGradient: Double = 0) {
        self.forward = forward
        self.parameterGradient = parameterGradient
        self.inputGradient = inputGradient
    }

    public static let zero = LayerFlops(forward: 0)

    /// One training step: forward, parameter gradients, and the input gradient when asked.
    public func training(needsInputGradient: Bool) -> Double {
        forward + parameterGradient + (needsInputGradient ? inputGradient : 0)
    }

    public static func + (lhs: LayerFlops, rhs: LayerFlops) -> LayerFlops {
        LayerFlops(forward: lhs.forward + rhs.forward,
                   parameterGradient: lhs.parameterGradient + rhs.parameterGradient,
                   inputGradient: lhs.inputGradient + rhs.inputGradient)
    }
}

/// A layer of a feed-forward network trained by back-propagation: a differentiable map from a
/// batch (the first axis) to a batch, with trainable tensors.
///
/// Images travel as `[batch, height, width, channels]` (NHWC, as the TensorFlow code the papers
/// used), everything else as `[batch, features]`. `forward` returns what `backward` needs in a
/// `Cache` of the layer's own type; ``Sequential`` keeps the caches of a step.
///
/// Conformers: ``Dense``, ``MPOLinear``, ``ActivationLayer`` (ReLU and friends), ``Conv2D``,
/// ``MaxPool2D``, ``Flatten``.
public protocol NeuralLayer<Scalar>: Sendable {
    associatedtype Scalar: BLASScalar
    associatedtype Cache: Sendable

    /// The trainable tensors in a fixed order (a layer without any returns `[]`). Setting them
    /// keeps every shape.
    var parameters: [Tensor<Scalar>] { get set }
    /// What each entry of ``parameters`` is.
    var parameterKinds: [ParameterKind] { get }

    /// The output shape (batch axis included) for an input of shape `inputShape`.
    /// - Precondition: the input fits the layer.
    func outputShape(forInput inputShape: [Int]) -> [Int]

    /// The forward pass of a batch, with what the backward pass needs.
    func forward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: Cache)

    /// The backward pass: from `∂L/∂output` to `∂L/∂input` (when asked; `nil` otherwise) and
    /// `∂L/∂parameters`, one gradient per entry of ``parameters`` in the same order.
    func backward(
        _ outputGradient: Tensor<Scalar>, cache: Cache, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>])

    /// The floating-point work of one batch of shape `inputShape` (batch axis included).
    func flops(inputShape: [Int]) -> LayerFlops
}

extension NeuralLayer {
    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The number of trainable scalars of kind `kind`.
    public func parameterCount(_ kind: ParameterKind) -> Int {
        zip(parameters, parameterKinds).reduce(0) { $0 + ($1.1 == kind ? $1.0.count : 0) }
    }

    /// ``forward(_:)`` with the cache type erased, for a heterogeneous stack.
    func erasedForward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: any Sendable) {
        let (output, cache) = forward(input)
        return (output, cache)
    }

    /// ``backward(_:cache:needsInputGradient:)`` from an erased cache made by ``erasedForward(_:)``.
    func erasedBackward(
        _ outputGradient: Tensor<Scalar>, cache: any Sendable, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        guard let typed = cache as? Cache else {
            preconditionFailure("\(Self.self).backward: the cache is a \(type(of: cache)), not this layer's")
        }
        return backward(outputGradient, cache: typed, needsInputGradient: needsInputGradient)
    }
}
