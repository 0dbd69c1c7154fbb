import TensorCore
import TensorNetworks

/// A linear layer whose weight matrix is a matrix product operator: Gao et al.'s
/// `M_{I₁…Iₙ}^{J₁…Jₙ}(D)`, `y = x·W + b` with `W = MPO(A¹ … Aⁿ)` of shape `[Π I_k, Π J_k]` and
/// cores `A^k` of shape `[D_{k−1}, I_k, J_k, D_k]` (`D₀ = Dₙ = 1`), the bias optional.
///
/// This is the one MPO layer of TNBench: the MPO-Net trains it by back-propagation into its
/// cores, and Jahromi & Orús's ``TNLayer`` is this layer with an activation and the DMRG-like
/// bond updates of ``TNNTrainer``.
///
/// **Two ways to apply it.** *Dense*: contract the cores into `W` once per step, then one GEMM
/// over the batch; the backward pass forms `∂L/∂W = xᵀ·∂L/∂z` and projects it onto the cores
/// (``MPO/coreGradients(matrixGradient:contraction:)``). *Core by core*: contract the
/// batch with one core after another — per core one transpose of the state and one GEMM
/// `[B·…, D_{k−1}·I_k] · [D_{k−1}·I_k, J_k·D_k]`; the backward pass runs the GEMMs in reverse.
/// Which is cheaper depends on the batch and D: for FC2's first layer
/// `M_{4,7,7,4}^{4,4,4,4}(D)` at batch 100, core by core costs ≈ 0.2× the dense flops at
/// D = 2 and ≈ 8× at D = 16 (an MPO-Net is a compression, not automatically a speed-up).
/// ``contraction`` left `nil` picks, per batch size, the order with fewer flops for the forward
/// pass and the core gradients (``flops(inputShape:contraction:)``, core-by-core flops weighted by
/// ``coreByCoreCostFactor``); both give the same numbers up to rounding.
public struct MPOLinear<Scalar: BLASScalar>: NeuralLayer {
    /// How the layer is applied to a batch.
    public enum Contraction: String, Sendable, Hashable, Codable, CaseIterable {
        /// Contract the cores to the dense matrix, then one GEMM.
        case denseMatrix = "dense"
        /// Contract the batch with the cores one at a time.
        case coreByCore = "cores"
    }

    public var mpo: MPO<Scalar>
    public var bias: Tensor<Scalar>?
    /// The contraction order to use; `nil` chooses by flop count for each batch size.
    public var contraction: Contraction?

    /// - Precondition: `bias`, if any, has one entry per output.
    public init(mpo: MPO<Scalar>, bias: Tensor<Scalar>?, contraction: Contraction? = nil) {
        precondition(bias == nil || bias!.shape == [mpo.outputSize],
                     "MPOLinear: bias \(bias!.shape) does not fit \(mpo.outputSize) outputs")
        self.mpo = mpo
        self.bias = bias
        self.contraction = contraction
    }

    /// `M_{inputModes}^{outputModes}(D)` initialized as Gao et al.'s code: every core, viewed as
    /// the matrix `[J_k·D_k, D_{k−1}·I_k]`, drawn Glorot-normal — a normal truncated at 2σ whose
    /// σ is scaled by 1/0.8796 so that the variance is `2 / (J_k·D_k + D_{k−1}·I_k)`
    /// (TensorFlow's `glorot_normal`); zero bias when `bias` is true.
    ///
    /// - Precondition: as many input as output modes, all positive, `bondDimension ≥ 1`.
    public init(
        inputModes: [Int], outputModes: [Int], bondDimension: Int, bias: Bool,
        contraction: Contraction? = nil, using rng: inout Philox
    ) {
        let n = inputModes.count
        precondition(n >= 1 && outputModes.count == n, "MPOLinear: \(inputModes) input modes for \(outputModes) output modes")
        precondition((inputModes + outputModes).allSatisfy { $0 >= 1 } && bondDimension >= 1,
                     "MPOLinear: modes and bond dimension must be positive")
        let cores = (0..<n).map { k -> Tensor<Scalar> in
            let left = k == 0 ? 1 : bondDimension, right = k == n - 1 ? 1 : bondDimension
            let variance = 2.0 / Double(outputModes[k] * right + left * inputModes[k])
            let sigma = (variance.squareRoot() / Self.truncatedStandardDeviation)
            return .truncatedNormal(shape: [left, inputModes[k], outputModes[k], right],
                                    standardDeviation: Scalar(sigma), using: &rng)
        }
        let size = outputModes.reduce(1, *)
        self.init(mpo: MPO(cores: cores), bias: bias ? Tensor(zeros: [size]) : nil, contraction: contraction)
    }

    /// The standard deviation of a unit normal truncated at ±2.
    static var truncatedStandardDeviation: Double { 0.87962566103423978 }

    public var inputSize: Int { mpo.inputSize }
    public var units: Int { mpo.outputSize }

    // MARK: NeuralLayer

    public var parameters: [Tensor<Scalar>] {
        get { mpo.cores + (bias.map { [$0] } ?? []) }
        set {
            precondition(newValue.count == parameterKinds.count, "MPOLinear: \(newValue.count) tensors for \(parameterKinds.count) parameters")
            for k in mpo.cores.indices {
                precondition(newValue[k].shape == mpo.cores[k].shape, "MPOLinear: core \(k) \(newValue[k].shape) is not \(mpo.cores[k].shape)")
            }
            mpo = MPO(cores: Array(newValue[0 ..< mpo.siteCount]))
            if bias != nil { bias = newValue[mpo.siteCount] }
        }
    }
    public var parameterKinds: [ParameterKind] {
        [ParameterKind](repeating: .weight, count: mpo.siteCount) + (bias == nil ? [] : [.bias])
    }

    public func outputShape(forInput inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 2 && inputShape[1] == inputSize, "MPOLinear: input \(inputShape) is not [batch, \(inputSize)]")
        return [inputShape[0], units]
    }

    /// What the backward pass needs, by contraction order.
    public enum Cache: Sendable {
        /// The input and the contraction that formed the dense matrix (with what the core
        /// gradients need).
        case denseMatrix(input: Tensor<Scalar>, contraction: MPO<Scalar>.DenseContraction)
        /// The GEMM input of every core, `[M_k, D_{k−1}·I_k]`.
        case coreByCore(states: [Tensor<Scalar>])
    }

    /// The contraction order used for a batch of `batch` rows.
    public func contraction(batch: Int) -> Contraction {
        if let contraction { return contraction }
        let shape = [batch, inputSize]
        // The input gradient is left out: a first layer (MPO-FC2's, where the choice matters)
        // needs none, and elsewhere it is the smaller part of either order.
        let dense = flops(inputShape: shape, contraction: .denseMatrix).training(needsInputGradient: false)
        let cores = flops(inputShape: shape, contraction: .coreByCore).training(needsInputGradient: false)
        return Self.coreByCoreCostFactor * cores < dense ? .coreByCore : .denseMatrix
    }

    /// How much more a core-by-core flop costs than a dense-path flop when choosing the order.
    ///
    /// The core-by-core GEMMs are thin (`D_{k−1}·I_k` and `J_k·D_k` are 4 to 112), each needs a
    /// transpose of the state, and they run on one thread; the dense path's work is the batch's
    /// products with `W`, threaded. `tnbench kernels --only mpo-layers` at MPO-FC2's first layer
    /// (batch 100, float32) rates core by core at 13–50 GFLOP/s and the dense path at 85–90 on
    /// one thread, 115–145 on two: a core-by-core flop costs 5 to 8 dense ones. Counted as 6,
    /// the layer goes core by core at D = 1 (about a sixth of the dense flops) and through the
    /// dense matrix from D = 2 on, where the two orders take the same time on one thread and
    /// the dense one is 1.5× faster on two. The rule depends on the shapes only, never on the
    /// machine or the thread count, so a job's numbers do not either.
    public static var coreByCoreCostFactor: Double { 6 }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ x: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: Cache) {
        precondition(x.rank == 2 && x.shape[1] == inputSize, "MPOLinear: input \(x.shape) is not [batch, \(inputSize)]")
        var (z, cache): (Tensor<Scalar>, Cache)
        switch contraction(batch: x.shape[0]) {
        case .denseMatrix:
            // The contraction runs its thin products on one BLAS thread (``MPO/denseContraction(cut:)``).
            let contraction = mpo.denseContraction()
            z = x.matmul(contraction.matrix)
            cache = .denseMatrix(input: x, contraction: contraction)
        case .coreByCore:
            var states: [Tensor<Scalar>] = []
            states.reserveCapacity(mpo.siteCount)
            var y = x
            BLASRuntime.singleThreaded {
                for core in mpo.cores {
                    let state = Self.transposeEachRow(y, batch: x.shape[0], rows: core.shape[1])
                        .reshaped([-1, core.shape[0] * core.shape[1]])
                    y = state.matmul(core.reshaped([core.shape[0] * core.shape[1], -1]))
                    states.append(state)
                }
            }
            z = y.reshaped([x.shape[0], units])
            cache = .coreByCore(states: states)
        }
        if let bias { z.addToRows(bias) }
        return (z, cache)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ outputGradient: Tensor<Scalar>, cache: Cache, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        let batch = outputGradient.shape[0]
        precondition(outputGradient.shape == [batch, units], "MPOLinear: output gradient \(outputGradient.shape) is not [batch, \(units)]")
        let biasGradient = bias == nil ? [] : [outputGradient.columnSums()]
        switch cache {
        case let .denseMatrix(input, contraction):
            let matrixGradient = input.matmul(outputGradient, transposeSelf: true)
            let cores = mpo.coreGradients(matrixGradient: matrixGradient, contraction: contraction)
            let dx = needsInputGradient ? outputGradient.matmul(contraction.matrix, transposeOther: true) : nil
            return (dx, cores + biasGradient)
        case let .coreByCore(states):
            // Thin products, as forward: BLAS on one thread.
            let (cores, dx) = BLASRuntime.singleThreaded { () -> ([Tensor<Scalar>], Tensor<Scalar>?) in
                var cores = [Tensor<Scalar>](repeating: Tensor(zeros: [0]), count: mpo.siteCount)
                var dy = outputGradient
                var dx: Tensor<Scalar>?
                for k in stride(from: mpo.siteCount - 1, through: 0, by: -1) {
                    let core = mpo.cores[k]
                    let coreMatrix = core.reshaped([core.shape[0] * core.shape[1], -1])   // [Dl·I, J·Dr]
                    let dyMatrix = dy.reshaped([states[k].shape[0], coreMatrix.shape[1]])
                    cores[k] = states[k].matmul(dyMatrix, transposeSelf: true).reshaped(core.shape)
                    guard k > 0 || needsInputGradient else { break }
                    let dState = dyMatrix.matmul(coreMatrix, transposeOther: true)      // [M_k, Dl·I]
                    dy = Self.transposeEachRow(dState, batch: batch, rows: dState.count / (batch * core.shape[1]))
                    if k == 0 { dx = dy.reshaped([batch, inputSize]) }
                }
                return (cores, dx)
            }
            return (dx, cores + biasGradient)
        }
    }

    public func flops(inputShape: [Int]) -> LayerFlops {
        flops(inputShape: inputShape, contraction: contraction(batch: inputShape[0]))
    }

    /// The floating-point work of one batch in a given contraction order.
    ///
    /// Dense: forming `W` (``MPO/contractionFlops``) and `2·B·In·Out` forward; `2·B·In·Out` for
    /// `∂L/∂W` plus its projection (``MPO/coreGradientFlops``); `2·B·In·Out` for `∂L/∂x`.
    /// Core by core: `Σ_k 2·M_k·(D_{k−1}I_k)·(J_kD_k)` with `M_k = B·Π_{j>k}I_j·Π_{j<k}J_j`
    /// forward, twice that less the first core's input product for the parameter gradients,
    /// and the first core's product for `∂L/∂x`.
    public func flops(inputShape: [Int], contraction: Contraction) -> LayerFlops {
        let batch = Double(inputShape[0])
        let biasAdds = bias == nil ? 0 : batch * Double(units)
        switch contraction {
        case .denseMatrix:
            let product = 2 * batch * Double(inputSize) * Double(units)
            return LayerFlops(forward: mpo.contractionFlops + product + biasAdds,
                              parameterGradient: product + mpo.coreGradientFlops + biasAdds,
                              inputGradient: product)
        case .coreByCore:
            var perCore: [Double] = []
            let inModes = mpo.inputDimensions, outModes = mpo.outputDimensions
            for (k, core) in mpo.cores.enumerated() {
                let rows = batch * Double(inModes[(k + 1)...].reduce(1, *)) * Double(outModes[..<k].reduce(1, *))
                perCore.append(2 * rows * Double(core.shape[0] * core.shape[1]) * Double(core.shape[2] * core.shape[3]))
            }
            let total = perCore.reduce(0, +)
            return LayerFlops(forward: total + biasAdds,
                              parameterGradient: 2 * total - perCore[0] + biasAdds,
                              inputGradient: perCore[0])
        }
    }

    // MARK: State layout

    /// Transposes, per batch row, the state viewed as a `[rows, columns]` matrix. With
    /// `rows = I_k` it turns `[B, I_k, rest]` into `[B, rest, I_k]`, putting the next core's
    /// input mode beside the bond (which ends `rest`); with the extents swapped it undoes that.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func transposeEachRow(_ y: Tensor<Scalar>, batch: Int, rows: Int) -> Tensor<Scalar> {
        let columns = y.count / (batch * rows)
        guard rows > 1 && columns > 1 else { return y }
        return Tensor(shape: [y.count]) { out in
            y.withUnsafeBufferPointer { input in
                for b in 0..<batch {
                    let base = b * rows * columns
                    for i in 0..<rows {
                        let source = base + i * columns
                        for j in 0..<columns { out[base + j * rows + i] = input[source + j] }
                    }
                }
            }
        }
    }
}
