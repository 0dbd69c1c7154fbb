import Testing
import TensorCore
import TensorNetworks
import _TestSupport
@testable import NeuralLayers

@Suite struct MPOLinearTests {
    /// Small layers with uneven modes, a unit mode and bonds that exceed the useful rank.
    static let shapes: [(input: [Int], output: [Int], bond: Int)] = [
        ([2, 3, 2], [3, 1, 2], 2),
        ([3, 2, 2, 2], [2, 2, 1, 3], 3),
        ([5], [4], 1),
    ]

    @Test(arguments: 0..<3, MPOLinear<Double>.Contraction.allCases)
    func forwardIsTheDenseMatrixProduct(shape: Int, contraction: MPOLinear<Double>.Contraction) {
        let (input, output, bond) = Self.shapes[shape]
        var rng = Philox(seed: 31, stream: UInt64(shape))
        var layer = MPOLinear<Double>(inputModes: input, outputModes: output, bondDimension: bond, bias: true,
                                      contraction: contraction, using: &rng)
        layer.bias = .randomNormal(shape: [layer.units], using: &rng)
        let x = Tensor<Double>.randomNormal(shape: [4, layer.inputSize], using: &rng)
        var expected = x.matmul(layer.mpo.denseMatrix())
        expected.addToRows(layer.bias!)
        expectClose(layer.forward(x).output, expected, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
    }

    @Test(arguments: 0..<3, MPOLinear<Double>.Contraction.allCases)
    func gradientsMatchFiniteDifferences(shape: Int, contraction: MPOLinear<Double>.Contraction) {
        let (input, output, bond) = Self.shapes[shape]
        var rng = Philox(seed: 32, stream: UInt64(shape))
        for bias in [true, false] {
            var layer = MPOLinear<Double>(inputModes: input, outputModes: output, bondDimension: bond, bias: bias,
                                          contraction: contraction, using: &rng)
            if bias { layer.bias = .randomNormal(shape: [layer.units], using: &rng) }
            let x = Tensor<Double>.randomNormal(shape: [3, layer.inputSize], using: &rng)
            expectGradientsMatchFiniteDifferences(layer, input: x, seed: 5)
        }
    }

    /// The two contraction orders in single precision at FC2's first-layer shape: same output,
    /// same core, bias and input gradients, to float32 rounding of sums of ~800 terms.
    @Test(arguments: [2, 5])
    func bothContractionsAgreeInFloat(bond: Int) {
        var rng = Philox(seed: 33)
        let dense = MPOLinear<Float>(inputModes: [4, 7, 7, 4], outputModes: [4, 4, 4, 4], bondDimension: bond,
                                     bias: true, contraction: .denseMatrix, using: &rng)
        var cores = dense
        cores.contraction = .coreByCore
        let x = Tensor<Float>.randomUniform(shape: [6, 784], using: &rng)
        let g = Tensor<Float>.randomNormal(shape: [6, 256], using: &rng)
        let (yDense, cacheDense) = dense.forward(x)
        let (yCores, cacheCores) = cores.forward(x)
        let scale = Double(yDense.maxAbs())
        expectClose(yCores, yDense, relativeTolerance: 0, absoluteTolerance: 1e-5 * scale)
        let a = dense.backward(g, cache: cacheDense, needsInputGradient: true)
        let b = cores.backward(g, cache: cacheCores, needsInputGradient: true)
        expectClose(b.input!, a.input!, relativeTolerance: 0, absoluteTolerance: 1e-5 * Double(a.input!.maxAbs()))
        #expect(a.parameters.count == 5 && b.parameters.count == 5)
        for k in a.parameters.indices {
            expectClose(b.parameters[k], a.parameters[k], relativeTolerance: 0,
                        absoluteTolerance: 1e-5 * Double(a.parameters[k].maxAbs()), "parameter \(k)")
        }
    }

    /// Core by core, every product of the layer is thin and runs on one BLAS thread whatever the
    /// caller's count: on one thread or two, at FC2's first-layer shape and a batch of 100, the
    /// same bits — output, input gradient and core gradients. (The dense order's batch products
    /// stay threaded, and OpenBLAS's products can differ in their last bits between thread
    /// counts; that is why a job records its count.)
    @Test func coreByCoreNumbersDoNotDependOnTheThreadCount() {
        var rng = Philox(seed: 34)
        let layer = MPOLinear<Float>(inputModes: [4, 7, 7, 4], outputModes: [4, 4, 4, 4], bondDimension: 2,
                                     bias: true, contraction: .coreByCore, using: &rng)
        let x = Tensor<Float>.randomUniform(shape: [100, 784], using: &rng)
        let g = Tensor<Float>.randomNormal(shape: [100, 256], using: &rng)
        func run(_ threads: Int) -> [Float] {
            withBLASThreads(threads) {
                let (y, cache) = layer.forward(x)
                let back = layer.backward(g, cache: cache, needsInputGradient: true)
                return y.scalars + back.input!.scalars + back.parameters.flatMap(\.scalars)
            }
        }
        let (one, two) = (run(1), run(2))
        #expect(one.withUnsafeBytes { Array($0) } == two.withUnsafeBytes { Array($0) })
    }

    /// Gao et al.'s Eq. 9 parameter counts (weights, no biases), as catalogued in
    /// `paper-baselines.json`: MPO-FC2 = 56D² + 32D + 736 (1,024 at D = 2, 15,584 at D = 16)
    /// against 203,264 for FC2; MPO-LeNet-5's three layers 2,860 against 58,920 (ρ = 0.0485).
    @Test func parameterCountsAreThePapers() {
        var rng = Philox(seed: 1)
        let table = [1: 824, 2: 1024, 3: 1336, 4: 1760, 8: 4576, 12: 9184, 16: 15_584]
        for (d, expected) in table {
            let first = MPOLinear<Float>(inputModes: [4, 7, 7, 4], outputModes: [4, 4, 4, 4], bondDimension: d, bias: true, using: &rng)
            let second = MPOLinear<Float>(inputModes: [4, 4, 4, 4], outputModes: [1, 1, 10, 1], bondDimension: 4, bias: true, using: &rng)
            let weights = first.parameterCount(.weight) + second.parameterCount(.weight)
            #expect(weights == expected && weights == 56 * d * d + 32 * d + 736, "D = \(d)")
            #expect(first.parameterCount(.bias) == 256 && second.parameterCount(.bias) == 10)
        }
        let lenet = [
            MPOLinear<Float>(inputModes: [2, 10, 10, 2], outputModes: [2, 5, 6, 2], bondDimension: 4, bias: true, using: &rng),
            MPOLinear<Float>(inputModes: [2, 5, 6, 2], outputModes: [2, 3, 7, 2], bondDimension: 4, bias: true, using: &rng),
            MPOLinear<Float>(inputModes: [2, 3, 7, 2], outputModes: [1, 5, 2, 1], bondDimension: 2, bias: true, using: &rng),
        ]
        #expect(lenet.map { $0.parameterCount(.weight) } == [1792, 944, 124])
        #expect(lenet.reduce(0) { $0 + $1.parameterCount(.weight) } == 2860)
        #expect(lenet.map { $0.inputSize * $0.units }.reduce(0, +) == 58_920)
    }

    /// The flop counts decide the order: at batch 100, FC2's first layer goes core by core at
    /// D = 1, where that is about a sixth of the dense flops (``MPOLinear/coreByCoreCostFactor``),
    /// and through the dense matrix from D = 2 on; at D = 16 core by core would cost several
    /// times the dense layer's product.
    @Test func contractionOrderFollowsTheFlopCounts() {
        var rng = Philox(seed: 2)
        func layer(_ d: Int) -> MPOLinear<Float> {
            MPOLinear(inputModes: [4, 7, 7, 4], outputModes: [4, 4, 4, 4], bondDimension: d, bias: true, using: &rng)
        }
        let denseProduct = 2.0 * 100 * 784 * 256
        #expect(layer(1).contraction(batch: 100) == .coreByCore)
        #expect(layer(2).contraction(batch: 100) == .denseMatrix)
        #expect(layer(16).contraction(batch: 100) == .denseMatrix)
        let coreForward16 = layer(16).flops(inputShape: [100, 784], contraction: .coreByCore).forward
        #expect(coreForward16 > 5 * denseProduct)
        let coreForward1 = layer(1).flops(inputShape: [100, 784], contraction: .coreByCore).forward
        #expect(coreForward1 < 0.05 * denseProduct)
    }

    /// The core-by-core count is the sum of the GEMMs the forward pass runs: checked against
    /// the shapes of the cached states.
    @Test func coreByCoreFlopsCountTheGEMMs() {
        var rng = Philox(seed: 3)
        let layer = MPOLinear<Double>(inputModes: [3, 2, 2, 2], outputModes: [2, 2, 1, 3], bondDimension: 3,
                                      bias: false, contraction: .coreByCore, using: &rng)
        let x = Tensor<Double>.randomNormal(shape: [5, layer.inputSize], using: &rng)
        guard case .coreByCore(let states) = layer.forward(x).cache else {
            Issue.record("core-by-core layer cached a dense matrix")
            return
        }
        let gemms = zip(states, layer.mpo.cores).reduce(0.0) { total, pair in
            total + 2 * Double(pair.0.shape[0] * pair.0.shape[1]) * Double(pair.1.shape[2] * pair.1.shape[3])
        }
        #expect(layer.flops(inputShape: x.shape, contraction: .coreByCore).forward == gemms)
    }

    /// The initializer's variance: the mean of w² over a large core is 2 / (J·D + D·I).
    @Test func coresAreGlorotNormal() {
        var rng = Philox(seed: 4)
        let layer = MPOLinear<Double>(inputModes: [4, 30, 30, 4], outputModes: [4, 30, 30, 4], bondDimension: 8,
                                      bias: false, using: &rng)
        let core = layer.mpo.cores[1]                  // [8, 30, 30, 8]: 57,600 draws
        let meanSquare = core.squaredNorm() / Double(core.count)
        let expected = 2.0 / Double(30 * 8 + 8 * 30)
        // Relative standard error of a mean of n squared truncated normals: √(Var(z²)/n)/E z² ≈ √(1.1/57,600) ≈ 0.004.
        expectClose(meanSquare, expected, relativeTolerance: 0.02)
        #expect(core.maxAbs() <= 2 * expected.squareRoot() / MPOLinear<Double>.truncatedStandardDeviation * (1 + 1e-12))
    }
}
