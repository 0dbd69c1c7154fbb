import TensorCore

/// The MNIST networks of Gao et al.'s MPO-Net paper, built as the authors' TensorFlow code
/// builds them (github.com/zfgao66/deeplearning-mpo), in `Float` or `Double`.
///
/// | network | layers (input `[batch, 784]` for FC2, `[batch, 28, 28, 1]` for LeNet-5) |
/// |---|---|
/// | FC2 | Dense 784→256 ReLU, Dense 256→10; no biases; truncated normal σ = 0.1 |
/// | MPO-FC2(D) | M_{4,7,7,4}^{4,4,4,4}(D) ReLU, M_{4,4,4,4}^{1,1,10,1}(4); zero biases; Glorot-normal cores |
/// | LeNet-5 | conv 5×5×1→6 SAME ReLU, max-pool 2, conv 5×5×6→16 VALID ReLU, max-pool 2, conv 5×5×16→120 VALID ReLU, Dense 120→84 ReLU, Dense 84→10; convolutions with zero biases, dense layers without; truncated normal σ = 0.1 |
/// | MPO-LeNet-5 | the two first convolutions and pools as LeNet-5, then M_{2,10,10,2}^{2,5,6,2}(4) ReLU (the last convolution, a 400→120 map on the 5×5×16 patch), M_{2,5,6,2}^{2,3,7,2}(4) ReLU, M_{2,3,7,2}^{1,5,2,1}(2); zero biases |
///
/// LeNet-5's last convolution sees its whole 5×5 input, so it is the dense map of the flattened
/// `(h, w, c)` patch — the matrix its MPO replaces.
public enum MNISTNetworks {
    /// The standard deviation of the truncated-normal initialization of the dense baselines.
    public static let truncatedNormalStandardDeviation = 0.1

    /// FC2: `784 → 256 → 10`, ReLU between, no biases.
    public static func fc2<Scalar: BLASScalar>(using rng: inout Philox) -> Sequential<Scalar> {
        let sigma = Scalar(truncatedNormalStandardDeviation)
        return Sequential([
            Dense<Scalar>(inputSize: 784, units: 256, bias: false, truncatedNormal: sigma, using: &rng),
            ActivationLayer<Scalar>(.relu),
            Dense<Scalar>(inputSize: 256, units: 10, bias: false, truncatedNormal: sigma, using: &rng),
        ])
    }

    /// MPO-FC2 with bond dimension `bondDimension` in the first layer.
    public static func mpoFC2<Scalar: BLASScalar>(
        bondDimension: Int, contraction: MPOLinear<Scalar>.Contraction? = nil, using rng: inout Philox
    ) -> Sequential<Scalar> {
        Sequential([
            MPOLinear<Scalar>(inputModes: [4, 7, 7, 4], outputModes: [4, 4, 4, 4], bondDimension: bondDimension,
                              bias: true, contraction: contraction, using: &rng),
            ActivationLayer<Scalar>(.relu),
            MPOLinear<Scalar>(inputModes: [4, 4, 4, 4], outputModes: [1, 1, 10, 1], bondDimension: 4,
                              bias: true, contraction: contraction, using: &rng),
        ])
    }

    /// The convolutional front both LeNet-5 variants share: two convolutions with pooling,
    /// `[batch, 28, 28, 1] → [batch, 5, 5, 16]`.
    static func lenetFront<Scalar: BLASScalar>(using rng: inout Philox) -> [any NeuralLayer<Scalar>] {
        let sigma = Scalar(truncatedNormalStandardDeviation)
        return [
            Conv2D<Scalar>(kernelHeight: 5, kernelWidth: 5, inputChannels: 1, outputChannels: 6, padding: .same,
                           bias: true, standardDeviation: sigma, using: &rng),
            ActivationLayer<Scalar>(.relu),
            MaxPool2D<Scalar>(),
            Conv2D<Scalar>(kernelHeight: 5, kernelWidth: 5, inputChannels: 6, outputChannels: 16, padding: .valid,
                           bias: true, standardDeviation: sigma, using: &rng),
            ActivationLayer<Scalar>(.relu),
            MaxPool2D<Scalar>(),
        ]
    }

    /// LeNet-5 as the authors' code has it.
    public static func lenet5<Scalar: BLASScalar>(using rng: inout Philox) -> Sequential<Scalar> {
        let sigma = Scalar(truncatedNormalStandardDeviation)
        var layers = lenetFront(using: &rng) as [any NeuralLayer<Scalar>]
        layers += [
            Conv2D<Scalar>(kernelHeight: 5, kernelWidth: 5, inputChannels: 16, outputChannels: 120, padding: .valid,
                           bias: true, standardDeviation: sigma, using: &rng),
            ActivationLayer<Scalar>(.relu),
            Flatten<Scalar>(),
            Dense<Scalar>(inputSize: 120, units: 84, bias: false, truncatedNormal: sigma, using: &rng),
            ActivationLayer<Scalar>(.relu),
            Dense<Scalar>(inputSize: 84, units: 10, bias: false, truncatedNormal: sigma, using: &rng),
        ]
        return Sequential(layers)
    }

    /// MPO-LeNet-5: the last convolution and both dense layers as MPOs.
    public static func mpoLeNet5<Scalar: BLASScalar>(
        contraction: MPOLinear<Scalar>.Contraction? = nil, using rng: inout Philox
    ) -> Sequential<Scalar> {
        var layers = lenetFront(using: &rng) as [any NeuralLayer<Scalar>]
        layers += [
            Flatten<Scalar>(),
            MPOLinear<Scalar>(inputModes: [2, 10, 10, 2], outputModes: [2, 5, 6, 2], bondDimension: 4,
                              bias: true, contraction: contraction, using: &rng),
            ActivationLayer<Scalar>(.relu),
            MPOLinear<Scalar>(inputModes: [2, 5, 6, 2], outputModes: [2, 3, 7, 2], bondDimension: 4,
                              bias: true, contraction: contraction, using: &rng),
            ActivationLayer<Scalar>(.relu),
            MPOLinear<Scalar>(inputModes: [2, 3, 7, 2], outputModes: [1, 5, 2, 1], bondDimension: 2,
                              bias: true, contraction: contraction, using: &rng),
        ]
        return Sequential(layers)
    }
}
