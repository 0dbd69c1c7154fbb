import NeuralLayers
import Optimization
import TensorCore

/// The layer kernels: LeNet-5's convolutions (their GEMMs and the layers end to end) and the MPO layers.
extension KernelBenchmarks {
    /// LeNet-5's three convolutions on a batch of 100 MNIST images (Gao et al.'s CNN): 5×5
    /// kernels, 1 → 6 SAME on 28×28, 6 → 16 VALID on 14×14, 16 → 120 VALID on 5×5.
    static var lenetConvolutions: [(name: String, input: [Int], outputChannels: Int, padding: Padding)] {
        [("conv1", [100, 28, 28, 1], 6, .same), ("conv2", [100, 14, 14, 6], 16, .valid),
         ("conv3", [100, 5, 5, 16], 120, .valid)]
    }

    /// The three GEMMs of each LeNet-5 convolution as `Conv2D` calls them, with the patch matrix
    /// P `[B·Ho·Wo, K]` (K = 25·cIn), the kernel matrix W `[K, cOut]` and the output gradient
    /// G `[B·Ho·Wo, cOut]`: forward `P·W`, kernel gradient (transposed) `Gᵀ·P`, patch gradient
    /// `G·Wᵀ`.
    func convolutionGEMMs() -> [KernelResult] {
        var results: [KernelResult] = []
        for conv in Self.lenetConvolutions {
            let layer = Conv2D<Scalar>(kernel: Tensor(zeros: [5, 5, conv.input[3], conv.outputChannels]), bias: nil,
                                       padding: conv.padding)
            let output = layer.outputShape(forInput: conv.input)
            let (rows, k, n) = (output[0] * output[1] * output[2], 25 * conv.input[3], conv.outputChannels)
            var random = rng("conv gemm \(conv.name)")
            let patches = ScratchBuffer<Scalar>(count: rows * k, using: &random)
            let kernel = ScratchBuffer<Scalar>(count: k * n, using: &random)
            let gradient = ScratchBuffer<Scalar>(count: rows * n, using: &random)
            let flops = KernelFlops.gemm(m: rows, n: n, k: k)
            results.append(result("\(conv.name) forward gemm", "[\(rows), \(k)]·[\(k), \(n)]", flops: flops) {
                gemm(transposeA: false, transposeB: false, m: rows, n: n, k: k, alpha: 1,
                     a: patches.pointer, lda: k, b: kernel.pointer, ldb: n, beta: 0, c: gradient.pointer, ldc: n)
            })
            results.append(result("\(conv.name) kernel-gradient gemm", "[\(rows), \(n)]ᵀ·[\(rows), \(k)]", flops: flops) {
                gemm(transposeA: true, transposeB: false, m: n, n: k, k: rows, alpha: 1,
                     a: gradient.pointer, lda: n, b: patches.pointer, ldb: k, beta: 0, c: kernel.pointer, ldc: k)
            })
            results.append(result("\(conv.name) patch-gradient gemm", "[\(rows), \(n)]·[\(k), \(n)]ᵀ", flops: flops) {
                gemm(transposeA: false, transposeB: true, m: rows, n: k, k: n, alpha: 1,
                     a: gradient.pointer, lda: n, b: kernel.pointer, ldb: n, beta: 0, c: patches.pointer, ldc: k)
            })
        }
        return results
    }

    /// Each LeNet-5 convolution (with bias) end to end: `Conv2D.forward` (the direct loop for
    /// the first two, im2col and GEMM for the third) and `Conv2D.backward` with the input
    /// gradient (the kernel gradient — the direct loop's or a GEMM over rebuilt patches — the
    /// patch-gradient GEMM and col2im, the bias sums), rated by the layer's own flop count.
    func convolutionLayers() -> [KernelResult] {
        var results: [KernelResult] = []
        for conv in Self.lenetConvolutions {
            var random = rng("conv layer \(conv.name)")
            let layer = Conv2D<Scalar>(kernelHeight: 5, kernelWidth: 5, inputChannels: conv.input[3],
                                       outputChannels: conv.outputChannels, padding: conv.padding,
                                       standardDeviation: 0.1, using: &random)
            let x = Tensor<Scalar>.randomUniform(shape: conv.input, in: 0..<1, using: &random)
            let (y, cache) = layer.forward(x)
            let g = Tensor<Scalar>.randomUniform(shape: y.shape, in: -1..<1, using: &random)
            let flops = layer.flops(inputShape: conv.input)
            let shape = "\(conv.input) ⋆ 5×5→\(conv.outputChannels) \(conv.padding)"
            results.append(result("\(conv.name) Conv2D.forward", shape, flops: flops.forward) {
                consume(layer.forward(x))
            })
            results.append(result("\(conv.name) Conv2D.backward", shape, flops: flops.parameterGradient + flops.inputGradient) {
                consume(layer.backward(g, cache: cache, needsInputGradient: true))
            })
        }
        return results
    }

    /// One training step's work (forward, loss, backward; not the optimizer's) of LeNet-5 and of
    /// MPO-LeNet-5 on a batch of 100 random images, whole and in the 4 shards MPO-Net's LeNet-5
    /// jobs use (`ClassifierTrainer.batchShards`), rated by the network's own flop count: where
    /// the convolutions, pools, activations and MPO layers together stand against the ceiling,
    /// and what the shards gain on several threads.
    func lenetTrainingSteps() -> [KernelResult] {
        var random = rng("lenet5 step")
        let networks: [(name: String, network: Sequential<Scalar>)] = [
            ("LeNet-5", MNISTNetworks.lenet5(using: &random)),
            ("MPO-LeNet-5", MNISTNetworks.mpoLeNet5(contraction: nil, using: &random)),
        ]
        let images = Tensor<Scalar>.randomUniform(shape: [100, 28, 28, 1], in: 0..<1, using: &random)
        let samples = LabeledSamples(inputs: images, labels: (0..<100).map { $0 % 10 })
        return networks.flatMap { name, network in
            let flops = network.trainingFlops(inputShape: [100, 28, 28, 1])
            return [1, 4].map { shards in
                let trainer = ClassifierTrainer(network: network, optimizer: SGD(learningRate: 0.01), batchSize: 100,
                                                batchShards: shards)
                return result("\(name) training step", "batch 100, \(shards) shard\(shards == 1 ? "" : "s")", flops: flops) {
                    consume(trainer.lossAndGradients(samples, Array(0..<100)))
                }
            }
        }
    }

    /// One training step's work (forward, loss, backward; not the optimizer's) of FC2 and of
    /// MPO-FC2 at D = 1, 2, 4, 16 on a batch of 100 random images, each layer in the order it
    /// picks, rated by the network's own flop count. The report sets each MPO-FC2 step's best
    /// time beside FC2's: the ratio issue 26 asks to bring to 1.5 or below.
    func fc2TrainingSteps() -> [KernelResult] {
        var random = rng("fc2 step")
        let networks: [(name: String, shape: String, network: Sequential<Scalar>)] = [
            ("FC2 training step", "batch 100", MNISTNetworks.fc2(using: &random)),
        ] + [1, 2, 4, 16].map { d in
            ("MPO-FC2 training step", "batch 100, D=\(d)", MNISTNetworks.mpoFC2(bondDimension: d, using: &random))
        }
        let images = Tensor<Scalar>.randomUniform(shape: [100, 784], in: 0..<1, using: &random)
        let samples = LabeledSamples(inputs: images, labels: (0..<100).map { $0 % 10 })
        return networks.map { name, shape, network in
            let trainer = ClassifierTrainer(network: network, optimizer: SGD(learningRate: 0.01), batchSize: 100)
            return result(name, shape, flops: network.trainingFlops(inputShape: [100, 784])) {
                consume(trainer.lossAndGradients(samples, Array(0..<100)))
            }
        }
    }

    /// Gao et al.'s MPO layers on a batch of 100 — MPO-FC2's first layer M_{4,7,7,4}^{4,4,4,4}(D)
    /// at D = 2, 4, 16, its second M_{4,4,4,4}^{1,1,10,1}(4) and MPO-LeNet-5's 400→120 layer — in
    /// both contraction orders: the forward pass and the backward pass to the core gradients and,
    /// for every layer but a first, to the input gradient (as in training), rated by
    /// ``MPOLinear``'s own flop counts. The order the layer picks by itself is the one with fewer
    /// flops; these rows show whether it is also the faster one. Beside them, the dense order's
    /// own work: ``MPO/denseContraction(cut:)`` and ``MPO/coreGradients(matrixGradient:contraction:)``.
    func mpoLayers() -> [KernelResult] {
        var results: [KernelResult] = []
        let layers: [(name: String, input: [Int], output: [Int], bond: Int)] = [
            ("mpo_fc2 layer 1", [4, 7, 7, 4], [4, 4, 4, 4], 2), ("mpo_fc2 layer 1", [4, 7, 7, 4], [4, 4, 4, 4], 4),
            ("mpo_fc2 layer 1", [4, 7, 7, 4], [4, 4, 4, 4], 16), ("mpo_fc2 layer 2", [4, 4, 4, 4], [1, 1, 10, 1], 4),
            ("mpo_lenet5 conv3", [2, 10, 10, 2], [2, 5, 6, 2], 4),
        ]
        for spec in layers {
            var random = rng("mpo layer \(spec.name) \(spec.bond)")
            let base = MPOLinear<Scalar>(inputModes: spec.input, outputModes: spec.output, bondDimension: spec.bond,
                                         bias: true, using: &random)
            let x = Tensor<Scalar>.randomUniform(shape: [100, base.inputSize], in: 0..<1, using: &random)
            let g = Tensor<Scalar>.randomUniform(shape: [100, base.units], in: -1..<1, using: &random)
            let chosen = base.contraction(batch: 100)
            for contraction in MPOLinear<Scalar>.Contraction.allCases {
                var layer = base
                layer.contraction = contraction
                let (_, cache) = layer.forward(x)
                let flops = layer.flops(inputShape: x.shape, contraction: contraction)
                let shape = "[100, \(base.inputSize)] D=\(spec.bond) \(contraction.rawValue)\(contraction == chosen ? " (chosen)" : "")"
                results.append(result("\(spec.name) MPOLinear.forward", shape, flops: flops.forward) {
                    consume(layer.forward(x))
                })
                // A first layer needs no input gradient; the others do (as in training).
                let needsInput = spec.name.hasSuffix("layer 1") == false
                results.append(result("\(spec.name) MPOLinear.backward", shape,
                                      flops: flops.parameterGradient + (needsInput ? flops.inputGradient : 0)) {
                    consume(layer.backward(g, cache: cache, needsInputGradient: needsInput))
                })
            }
            // The dense order's own work, beside the batch's products: the matrix from the two
            // halves, and the projection of a matrix gradient onto the cores.
            let mpo = base.mpo
            let contraction = mpo.denseContraction()
            let matrixGradient = Tensor<Scalar>.randomUniform(shape: [mpo.inputSize, mpo.outputSize], in: -1..<1, using: &random)
            let shape = "D=\(spec.bond), cut \(contraction.cut)"
            results.append(result("\(spec.name) MPO.denseContraction", shape, flops: mpo.contractionFlops) {
                consume(mpo.denseContraction())
            })
            results.append(result("\(spec.name) MPO.coreGradients", shape, flops: mpo.coreGradientFlops) {
                consume(mpo.coreGradients(matrixGradient: matrixGradient, contraction: contraction))
            })
        }
        return results
    }
}
