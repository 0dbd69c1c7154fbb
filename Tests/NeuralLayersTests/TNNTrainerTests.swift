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

    @Test(arguments: [TNNTrainer.Strategy.partialAllLayer, .layerByLayer(sweepsPerLayer: 2)])
    func sweepsReduceTheLossAndRespectD(strategy: TNNTrainer.Strategy) throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, loss: .binaryCrossEntropy, classes: 2, bondDimension: 2)
        let (x, y) = twoClusters()
        let initial = network.loss(network(x), y)
        let trainer = TNNTrainer(learningRate: 0.1, strategy: strategy)
        var report: TNNTrainer.SweepReport?
        for _ in 0..<15 { report = try trainer.sweep(&network, inputs: x, targets: y) }
        let final = try #require(report)
        #expect(final.loss < initial)
        #expect(final.bonds.count == 1 && final.bonds[0].count == 3)
        #expect(final.entropies[0].allSatisfy { $0 >= 0 && $0 <= log(2.0) + 1e-12 })
        guard case .tensorNetwork(let tn) = network.layers[1] else { return }
        #expect(tn.mpo.bondDimensions.allSatisfy { $0 <= 2 })
        #expect(final.flops > 0)
    }

    @Test func partialAllLayerUpdatesDenseLayersAtEveryPair() throws {
        var network = try smallHybrid(activation: .relu, output: .softmax, loss: .binaryCrossEntropy, classes: 2)
        let (x, y) = twoClusters()
        guard case .dense(let frozenBefore) = network.layers[0], case .dense(let outputBefore) = network.layers[2] else { return }
        let trainer = TNNTrainer()
        try trainer.updatePair(&network, layer: 1, bond: 0, inputs: x, targets: y, updateDense: true)
        guard case .dense(let frozenAfter) = network.layers[0], case .dense(let outputAfter) = network.layers[2] else { return }
        #expect(frozenAfter.weight.scalars == frozenBefore.weight.scalars)
        #expect(outputAfter.weight.scalars != outputBefore.weight.scalars)
    }

    @Test func sweepIsDeterministic() throws {
        let (x, y) = twoClusters()
        func run() throws -> [Double] {
            var network = try smallHybrid(activation: .relu, output: .softmax, loss: .binaryCrossEntropy, classes: 2)
            return try (0..<3).map { _ in try TNNTrainer().sweep(&network, inputs: x, targets: y).loss }
        }
        #expect(try run() == run())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
