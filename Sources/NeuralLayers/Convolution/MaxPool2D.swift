import TensorCore

/// Max pooling of a batch of NHWC images over non-overlapping windows (stride = window, VALID:
/// a partial window at the bottom or right edge is dropped), 2×2 by default (LeNet-5's pooling).
///
///     y[n, oy, ox, c] = max_{dy < ph, dx < pw} x[n, ph·oy + dy, pw·ox + dx, c]
///
/// Input `[batch, H, W, C]`, output `[batch, ⌊H/ph⌋, ⌊W/pw⌋, C]`. The backward pass routes each
/// output's gradient to the input that attained the maximum; on a tie, to the first in row-major
/// window order (`dy`, then `dx`), as TensorFlow's `MaxPoolGrad`. A NaN never replaces an earlier
/// maximum. No parameters.
public struct MaxPool2D<Scalar: BLASScalar>: NeuralLayer {
    /// The window's (and the stride's) height.
    public var windowHeight: Int
    /// The window's (and the stride's) width.
    public var windowWidth: Int

    /// - Precondition: both extents are at least 1.
    public init(windowHeight: Int = 2, windowWidth: Int = 2) {
        precondition(windowHeight >= 1 && windowWidth >= 1,
                     "MaxPool2D: window \(windowHeight)×\(windowWidth) must be at least 1×1")
        self.windowHeight = windowHeight
        self.windowWidth = windowWidth
    }

    /// What the backward pass needs: the flat (row-major) input index of every output's maximum.
    public struct Cache: Sendable {
        let argmax: [Int32]
        let inputShape: [Int]
    }

    public var parameters: [Tensor<Scalar>] {
        get { [] }
        set { precondition(newValue.isEmpty, "MaxPool2D has no parameters, got \(newValue.count) tensors") }
    }

    public var parameterKinds: [ParameterKind] { [] }

    public func outputShape(forInput inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "MaxPool2D: input \(inputShape) is not [batch, height, width, channels] (NHWC)")
        precondition(inputShape[1] >= windowHeight && inputShape[2] >= windowWidth,
                     "MaxPool2D: a \(windowHeight)×\(windowWidth) window does not fit the input \(inputShape)")
        return [inputShape[0], inputShape[1] / windowHeight, inputShape[2] / windowWidth, inputShape[3]]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: Cache) {
        let shape = outputShape(forInput: input.shape)
        precondition(input.count <= Int(Int32.max), "MaxPool2D: input \(input.shape) has more than 2³¹ − 1 elements")
        let count = shape.reduce(1, *)
        var argmax = [Int32](repeating: 0, count: count)
        let output = Tensor<Scalar>(shape: shape) { y in
            input.withUnsafeBufferPointer { x in
                argmax.withUnsafeMutableBufferPointer { index in
                    LayerKernels.maxPool(x.baseAddress!, inputShape: input.shape, windowHeight: windowHeight,
                                         windowWidth: windowWidth, into: y.baseAddress!, argmax: index.baseAddress!)
                }
            }
        }
        return (output, Cache(argmax: argmax, inputShape: input.shape))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ outputGradient: Tensor<Scalar>, cache: Cache, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        precondition(outputGradient.count == cache.argmax.count && outputGradient.shape == outputShape(forInput: cache.inputShape),
                     "MaxPool2D.backward: output gradient \(outputGradient.shape) is not \(outputShape(forInput: cache.inputShape))")
        guard needsInputGradient else { return (nil, []) }
        var inputGradient = Tensor<Scalar>(zeros: cache.inputShape)
        inputGradient.withUnsafeMutableBufferPointer { dx in
            outputGradient.withUnsafeBufferPointer { dy in
                cache.argmax.withUnsafeBufferPointer { index in
                    for o in 0..<index.count { dx[Int(index[o])] += dy[o] }
                }
            }
        }
        return (inputGradient, [])
    }

    /// `ph·pw − 1` comparisons per output (3 for 2×2) forward; the backward pass is a scatter.
    public func flops(inputShape: [Int]) -> LayerFlops {
        let outputs = Double(outputShape(forInput: inputShape).reduce(1, *))
        return LayerFlops(forward: outputs * Double(windowHeight * windowWidth - 1))
    }
}
