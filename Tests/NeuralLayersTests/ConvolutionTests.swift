import Testing
import TensorCore
import _TestSupport
@testable import NeuralLayers

/// One convolution problem: input `[batch, height, width, inputChannels]`, a `kh × kw` kernel.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    var batch: Int
    var height: Int
    var width: Int
    var inputChannels: Int
    var outputChannels: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var padding: Padding
    var bias: Bool

    var testDescription: String {
        "\(batch)×\(height)×\(width)×\(inputChannels) ⋆ \(kernelHeight)×\(kernelWidth)→\(outputChannels) \(padding)\(bias ? " +bias" : "")"
    }

    /// A layer and an input drawn from `seed`, kernel and bias N(0, 1).
    func layer<Scalar: BLASScalar>(_: Scalar.Type, seed: UInt64) -> (Conv2D<Scalar>, Tensor<Scalar>) {
        var rng = Philox(seed: seed, stream: 7)
        let kernel = Tensor<Scalar>.randomNormal(shape: [kernelHeight, kernelWidth, inputChannels, outputChannels], using: &rng)
        let b: Tensor<Scalar>? = bias ? .randomNormal(shape: [outputChannels], using: &rng) : nil
        let x = Tensor<Scalar>.randomNormal(shape: [batch, height, width, inputChannels], using: &rng)
        return (Conv2D(kernel: kernel, bias: b, padding: padding), x)
    }
}

/// The convolution by its definition, seven loops deep, in Double (TensorFlow's SAME offsets:
/// `(k − 1) / 2` before).
func naiveConvolution<Scalar: BLASScalar>(_ layer: Conv2D<Scalar>, _ x: Tensor<Scalar>) -> Tensor<Double> {
    let (batch, height, width, channels) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw, outputs) = (layer.kernelHeight, layer.kernelWidth, layer.outputChannels)
    let same = layer.padding == .same
    let (top, left) = same ? ((kh - 1) / 2, (kw - 1) / 2) : (0, 0)
    let (oh, ow) = same ? (height, width) : (height - kh + 1, width - kw + 1)
    var y = Tensor<Double>(zeros: [batch, oh, ow, outputs])
    for b in 0..<batch {
        for oy in 0..<oh {
            for ox in 0..<ow {
                for o in 0..<outputs {
                    var total = layer.bias.map { Double($0[[o]]) } ?? 0
                    for dy in 0..<kh {
                        for dx in 0..<kw {
                            for c in 0..<channels {
                                let (iy, ix) = (oy + dy - top, ox + dx - left)
                                guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                                total += Double(x[[b, iy, ix, c]]) * Double(layer.kernel[[dy, dx, c, o]])
                            }
                        }
                    }
                    y[b, oy, ox, o] = total
                }
            }
        }
    }
    return y
}

@Suite struct ConvolutionTests {
    /// Odd and even kernels, square and not, SAME and VALID, kernels larger than the image under
    /// SAME, one-pixel VALID outputs, cIn and cOut > 1, batches > 1.
    static let forwardCases: [ConvolutionCase] = [
        .init(batch: 2, height: 6, width: 7, inputChannels: 3, outputChannels: 4, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: true),
        .init(batch: 2, height: 6, width: 7, inputChannels: 3, outputChannels: 4, kernelHeight: 3, kernelWidth: 3, padding: .valid, bias: false),
        .init(batch: 3, height: 5, width: 6, inputChannels: 2, outputChannels: 3, kernelHeight: 2, kernelWidth: 4, padding: .same, bias: true),
        .init(batch: 3, height: 5, width: 6, inputChannels: 2, outputChannels: 3, kernelHeight: 4, kernelWidth: 2, padding: .valid, bias: true),
        .init(batch: 2, height: 4, width: 3, inputChannels: 2, outputChannels: 2, kernelHeight: 5, kernelWidth: 6, padding: .same, bias: false),
        .init(batch: 2, height: 8, width: 8, inputChannels: 1, outputChannels: 6, kernelHeight: 5, kernelWidth: 5, padding: .same, bias: true),
        .init(batch: 2, height: 5, width: 5, inputChannels: 4, outputChannels: 3, kernelHeight: 5, kernelWidth: 5, padding: .valid, bias: true),
        .init(batch: 1, height: 3, width: 4, inputChannels: 2, outputChannels: 1, kernelHeight: 1, kernelWidth: 1, padding: .same, bias: false),
        // The direct loop's shapes: a row of 17 pixels (a whole vector and one pixel), 9 output
        // channels (a whole block of 8 and one), rows of exactly 16, an even kernel under SAME.
        .init(batch: 2, height: 5, width: 17, inputChannels: 2, outputChannels: 9, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: true),
        .init(batch: 1, height: 6, width: 20, inputChannels: 3, outputChannels: 16, kernelHeight: 5, kernelWidth: 5, padding: .valid, bias: false),
        .init(batch: 2, height: 4, width: 10, inputChannels: 1, outputChannels: 2, kernelHeight: 2, kernelWidth: 4, padding: .same, bias: true),
    ]

    /// Which forward pass each shape takes: the direct loop needs output rows of 8 pixels or
    /// more and at most 16 output channels.
    @Test func theDirectLoopTakesWideRowsWithFewChannels() {
        func direct(_ shape: [Int], _ kernel: Int, _ outputs: Int, _ padding: Padding) -> Bool {
            let g = ConvolutionGeometry(inputShape: shape, kernelHeight: kernel, kernelWidth: kernel, channels: shape[3], padding: padding)
            return Conv2D<Float>.usesDirectLoop(g, outputChannels: outputs)
        }
        #expect(direct([100, 28, 28, 1], 5, 6, .same))       // LeNet-5's first convolution
        #expect(direct([100, 14, 14, 6], 5, 16, .valid))     // its second (rows of 10)
        #expect(!direct([100, 5, 5, 16], 5, 120, .valid))    // its third: one pixel, 120 channels
        #expect(!direct([2, 11, 11, 3], 5, 4, .valid))       // rows of 7
        #expect(!direct([2, 20, 20, 3], 3, 17, .same))       // 17 channels
    }

    /// In Double the GEMM and the loops differ only in summation order: ≈ K·ε·Σ|x·w| ≤ 1e-13
    /// for K ≤ 100 terms of order one.
    @Test(arguments: forwardCases)
    func forwardMatchesNaiveLoopsInDouble(_ problem: ConvolutionCase) {
        let (layer, x) = problem.layer(Double.self, seed: 1)
        let (y, _) = layer.forward(x)
        #expect(y.shape == layer.outputShape(forInput: x.shape))
        expectClose(y, naiveConvolution(layer, x), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
    }

    /// In Float against the Double loops on the same (float) inputs: the float32 dot products of
    /// K ≤ 100 terms of order one err by ≈ √K·ε·√(Σ(x·w)²) ≈ 10 · 6e-8 · 10 ≈ 6e-6 typically, so
    /// 1e-4 absolute (plus 1e-4 relative) is over ten times that.
    @Test(arguments: forwardCases)
    func forwardMatchesNaiveLoopsInFloat(_ problem: ConvolutionCase) {
        let (layer, x) = problem.layer(Float.self, seed: 2)
        let (y, _) = layer.forward(x)
        expectClose(y.converted(to: Double.self), naiveConvolution(layer, x), relativeTolerance: 1e-4, absoluteTolerance: 1e-4)
    }

    /// Small problems for the finite-difference check: both paddings, with and without bias, odd,
    /// even and rectangular kernels.
    static let gradientCases: [ConvolutionCase] = [
        .init(batch: 2, height: 4, width: 5, inputChannels: 2, outputChannels: 3, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: true),
        .init(batch: 2, height: 4, width: 5, inputChannels: 2, outputChannels: 3, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: false),
        .init(batch: 2, height: 4, width: 5, inputChannels: 2, outputChannels: 3, kernelHeight: 3, kernelWidth: 3, padding: .valid, bias: true),
        .init(batch: 2, height: 4, width: 5, inputChannels: 2, outputChannels: 3, kernelHeight: 3, kernelWidth: 3, padding: .valid, bias: false),
        .init(batch: 2, height: 5, width: 4, inputChannels: 3, outputChannels: 2, kernelHeight: 2, kernelWidth: 4, padding: .same, bias: true),
        .init(batch: 1, height: 5, width: 4, inputChannels: 3, outputChannels: 2, kernelHeight: 4, kernelWidth: 2, padding: .valid, bias: false),
        // Through the direct loop forward and its kernel gradient (rows of 9 and 11 pixels).
        .init(batch: 2, height: 3, width: 9, inputChannels: 2, outputChannels: 3, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: true),
        .init(batch: 1, height: 4, width: 12, inputChannels: 2, outputChannels: 2, kernelHeight: 3, kernelWidth: 2, padding: .valid, bias: false),
    ]

    @Test(arguments: gradientCases)
    func backwardMatchesFiniteDifferences(_ problem: ConvolutionCase) {
        let (layer, x) = problem.layer(Double.self, seed: 3)
        #expect(layer.parameterKinds == (problem.bias ? [.weight, .bias] : [.weight]))
        expectGradientsMatchFiniteDifferences(layer, input: x, seed: 4)
    }

    /// Batches whose patch matrix spans several of the layer's blocks of images (at 8 bytes a
    /// scalar: 2 images per block for the first, 1 for the second, and blocks of 7 then 5 in
    /// the third), against the naive loops forward and, backward, by the adjoint identities of
    /// a map linear in `x` and in `K` (no bias): `⟨∂L/∂x, δx⟩ = ⟨G, conv(δx; K)⟩` and
    /// `⟨∂L/∂K, δK⟩ = ⟨G, conv(x; δK)⟩` for random `δ`, exact up to rounding (≈ 1e-13 of the
    /// sums of a few thousand products of order one; 1e-10 relative).
    static let multiBlockCases: [ConvolutionCase] = [
        .init(batch: 5, height: 20, width: 20, inputChannels: 4, outputChannels: 2, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: false),
        .init(batch: 3, height: 24, width: 22, inputChannels: 3, outputChannels: 2, kernelHeight: 5, kernelWidth: 4, padding: .valid, bias: false),
        .init(batch: 12, height: 12, width: 12, inputChannels: 2, outputChannels: 3, kernelHeight: 5, kernelWidth: 3, padding: .same, bias: false),
        // 17 output channels: patch matrix and GEMM (the others above run the direct loop), in
        // two blocks of images.
        .init(batch: 20, height: 12, width: 12, inputChannels: 2, outputChannels: 17, kernelHeight: 3, kernelWidth: 3, padding: .same, bias: false),
    ]

    @Test(arguments: multiBlockCases)
    func blockedPassesMatchTheLoopsAndTheAdjointIdentities(_ problem: ConvolutionCase) {
        let (layer, x) = problem.layer(Double.self, seed: 9)
        let g = layer.geometry(forInput: x.shape)
        #expect(g.imagesPerBlock(scalarSize: 8) < problem.batch, "the case must span several blocks")
        let (y, cache) = layer.forward(x)
        expectClose(y, naiveConvolution(layer, x), relativeTolerance: 1e-12, absoluteTolerance: 1e-12)

        var rng = Philox(seed: 10)
        let gradient = Tensor<Double>.randomNormal(shape: y.shape, using: &rng)
        let (dx, parameters) = layer.backward(gradient, cache: cache, needsInputGradient: true)
        let deltaX = Tensor<Double>.randomNormal(shape: x.shape, using: &rng)
        let deltaK = Tensor<Double>.randomNormal(shape: layer.kernel.shape, using: &rng)
        var perturbed = layer
        perturbed.kernel = deltaK
        expectClose(dx!.dot(deltaX), gradient.dot(layer.forward(deltaX).output), relativeTolerance: 1e-10, "input adjoint")
        expectClose(parameters[0].dot(deltaK), gradient.dot(perturbed.forward(x).output), relativeTolerance: 1e-10, "kernel adjoint")
    }

    /// The Float backward pass (its own vectorized col2im) against the Double one on the same
    /// inputs, multi-block: float32 sums of ≤ 400 terms of order one err by ≈ √400·6e-8·√400
    /// ≈ 2.4e-5, so 1e-3 absolute (plus 1e-4 relative) leaves a margin of 40.
    @Test(arguments: multiBlockCases + gradientCases)
    func floatBackwardMatchesDouble(_ problem: ConvolutionCase) {
        let (layer, x) = problem.layer(Double.self, seed: 11)
        var rng = Philox(seed: 12)
        let gradient = Tensor<Double>.randomNormal(shape: layer.outputShape(forInput: x.shape), using: &rng)
        let floatLayer = Conv2D<Float>(kernel: layer.kernel.converted(), bias: layer.bias?.converted(), padding: layer.padding)
        let expected = layer.backward(gradient, cache: layer.forward(x).cache, needsInputGradient: true)
        let actual = floatLayer.backward(gradient.converted(), cache: floatLayer.forward(x.converted()).cache, needsInputGradient: true)
        expectClose(actual.input!.converted(to: Double.self), expected.input!, relativeTolerance: 1e-4, absoluteTolerance: 1e-3, "input gradient")
        for (a, e) in zip(actual.parameters, expected.parameters) {
            // The kernel gradient sums batch·Ho·Wo ≤ 2,000 products: 1e-2 absolute on values of order 40.
            expectClose(a.converted(to: Double.self), e, relativeTolerance: 1e-4, absoluteTolerance: 1e-2, "parameter gradient")
        }
    }

    @Test func parameterGradientsDoNotDependOnTheInputGradientBeingAsked() {
        let (layer, x) = Self.gradientCases[0].layer(Double.self, seed: 5)
        let (y, cache) = layer.forward(x)
        let with = layer.backward(y, cache: cache, needsInputGradient: true)
        let without = layer.backward(y, cache: cache, needsInputGradient: false)
        #expect(without.input == nil && with.input?.shape == x.shape)
        #expect(with.parameters.count == 2 && without.parameters.count == 2)
        for (a, b) in zip(with.parameters, without.parameters) { #expect(a.scalars == b.scalars) }
    }

    @Test func initializerDrawsATruncatedNormalKernelAndZeroBias() {
        var rng = Philox(seed: 6)
        let layer = Conv2D<Float>(kernelHeight: 5, kernelWidth: 5, inputChannels: 6, outputChannels: 16, padding: .valid,
                                  standardDeviation: 0.1, using: &rng)
        #expect(layer.kernel.shape == [5, 5, 6, 16])
        #expect(layer.bias?.scalars == [Float](repeating: 0, count: 16))
        #expect(layer.kernel.maxAbs() <= 0.2)
        #expect(layer.parameterCount(.weight) == 2400 && layer.parameterCount(.bias) == 16)
        let noBias = Conv2D<Float>(kernelHeight: 3, kernelWidth: 3, inputChannels: 1, outputChannels: 2, padding: .same,
                                   bias: false, standardDeviation: 0.1, using: &rng)
        #expect(noBias.bias == nil && noBias.parameters.count == 1)
    }

    /// LeNet-5's first convolution on a batch of 100: `2·78400·25·6` per product.
    @Test func flopsCountTheThreeProducts() {
        var rng = Philox(seed: 7)
        let conv1 = Conv2D<Float>(kernelHeight: 5, kernelWidth: 5, inputChannels: 1, outputChannels: 6, padding: .same,
                                  standardDeviation: 0.1, using: &rng)
        let flops = conv1.flops(inputShape: [100, 28, 28, 1])
        let product = 2.0 * 78_400 * 25 * 6
        #expect(flops.forward == product + 78_400 * 6)
        #expect(flops.parameterGradient == product && flops.inputGradient == product)
        #expect(conv1.outputShape(forInput: [100, 28, 28, 1]) == [100, 28, 28, 6])
        let conv2 = Conv2D<Float>(kernelHeight: 5, kernelWidth: 5, inputChannels: 6, outputChannels: 16, padding: .valid,
                                  bias: false, standardDeviation: 0.1, using: &rng)
        #expect(conv2.outputShape(forInput: [100, 14, 14, 6]) == [100, 10, 10, 16])
        #expect(conv2.flops(inputShape: [100, 14, 14, 6]).forward == 2.0 * 10_000 * 150 * 16)
    }

    /// Convolution → pooling → VALID convolution → flatten → softmax cross-entropy, through
    /// ``Sequential``: every parameter's gradient of the loss against central differences
    /// (step 1e-6; the loss is of order one, so 1e-6 relative is far above the noise).
    @Test func aConvolutionalStackMatchesFiniteDifferencesOfTheLoss() {
        var rng = Philox(seed: 8)
        let network = Sequential<Double>([
            Conv2D(kernel: .randomNormal(shape: [3, 3, 1, 2], standardDeviation: 0.5, using: &rng),
                   bias: .randomNormal(shape: [2], standardDeviation: 0.1, using: &rng), padding: .same),
            MaxPool2D(),
            Conv2D(kernel: .randomNormal(shape: [2, 2, 2, 3], standardDeviation: 0.5, using: &rng), bias: nil, padding: .valid),
            Flatten(),
        ])
        let x = Tensor<Double>.randomNormal(shape: [3, 6, 6, 1], using: &rng)
        #expect(network.shapes(forInput: x.shape) == [[3, 6, 6, 1], [3, 6, 6, 2], [3, 3, 3, 2], [3, 2, 2, 3], [3, 12]])
        let labels = [4, 0, 11]
        let (logits, caches) = network.forward(x)
        let gradients = network.backward(SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels).gradient,
                                         caches: caches)
        #expect(gradients.count == 3)
        for k in network.parameters.indices {
            let numeric = finiteDifferences(network.parameters[k]) { p in
                var perturbed = network
                perturbed.parameters[k] = p
                return SoftmaxCrossEntropy.lossAndGradient(logits: perturbed(x), labels: labels).loss
            }
            expectClose(gradients[k], numeric, relativeTolerance: 1e-6, absoluteTolerance: 1e-9, "parameter \(k)")
        }
    }
}
