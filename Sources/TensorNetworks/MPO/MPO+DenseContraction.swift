import TensorCore

extension MPO {
    /// The dense matrix of an MPO and what its core gradients need: the chain cut at one bond
    /// into a left and a right half, each contracted on its own, then one product.
    ///
    /// With the cut at bond `c` (between cores `c − 1` and `c`), the left half `L` is the
    /// contraction of cores `0..<c` and the right half `R` that of cores `c...`; with each half's
    /// input modes grouped before its output modes, `L` is `[I_L·O_L, D_c]` and `R` is
    /// `[D_c, I_R·O_R]`, and
    ///
    ///     W[(I_L, I_R), (O_L, O_R)] = Σ_α L[(I_L, O_L), α] · R[α, (I_R, O_R)],
    ///
    /// one GEMM of `2·Π p·D_c` flops (`p_k = dIn_k·dOut_k`) whose `[I_L, O_L, I_R, O_R]` result
    /// becomes `W` by swapping its two middle axes (runs of `O_R` scalars). Contracting the whole
    /// chain from one end instead costs, in its last step, the same `2·Π p·D` — but every step
    /// before it grows with the product of all the modes so far, and the interleaved result
    /// `[(i₁,o₁), (i₂,o₂), …]` must be permuted element by element. At MPO-FC2's first layer
    /// (`M_{4,7,7,4}^{4,4,4,4}(16)`) the cut at the middle bond halves the flops of the matrix and
    /// of its core gradients.
    ///
    /// The cut is chosen by flop count (``denseCut``); every cut gives the same matrix up to
    /// rounding. The environments' products and the walks of the gradients along each half are
    /// thin and run BLAS on one thread; the products of or with the halves (`2·Π p·D_c` each)
    /// run on the caller's threads.
    public struct DenseContraction: Sendable {
        /// The dense matrix `[Π dIn, Π dOut]`.
        public let matrix: Tensor<Scalar>
        /// The bond the chain is cut at: `0` (all cores in the right half) through `siteCount`.
        public let cut: Int
        /// For `k = 0...cut`: cores `0..<k` contracted, `[Π_{j<k} p_j, Dl_k]`, rows interleaved.
        let leftEnvironments: [Tensor<Scalar>]
        /// For `k = cut...siteCount` at index `k − cut`: cores `k...` contracted,
        /// `[Dl_k, Π_{j≥k} p_j]`, columns interleaved (the last is `[[1]]`).
        let rightEnvironments: [Tensor<Scalar>]
        /// The left half with its modes grouped, `[I_L·O_L, D_c]`.
        let left: Tensor<Scalar>
        /// The right half with its modes grouped, `[D_c, I_R·O_R]`.
        let right: Tensor<Scalar>
    }

    /// The dense matrix `[Π dIn, Π dOut]` this MPO represents (``denseContraction(cut:)``).
    public func denseMatrix() -> Tensor<Scalar> { denseContraction().matrix }

    /// Contracts the chain to its dense matrix, cut at bond `cut` (by default ``denseCut``).
    ///
    /// - Precondition: `0 ≤ cut ≤ siteCount`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func denseContraction(cut: Int? = nil) -> DenseContraction {
        let c = cut ?? denseCut
        let n = siteCount
        precondition(c >= 0 && c <= n, "denseContraction: cut \(c) is not a bond of \(n) cores (0…\(n))")
        // The environments' products are thin (a bond of D on one side): BLAS on one thread.
        let (leftEnvironments, rightEnvironments) = BLASRuntime.singleThreaded { () -> ([Tensor<Scalar>], [Tensor<Scalar>]) in
            var leftEnvironments = [Tensor<Scalar>(shape: [1, 1], scalars: [1])]
            leftEnvironments.reserveCapacity(c + 1)
            for core in cores[..<c] {
                let environment = leftEnvironments.last!
                let rows = environment.shape[0]
                // [P, Dl] · [Dl, p·Dr] → [P·p, Dr]
                leftEnvironments.append(environment.matmul(core.reshaped([core.shape[0], -1]))
                    .reshaped([rows * core.shape[1] * core.shape[2], core.shape[3]]))
            }
            var rightEnvironments = [Tensor<Scalar>(shape: [1, 1], scalars: [1])]
            rightEnvironments.reserveCapacity(n - c + 1)
            for core in cores[c...].reversed() {
                let environment = rightEnvironments.last!
                let columns = environment.shape[1]
                // [Dl·p, Dr] · [Dr, P] → [Dl, p·P]
                rightEnvironments.append(core.reshaped([-1, core.shape[3]]).matmul(environment)
                    .reshaped([core.shape[0], core.shape[1] * core.shape[2] * columns]))
            }
            return (leftEnvironments, rightEnvironments.reversed())
        }
        let (inLeft, outLeft) = (inputDimensions[..<c].reduce(1, *), outputDimensions[..<c].reduce(1, *))
        let (inRight, outRight) = (inputDimensions[c...].reduce(1, *), outputDimensions[c...].reduce(1, *))
        let left = groupModes(leftEnvironments[c], sites: 0..<c, bondFirst: false)
        let right = groupModes(rightEnvironments[0], sites: c..<n, bondFirst: true)
        let matrix: Tensor<Scalar>
        if c == 0 {
            matrix = right.reshaped([inRight, outRight])
        } else if c == n {
            matrix = left.reshaped([inLeft, outLeft])
        } else {
            matrix = left.matmul(right).reshaped([inLeft, outLeft, inRight, outRight]).permuted([0, 2, 1, 3])
                .reshaped([inputSize, outputSize])
        }
        return DenseContraction(matrix: matrix, cut: c, leftEnvironments: leftEnvironments,
                                rightEnvironments: rightEnvironments, left: left, right: right)
    }

    /// The gradient of a scalar function with respect to every core, given its gradient with
    /// respect to the dense matrix (`[Π dIn, Π dOut]`) and the contraction that formed the matrix.
    ///
    /// `W` is linear in each half: `∂f/∂R = Lᵀ·G` and `∂f/∂L = G·Rᵀ` with `G` the matrix
    /// gradient rearranged to `[I_L·O_L, I_R·O_R]` — two GEMMs of `2·Π p·D_c` flops. From there
    /// each half is walked from the cut outwards: in the left half `H_c = ∂f/∂L`,
    /// `∂f/∂A^k = E_L(k)ᵀ·H_{k+1}` (as `[Dl, p·Dr]`) and `H_k = H_{k+1}·A^kᵀ`; in the right half
    /// the mirror image with the right environments (``coreGradientFlops``). Never the dense
    /// matrix times a full environment per core.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func coreGradients(matrixGradient: Tensor<Scalar>, contraction: DenseContraction) -> [Tensor<Scalar>] {
        precondition(matrixGradient.shape == [inputSize, outputSize],
                     "coreGradients: gradient \(matrixGradient.shape) is not [\(inputSize), \(outputSize)]")
        let c = contraction.cut, n = siteCount
        precondition(contraction.leftEnvironments.count == c + 1 && contraction.rightEnvironments.count == n - c + 1,
                     "coreGradients: the contraction is not of this MPO's \(n) cores")
        let (inLeft, outLeft) = (inputDimensions[..<c].reduce(1, *), outputDimensions[..<c].reduce(1, *))
        let (inRight, outRight) = (inputDimensions[c...].reduce(1, *), outputDimensions[c...].reduce(1, *))
        // [I_L, I_R, O_L, O_R] → [I_L·O_L, I_R·O_R]
        let g = matrixGradient.reshaped([inLeft, inRight, outLeft, outRight]).permuted([0, 2, 1, 3])
            .reshaped([inLeft * outLeft, inRight * outRight])
        // The products with the halves on the caller's BLAS threads; the walks along each half
        // are thin (a bond of D on one side): BLAS on one thread.
        let leftGradient = c == 0 ? nil : c == n ? g : g.matmul(contraction.right, transposeOther: true)   // [I_L·O_L, D_c]
        let rightGradient = c == n ? nil : c == 0 ? g : contraction.left.matmul(g, transposeSelf: true)  // [D_c, I_R·O_R]
        var gradients = [Tensor<Scalar>](repeating: Tensor(zeros: [0]), count: n)
        BLASRuntime.singleThreaded {
            if let leftGradient {
                var h = ungroupModes(leftGradient, sites: 0..<c, bondFirst: false)               // [P_<c, D_c]
                for k in stride(from: c - 1, through: 0, by: -1) {
                    let core = cores[k]
                    let environment = contraction.leftEnvironments[k]          // [P_<k, Dl]
                    let coreMatrix = core.reshaped([core.shape[0], -1])         // [Dl, p·Dr]
                    let hk = h.reshaped([environment.shape[0], coreMatrix.shape[1]])
                    gradients[k] = environment.matmul(hk, transposeSelf: true).reshaped(core.shape)
                    if k > 0 { h = hk.matmul(coreMatrix, transposeOther: true) }   // [P_<k, Dl]
                }
            }
            if let rightGradient {
                var h = ungroupModes(rightGradient, sites: c..<n, bondFirst: true)               // [D_c, P_≥c]
                for k in c..<n {
                    let core = cores[k]
                    let environment = contraction.rightEnvironments[k + 1 - c]  // [Dr, P_>k]
                    let coreMatrix = core.reshaped([-1, core.shape[3]])         // [Dl·p, Dr]
                    let hk = h.reshaped([coreMatrix.shape[0], environment.shape[1]])
                    gradients[k] = hk.matmul(environment, transposeOther: true).reshaped(core.shape)
                    if k < n - 1 { h = coreMatrix.matmul(hk, transposeSelf: true) }   // [Dr, P_>k]
                }
            }
        }
        return gradients
    }

    /// The cut with the fewest flops for the matrix and its core gradients together
    /// (``contractionFlops(cut:)`` + ``coreGradientFlops(cut:)``); the lowest such bond on a tie.
    public var denseCut: Int {
        (0...siteCount).min { a, b in
            contractionFlops(cut: a) + coreGradientFlops(cut: a) < contractionFlops(cut: b) + coreGradientFlops(cut: b)
        }!
    }

    /// A half's contraction, rows or columns interleaved `[(i,o) per site]`, with its input modes
    /// grouped before its output modes: `[P, D]` → `[Π i · Π o, D]`, or with `bondFirst`
    /// `[D, P]` → `[D, Π i · Π o]`.
    private func groupModes(_ half: Tensor<Scalar>, sites: Range<Int>, bondFirst: Bool) -> Tensor<Scalar> {
        guard sites.count > 1 else { return half }
        let bond = bondFirst ? half.shape[0] : half.shape[1]
        let modes = sites.flatMap { [inputDimensions[$0], outputDimensions[$0]] }
        let m = sites.count
        let order = Array(stride(from: 0, to: 2 * m, by: 2)) + Array(stride(from: 1, to: 2 * m, by: 2))
        let axes = bondFirst ? [0] + order.map { $0 + 1 } : order + [2 * m]
        return half.reshaped(bondFirst ? [bond] + modes : modes + [bond]).permuted(axes).reshaped(half.shape)
    }

    /// The inverse of ``groupModes(_:sites:bondFirst:)``.
    private func ungroupModes(_ half: Tensor<Scalar>, sites: Range<Int>, bondFirst: Bool) -> Tensor<Scalar> {
        guard sites.count > 1 else { return half }
        let bond = bondFirst ? half.shape[0] : half.shape[1]
        let grouped = sites.map { inputDimensions[$0] } + sites.map { outputDimensions[$0] }
        let m = sites.count
        let order = (0..<m).flatMap { [$0, m + $0] }
        let axes = bondFirst ? [0] + order.map { $0 + 1 } : order + [2 * m]
        return half.reshaped(bondFirst ? [bond] + grouped : grouped + [bond]).permuted(axes).reshaped(half.shape)
    }
}
