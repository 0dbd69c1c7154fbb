import Testing
import TensorCore
import _TestSupport
@testable import NeuralLayers

/// Central finite differences of `f` at every element of `x`.
func finiteDifferences(_ x: Tensor<Double>, step: Double = 1e-6, _ f: (Tensor<Double>) -> Double) -> Tensor<Double> {
    var gradient = Tensor<Double>(zeros: x.shape)
    let values = x.scalars
    for i in values.indices {
        var plus = values, minus = values
        plus[i] += step
        minus[i] -= step
        let g = (f(Tensor(shape: x.shape, scalars: plus)) - f(Tensor(shape: x.shape, scalars: minus))) / (2 * step)
        gradient.withUnsafeMutableBufferPointer { $0[i] = g }
    }
    return gradient
}

@Suite struct LayerGradientTests {
    /// Every activation with MSE; the cross-entropies need probabilities, so only with the
    /// sigmoid and softmax outputs (8 cases).
    static let activationLossPairs: [(Activation, Loss)] =
        Activation.allCases.map { ($0, Loss.meanSquaredError) }
        + [Activation.sigmoid, .softmax].flatMap { a in [(a, Loss.binaryCrossEntropy), (a, Loss.categoricalCrossEntropy)] }

    @Test func theCasesCoverEveryActivationAndLoss() {
        #expect(Self.activationLossPairs.count == 8)
        #expect(Set(Self.activationLossPairs.map(\.0)) == Set(Activation.allCases))
        #expect(Set(Self.activationLossPairs.map(\.1)) == Set(Loss.allCases))
    }

    @Test(arguments: activationLossPairs)
    func denseGradientsMatchFiniteDifferences(activation: Activation, loss: Loss) {
        var rng = Philox(seed: 11, stream: 1)
        let layer = Dense(weight: .randomNormal(shape: [4, 3], standardDeviation: 0.7, using: &rng),
                          bias: .randomNormal(shape: [3], standardDeviation: 0.3, using: &rng), activation: activation)
        let x = Tensor<Double>.randomNormal(shape: [5, 4], using: &rng)
        var target = Tensor<Double>.randomUniform(shape: [5, 3], in: 0..<1, using: &rng)
        if loss == .categoricalCrossEntropy {
            target = Tensor(shape: [5, 3], scalars: (0..<15).map { $0 % 3 == ($0 / 3) % 3 ? 1.0 : 0.0 })
        }
        let (y, cache) = layer.forward(x)
        let (dx, gradients) = layer.backward(loss.gradient(y, target), cache: cache, needsInputGradient: true)

        let numericW = finiteDifferences(layer.weight) { w in
            var l = layer; l.weight = w; return loss(l.forward(x).output, target)
        }
        let numericB = finiteDifferences(layer.bias!) { b in
            var l = layer; l.bias = b; return loss(l.forward(x).output, target)
        }
        let numericX = finiteDifferences(x) { loss(layer.forward($0).output, target) }
        #expect(gradients.count == 2)
        expectClose(gradients[0], numericW, relativeTolerance: 1e-5, absoluteTolerance: 1e-8)
        expectClose(gradients[1], numericB, relativeTolerance: 1e-5, absoluteTolerance: 1e-8)
        expectClose(dx!, numericX, relativeTolerance: 1e-5, absoluteTolerance: 1e-8)
    }

    @Test func frozenDenseHasNoParameterGradient() {
        var rng = Philox(seed: 2)
        let layer = Dense<Double>(inputSize: 3, units: 2, trainable: false, using: &rng)
        let x = Tensor<Double>.randomNormal(shape: [4, 3], using: &rng)
        let (y, cache) = layer.forward(x)
        let result = layer.backward(y, cache: cache, needsInputGradient: false)
        #expect(result.parameters.isEmpty && result.input == nil && layer.parameters.isEmpty)
    }

    /// ReLU's backward pass (a C loop: 16 lanes, then a scalar tail) passes the gradient where
    /// z > 0 and writes +0 elsewhere — for z = 0, −0, a negative z and a NaN z — bit for bit,
    /// a NaN or −0 gradient included, at every length up to three vectors and a tail.
    @Test func reluBackwardSelectsTheGradientBitForBit() {
        func check<Scalar: BLASScalar>(_: Scalar.Type) {
            let zs: [Scalar] = [2, -1, 0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
            let gs: [Scalar] = [1.5, -0.0, .nan, 3, -2, .leastNonzeroMagnitude, 7, -0.0, .infinity, 4]
            for count in 0...50 {
                let z = Tensor<Scalar>(shape: [count], scalars: (0..<count).map { zs[($0 * 7) % zs.count] })
                let g = Tensor<Scalar>(shape: [count], scalars: (0..<count).map { gs[($0 * 3) % gs.count] })
                let out = Activation.relu.backward(g, preActivation: z, output: Activation.relu(z))
                let expected = (0..<count).map { z.scalars[$0] > 0 ? g.scalars[$0] : 0 }
                #expect(out.scalars.withUnsafeBytes { Array($0) } == expected.withUnsafeBytes { Array($0) }, "\(Scalar.self) × \(count)")
            }
        }
        check(Float.self)
        check(Double.self)
    }

    @Test func activationsHaveTheirDefiningValues() {
        let z = Tensor<Double>(shape: [2, 3], scalars: [-1, 0, 2, 3, 3, 3])
        #expect(Activation.relu(z).scalars == [0, 0, 2, 3, 3, 3])
        #expect(Activation.linear(z).scalars == z.scalars)
        expectClose(Activation.sigmoid(z)[[0, 1]], 0.5)
        let s = Activation.softmax(z)
        expectClose(s[[1, 0]], 1.0 / 3, relativeTolerance: 1e-12)
        expectClose(s[[0, 0]] + s[[0, 1]] + s[[0, 2]], 1, relativeTolerance: 1e-12)
    }

    @Test func binaryAndCategoricalCrossEntropyAgreeForTwoClasses() {
        // With a two-class softmax, BCE over the one-hot targets equals CCE (the blobs model).
        let p = Activation.softmax(Tensor<Double>(shape: [3, 2], scalars: [0.3, -1, 2, 0.5, -0.2, -0.1]))
        let t = Tensor<Double>(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 0])
        expectClose(Loss.binaryCrossEntropy(p, t), Loss.categoricalCrossEntropy(p, t), relativeTolerance: 1e-12)
    }
}
