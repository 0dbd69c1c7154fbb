import Testing
import TensorCore
import TensorNetworks
import _TestSupport
@testable import NeuralLayers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The MPO with cores `bond`, `bond+1` replaced by an exact representation of `bondTensor`:
/// the left core is `B` itself (its right index is the fused `(dIn_b, dOut_b, Dr)`), the right
/// core an identity that routes that fused index. `W` is then exactly the function of `B`.
func mpo(_ mpo: MPO<Double>, withBondTensor bondTensor: Tensor<Double>, at bond: Int) -> MPO<Double> {
    let s = bondTensor.shape
    let fused = s[3] * s[4] * s[5]
    var cores = mpo.cores
    cores[bond] = bondTensor.reshaped([s[0], s[1], s[2], fused])
    cores[bond + 1] = Tensor(shape: [fused, s[3], s[4], s[5]]) { buffer in
        for i in 0..<buffer.count { buffer[i] = 0 }
        for f in 0..<fused { buffer[f * fused + f] = 1 }
    }
    return MPO(cores: cores)
}

/// A small hybrid network: frozen Dense(2 → 16) → TNLayer(16 → 16, 4 cores of d = 2) → Dense(16 → classes).
func smallHybrid(activation: Activation, output: Activation, classes: Int, bondDimension: Int = 3, seed: UInt64 = 5) throws -> Sequential<Double> {
    var rng = Philox(seed: seed)
    var tn = try TNLayer(siteCount: 4, physicalDimension: 2, maxBondDimension: bondDimension, activation: activation, using: &rng)
    tn.bias = .randomNormal(shape: [16], standardDeviation: 0.1, using: &rng)
    return Sequential<Double>([
        Dense(inputSize: 2, units: 16, trainable: false, using: &rng),
        tn,
        Dense(inputSize: 16, units: classes, activation: output, using: &rng),
    ])
}

@Suite struct TNLayerTests {
    @Test(arguments: [Activation.sigmoid, .relu, .linear], [0, 1, 2])
    func bondGradientMatchesFiniteDifferencesThroughHybridNetwork(activation: Activation, bond: Int) throws {
        // TNLayer + Dense (softmax, categorical cross-entropy), behind a frozen input layer.
        let loss: Loss = .categoricalCrossEntropy
        let network = try smallHybrid(activation: activation, output: .softmax, classes: 3)
        var rng = Philox(seed: 9)
        let x = Tensor<Double>.randomNormal(shape: [7, 2], using: &rng)
        let labels = (0..<7).map { $0 % 3 }
        let y = Tensor<Double>(shape: [7, 3], scalars: labels.flatMap { l in (0..<3).map { $0 == l ? 1.0 : 0.0 } })
        let tn = try #require(network.layers[1] as? TNLayer)

        let analytic = TNNTrainer.bondGradient(network, loss: loss, layer: 1, bond: bond, inputs: x, targets: y)
        let numeric = finiteDifferences(tn.mpo.bondTensor(at: bond), step: 1e-6) { b in
            var perturbed = network
            var layer = tn
            layer.mpo = mpo(tn.mpo, withBondTensor: b, at: bond)
            perturbed.layers[1] = layer
            return loss(perturbed(x), y)
        }
        #expect(analytic.shape == tn.mpo.bondTensor(at: bond).shape)
        expectClose(analytic, numeric, relativeTolerance: 1e-5, absoluteTolerance: 1e-9)
    }

    @Test func bondGradientMatchesFiniteDifferencesInDeepStack() throws {
        // Two TN layers and MSE: the gradient of the first layer's bond passes through the second.
        var rng = Philox(seed: 21)
        let loss: Loss = .meanSquaredError
        let network = Sequential<Double>([
            Dense(inputSize: 1, units: 16, trainable: false, using: &rng),
            try TNLayer(siteCount: 4, physicalDimension: 2, maxBondDimension: 2, activation: .linear, using: &rng),
            try TNLayer(siteCount: 4, physicalDimension: 2, maxBondDimension: 2, activation: .sigmoid, using: &rng),
            Dense(inputSize: 16, units: 1, activation: .linear, using: &rng),
        ])
        let x = Tensor<Double>.randomUniform(shape: [6, 1], in: 0..<6, using: &rng)
        let y = x.map { sin($0) }
        let tn = try #require(network.layers[1] as? TNLayer)
        let analytic = TNNTrainer.bondGradient(network, loss: loss, layer: 1, bond: 1, inputs: x, targets: y)
        let numeric = finiteDifferences(tn.mpo.bondTensor(at: 1)) { b in
            var perturbed = network, layer = tn
            layer.mpo = mpo(tn.mpo, withBondTensor: b, at: 1)
            perturbed.layers[1] = layer
            return loss(perturbed(x), y)
        }
        expectClose(analytic, numeric, relativeTolerance: 1e-5, absoluteTolerance: 1e-9)
    }

    @Test(arguments: [0, 1, 2])
    func untruncatedSplitLeavesOutputsUnchanged(bond: Int) throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, classes: 2)
        var rng = Philox(seed: 4)
        let x = Tensor<Double>.randomNormal(shape: [9, 2], using: &rng)
        let before = network(x)
        var tn = try #require(network.layers[1] as? TNLayer)
        let split = try tn.mpo.split(bondTensor: tn.mpo.bondTensor(at: bond), at: bond, truncation: .none)
        #expect(split.discardedWeight == 0)
        network.layers[1] = tn
        expectClose(network(x), before, relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
    }

    @Test func layerGradientsMatchFiniteDifferences() throws {
        // ∂L/∂W of the contracted MPO and ∂L/∂b, through the output layer.
        let loss: Loss = .meanSquaredError
        let network = try smallHybrid(activation: .sigmoid, output: .linear, classes: 2)
        var rng = Philox(seed: 8)
        let x = Tensor<Double>.randomNormal(shape: [5, 2], using: &rng)
        let y = Tensor<Double>.randomNormal(shape: [5, 2], using: &rng)
        let tn = try #require(network.layers[1] as? TNLayer)
        let gradients = network.affineGradients(inputs: x, targets: y, loss: loss).gradients
        let numericBias = finiteDifferences(tn.bias) { b in
            var perturbed = network, layer = tn
            layer.bias = b
            perturbed.layers[1] = layer
            return loss(perturbed(x), y)
        }
        expectClose(gradients[1].bias!, numericBias, relativeTolerance: 1e-5, absoluteTolerance: 1e-10)
        #expect(gradients[0].weight == nil)
        #expect(gradients[2].weight!.shape == [16, 2])
    }

    /// The weight gradient of a TN layer, core by core: the chain rule through `B = Aⁱ·Aⁱ⁺¹`
    /// turns the bond gradient into `∂L/∂Aⁱ[l,a,b,r] = Σ ∂L/∂B[l,a,b,a',b',r'] Aⁱ⁺¹[r,a',b',r']`
    /// (and the last core from the last bond, contracting the left core); each must match
    /// central finite differences of the loss in the core's elements (Double).
    @Test(arguments: [0, 1, 2, 3])
    func coreGradientMatchesFiniteDifferences(core: Int) throws {
        let loss: Loss = .categoricalCrossEntropy
        let network = try smallHybrid(activation: .sigmoid, output: .softmax, classes: 3)
        var rng = Philox(seed: 17)
        let x = Tensor<Double>.randomNormal(shape: [6, 2], using: &rng)
        let y = Tensor<Double>.oneHot(labels: (0..<6).map { $0 % 3 }, classes: 3)
        let tn = try #require(network.layers[1] as? TNLayer)
        let cores = tn.mpo.cores
        #expect(cores.count == 4)
        let last = core == cores.count - 1
        let bond = last ? core - 1 : core
        let bondGradient = TNNTrainer.bondGradient(network, loss: loss, layer: 1, bond: bond, inputs: x, targets: y)
        let analytic = last
            ? Self.rightCoreGradient(bondGradient, left: cores[bond])
            : Self.leftCoreGradient(bondGradient, right: cores[bond + 1])
        let numeric = finiteDifferences(cores[core], step: 1e-6) { a in
            var perturbed = network, layer = tn, changed = cores
            changed[core] = a
            layer.mpo = MPO(cores: changed)
            perturbed.layers[1] = layer
            return loss(perturbed(x), y)
        }
        #expect(analytic.shape == cores[core].shape)
        #expect(numeric.scalars.contains { abs($0) > 1e-6 }, "the check needs a non-zero gradient")
        expectClose(analytic, numeric, relativeTolerance: 1e-5, absoluteTolerance: 1e-9)
    }

    /// As a ``NeuralLayer`` in a ``Sequential``, a TN layer back-propagates into its cores and
    /// bias (the frozen input layer has no parameters, so the TN layer's are entries 0…4): each
    /// gradient matches central finite differences of the loss.
    @Test(arguments: [0, 2, 4])
    func sequentialBackwardGivesCoreAndBiasGradients(parameter: Int) throws {
        let loss: Loss = .categoricalCrossEntropy
        let network = try smallHybrid(activation: .sigmoid, output: .softmax, classes: 3)
        var rng = Philox(seed: 23)
        let x = Tensor<Double>.randomNormal(shape: [6, 2], using: &rng)
        let y = Tensor<Double>.oneHot(labels: (0..<6).map { $0 % 3 }, classes: 3)
        let (output, caches) = network.forward(x)
        let gradients = network.backward(loss.gradient(output, y), caches: caches)
        let tn = try #require(network.layers[1] as? TNLayer)
        #expect(network.parameterKinds == [ParameterKind](repeating: .weight, count: 4) + [.bias, .weight, .bias])
        #expect(tn.parameterCount == tn.parameters.reduce(0) { $0 + $1.count })
        let numeric = finiteDifferences(network.parameters[parameter], step: 1e-6) { value in
            var perturbed = network
            var parameters = perturbed.parameters
            parameters[parameter] = value
            perturbed.parameters = parameters
            return loss(perturbed(x), y)
        }
        #expect(numeric.scalars.contains { abs($0) > 1e-6 }, "the check needs a non-zero gradient")
        expectClose(gradients[parameter], numeric, relativeTolerance: 1e-5, absoluteTolerance: 1e-9)
    }

    /// `Σ_{a',b',r'} G[l,a,b,a',b',r'] R[r,a',b',r']` for a bond gradient G and the right core R.
    static func leftCoreGradient(_ g: Tensor<Double>, right: Tensor<Double>) -> Tensor<Double> {
        let s = g.shape, r = right.shape[0]
        let inner = s[3] * s[4] * s[5]
        let gs = g.scalars, rs = right.scalars
        var out = [Double](repeating: 0, count: s[0] * s[1] * s[2] * r)
        for row in 0..<(s[0] * s[1] * s[2]) {
            for k in 0..<r {
                var total = 0.0
                for j in 0..<inner { total += gs[row * inner + j] * rs[k * inner + j] }
                out[row * r + k] = total
            }
        }
        return Tensor(shape: [s[0], s[1], s[2], r], scalars: out)
    }

    /// `Σ_{l,a,b} L[l,a,b,r] G[l,a,b,a',b',r']` for a bond gradient G and the left core L.
    static func rightCoreGradient(_ g: Tensor<Double>, left: Tensor<Double>) -> Tensor<Double> {
        let s = g.shape, r = left.shape[3]
        let outer = s[0] * s[1] * s[2], inner = s[3] * s[4] * s[5]
        let gs = g.scalars, ls = left.scalars
        var out = [Double](repeating: 0, count: r * inner)
        for k in 0..<r {
            for j in 0..<inner {
                var total = 0.0
                for i in 0..<outer { total += ls[i * r + k] * gs[i * inner + j] }
                out[k * inner + j] = total
            }
        }
        return Tensor(shape: [r, s[3], s[4], s[5]], scalars: out)
    }
}
