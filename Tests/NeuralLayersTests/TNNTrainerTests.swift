import Testing
import TensorCore
import TensorNetworks
import _TestSupport
@testable import NeuralLayers

@Suite struct TNNTrainerTests {
    func twoClusters() -> (Tensor<Double>, Tensor<Double>) {
        var rng = Philox(seed: 31)
        var x: [Double] = [], y: [Double] = []
        for i in 0..<40 {
            let c = Double(i % 2)
            x += [0.25 + 0.5 * c + 0.05 * rng.nextNormal(), 0.3 + 0.4 * c + 0.05 * rng.nextNormal()]
            y += [1 - c, c]
        }
        return (Tensor(shape: [40, 2], scalars: x), Tensor(shape: [40, 2], scalars: y))
    }

    /// A sweep lowers the loss, keeps every bond at most D, and reports its updates: PaL makes
    /// 3 pair updates left→right and 3 right→left on the 4-core MPO; LbL with 2 sweeps per layer
    /// one dense step and 2 × 6 pair updates.
    @Test(arguments: [(TNNTrainer.Strategy.partialAllLayer, 6), (.layerByLayer(sweepsPerLayer: 2), 13)])
    func sweepsReduceTheLossAndRespectD(strategy: TNNTrainer.Strategy, steps: Int) throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, classes: 2, bondDimension: 2)
        let (x, y) = twoClusters()
        let loss: Loss = .binaryCrossEntropy
        let initial = loss(network(x), y)
        var trainer = TNNTrainer(learningRate: 0.1, loss: loss, strategy: strategy)
        var report: EpochReport?
        for _ in 0..<15 { report = try trainer.sweep(&network, inputs: x, targets: y) }
        let final = try #require(report)
        #expect(try #require(final.loss) < initial)
        #expect(final.steps == steps && final.nonFiniteSteps == 0)
        #expect(trainer.sweepCount == 15)
        #expect(trainer.bonds.count == 1 && trainer.bonds[0].count == 3)
        #expect(trainer.entropies[0].allSatisfy { $0 >= 0 && $0 <= log(2.0) + 1e-12 })
        #expect(trainer.entropyMax == trainer.entropies[0].max())
        let tn = try #require(network.layers[1] as? TNLayer)
        #expect(tn.mpo.bondDimensions.allSatisfy { $0 <= 2 })
        #expect(final.flops > 0)
    }

    /// 30 PaL sweeps on two well-separated clusters lower the training loss by at least 15%,
    /// monotonically sweep by sweep (full batch, α = 0.1: small steps on a smooth loss); each
    /// report's loss is the loss of the network after its sweep, and ``TNNTrainer/output`` its output.
    @Test func trainingLowersTheLoss() throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, classes: 2, bondDimension: 2)
        let (x, y) = twoClusters()
        let loss: Loss = .binaryCrossEntropy
        let before = loss(network(x), y)
        var trainer = TNNTrainer(learningRate: 0.1, loss: loss)
        var losses = [before]
        for _ in 1...30 {
            let report = try trainer.sweep(&network, inputs: x, targets: y)
            #expect(report.loss == loss(network(x), y))
            #expect(trainer.output?.scalars == network(x).scalars)
            losses.append(try #require(report.loss))
        }
        #expect(losses[30] < 0.85 * before, "loss \(before) → \(losses[30])")
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "losses \(losses)")
    }

    /// A step size far past stability makes the loss non-finite: the error names the sweep.
    @Test func nonFiniteTrainingNamesTheSweep() throws {
        var network = try smallHybrid(activation: .linear, output: .linear, classes: 2)
        let (x, y) = twoClusters()
        var trainer = TNNTrainer(learningRate: 1e6, loss: .meanSquaredError)
        do {
            for _ in 0..<50 { _ = try trainer.sweep(&network, inputs: x, targets: y) }
            Issue.record("training at α = 1e6 stayed finite")
        } catch TNNTrainingError.nonFinite(let message) {
            #expect(message.hasSuffix("at sweep \(trainer.sweepCount)"), "\(message)")
        }
    }

    @Test func partialAllLayerUpdatesDenseLayersAtEveryPair() throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, classes: 2)
        let (x, y) = twoClusters()
        let frozenBefore = try #require(network.layers[0] as? Dense<Double>)
        let outputBefore = try #require(network.layers[2] as? Dense<Double>)
        var trainer = TNNTrainer(loss: .binaryCrossEntropy)
        try trainer.updatePair(&network, layer: 1, bond: 0, inputs: x, targets: y, updateDense: true)
        let frozenAfter = try #require(network.layers[0] as? Dense<Double>)
        let outputAfter = try #require(network.layers[2] as? Dense<Double>)
        #expect(frozenAfter.weight.scalars == frozenBefore.weight.scalars)
        #expect(outputAfter.weight.scalars != outputBefore.weight.scalars)
        #expect(trainer.optimizer.step == 1)
    }

    /// With plain SGD the trainer's dense and bias steps are `θ − α·g` exactly (the arithmetic
    /// the suites' reference numbers were produced with).
    @Test func denseStepIsPlainGradientDescent() throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, classes: 2)
        let (x, y) = twoClusters()
        let loss: Loss = .binaryCrossEntropy
        let gradients = network.affineGradients(inputs: x, targets: y, loss: loss).gradients
        var expectedWeight = try #require(network.layers[2] as? Dense<Double>).weight
        expectedWeight.add(gradients[2].weight!, scaledBy: -0.1)
        var expectedBias = try #require(network.layers[1] as? TNLayer).bias
        expectedBias.add(gradients[1].bias!, scaledBy: -0.1)
        #expect(gradients[0].weight == nil && gradients[0].bias == nil)
        var trainer = TNNTrainer(learningRate: 0.1, loss: loss)
        try trainer.updatePair(&network, layer: 1, bond: 0, inputs: x, targets: y, updateDense: true)
        #expect(try #require(network.layers[2] as? Dense<Double>).weight.scalars == expectedWeight.scalars)
        #expect(try #require(network.layers[1] as? TNLayer).bias.scalars == expectedBias.scalars)
    }

    @Test func strategyDescriptions() {
        #expect(TNNTrainer.Strategy.partialAllLayer.description == "partial-all-layer")
        #expect(TNNTrainer.Strategy.layerByLayer(sweepsPerLayer: 3).description == "layer-by-layer")
    }

    /// The network's size counts the frozen input layer too: 2·16 + 16, the MPO's cores and
    /// bias, 16·2 + 2; the TN layers are found by type.
    @Test func scalarCountAndTensorNetworkLayers() throws {
        let network = try smallHybrid(activation: .relu, output: .softmax, classes: 2)
        let tn = try #require(network.layers[1] as? TNLayer)
        #expect(network.scalarCount == 48 + tn.mpo.parameterCount + 16 + 34)
        #expect(network.tensorNetworkLayerIndices == [1])
    }

    @Test func sweepIsDeterministic() throws {
        let (x, y) = twoClusters()
        func run() throws -> [Double?] {
            var network = try smallHybrid(activation: .relu, output: .softmax, classes: 2)
            var trainer = TNNTrainer(loss: .binaryCrossEntropy)
            return try (0..<3).map { _ in try trainer.sweep(&network, inputs: x, targets: y).loss }
        }
        #expect(try run() == run())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
