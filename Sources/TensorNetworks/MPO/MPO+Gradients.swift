import TensorCore

extension MPO {
    /// Every left environment at once: entry `k` (for `k = 0 … N`) is the contraction of cores
    /// `0..<k`, a matrix `[Π_{j<k} p_j, Dl_k]` with `p_j = dIn_j·dOut_j` (rows in interleaved
    /// order); entry 0 is `[[1]]` and entry N is the interleaved tensor as a column.
    ///
    /// The same products, in the same order, as ``leftEnvironment(before:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func leftEnvironments() -> [Tensor<Scalar>] {
        var environments = [Tensor<Scalar>(shape: [1, 1], scalars: [1])]
        environments.reserveCapacity(siteCount + 1)
        for core in cores {
            let environment = environments.last!
            let rows = environment.shape[0]
            environments.append(environment.matmul(core.reshaped([core.shape[0], -1]))
                .reshaped([rows * core.shape[1] * core.shape[2], core.shape[3]]))
        }
        return environments
    }

    /// The dense matrix `[Π dIn, Π dOut]` from the last of ``leftEnvironments()``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func denseMatrix(leftEnvironments environments: [Tensor<Scalar>]) -> Tensor<Scalar> {
        precondition(environments.count == siteCount + 1, "denseMatrix: \(environments.count) environments for \(siteCount) cores")
        let n = siteCount
        let dims = zip(inputDimensions, outputDimensions).flatMap { [$0, $1] }
        let axes = Array(stride(from: 0, to: 2 * n, by: 2)) + Array(stride(from: 1, to: 2 * n, by: 2))
        return environments[n].reshaped(dims).permuted(axes).reshaped([inputSize, outputSize])
    }

    /// The gradient of a scalar function with respect to every core, given its gradient with
    /// respect to the dense matrix (`[Π dIn, Π dOut]`) and the ``leftEnvironments()``.
    ///
    /// `W` is linear in each core, `W = E_L(k) · A^k · E_R(k)`, so
    /// `∂f/∂A^k[l, p, r] = Σ E_L(k)[P_L, l] · ∂f/∂W[P_L, p, P_R] · E_R(k)[r, P_R]`. The right
    /// halves are accumulated from the last core backwards — `H_N = ∂f/∂W` (interleaved),
    /// `H_{k−1} = H_k · A^kᵀ` — so each core costs two products of `2·Π_{j≤k} p_j·Dl_k·Dr_k`
    /// flops (``coreGradientFlops``), never the dense matrix times a full environment.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func coreGradients(matrixGradient: Tensor<Scalar>, leftEnvironments environments: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        precondition(matrixGradient.shape == [inputSize, outputSize],
                     "coreGradients: gradient \(matrixGradient.shape) is not [\(inputSize), \(outputSize)]")
        precondition(environments.count == siteCount + 1, "coreGradients: \(environments.count) environments for \(siteCount) cores")
        var gradients = [Tensor<Scalar>](repeating: Tensor(zeros: [0]), count: siteCount)
        var h = Self.interleave(matrixGradient, inputDimensions, outputDimensions)
        for k in stride(from: siteCount - 1, through: 0, by: -1) {
            let core = cores[k]
            let left = environments[k]                           // [P_<k, Dl]
            let rows = left.shape[0]
            let coreMatrix = core.reshaped([core.shape[0], -1])   // [Dl, p·Dr]
            let hk = h.reshaped([rows, coreMatrix.shape[1]])      // [P_<k, p·Dr]
            gradients[k] = left.matmul(hk, transposeSelf: true).reshaped(core.shape)
            if k > 0 { h = hk.matmul(coreMatrix, transposeOther: true) }   // [P_<k, Dl]
        }
        return gradients
    }
}
