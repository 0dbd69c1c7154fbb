import TensorCore

/// A matrix product operator (tensor-train matrix): a large matrix `W` of shape
/// `[Π dIn_k, Π dOut_k]` held as a chain of cores.
///
/// Core `k` has shape `[Dl_k, dIn_k, dOut_k, Dr_k]` with `Dl_0 = Dr_{N-1} = 1` and
/// `Dr_k = Dl_{k+1}` (the virtual bonds). The matrix element is the product of core slices
///
///     W[(i₁…i_N), (o₁…o_N)] = Σ_{α} A¹[1, i₁, o₁, α₁] · A²[α₁, i₂, o₂, α₂] ⋯ A^N[α_{N-1}, i_N, o_N, 1]
///
/// with row-major (first site slowest) multi-indices. Contracting the chain in site order gives
/// the *interleaved* tensor `[(i₁,o₁), (i₂,o₂), …]`; ``denseMatrix()`` forms `[in, out]` from two
/// halves of the chain (``denseContraction(cut:)``).
///
/// ```swift
/// var rng = Philox(seed: 1)
/// let w = Tensor<Double>.randomNormal(shape: [64, 64], using: &rng)
/// let mpo = try MPO(matrix: w, inputDimensions: [2, 2, 2, 2, 2, 2],
///                   outputDimensions: [2, 2, 2, 2, 2, 2], truncation: .none)
/// // mpo.denseMatrix() ≈ w
/// ```
public struct MPO<Scalar: BLASScalar>: Sendable {
    /// The cores, each `[Dl, dIn, dOut, Dr]`.
    public var cores: [Tensor<Scalar>]

    /// An MPO from its cores.
    /// - Precondition: every core has rank 4, neighbouring bonds agree, and the outer bonds are 1.
    public init(cores: [Tensor<Scalar>]) {
        precondition(!cores.isEmpty, "an MPO needs at least one core")
        precondition(cores.allSatisfy { $0.rank == 4 }, "MPO cores must be [Dl, dIn, dOut, Dr], got \(cores.map(\.shape))")
        precondition(cores.first!.shape[0] == 1 && cores.last!.shape[3] == 1, "MPO outer bonds must be 1, got \(cores.map(\.shape))")
        for k in 0..<(cores.count - 1) {
            precondition(cores[k].shape[3] == cores[k + 1].shape[0], "MPO bond \(k) mismatch: \(cores[k].shape) · \(cores[k + 1].shape)")
        }
        self.cores = cores
    }

    /// Factorizes a matrix `[Π dIn, Π dOut]` into an MPO by successive SVDs (TT-SVD), truncating
    /// every bond as `truncation` says. The cores come out left-orthonormal except the last,
    /// which carries the norm.
    ///
    /// - Throws: ``LinearAlgebraError`` if an SVD fails.
    /// - Precondition: the matrix shape is `[Π inputDimensions, Π outputDimensions]`.
    public init(
        matrix: Tensor<Scalar>, inputDimensions: [Int], outputDimensions: [Int], truncation: Truncation
    ) throws {
        let n = inputDimensions.count
        precondition(n >= 1 && outputDimensions.count == n, "MPO(matrix:) needs as many input as output dimensions")
        precondition(
            matrix.shape == [inputDimensions.reduce(1, *), outputDimensions.reduce(1, *)],
            "MPO(matrix:) shape \(matrix.shape) is not [\(inputDimensions.reduce(1, *)), \(outputDimensions.reduce(1, *))]")
        let interleaved = Self.interleave(matrix, inputDimensions, outputDimensions)
        let physical = zip(inputDimensions, outputDimensions).map { $0 * $1 }
        var cores: [Tensor<Scalar>] = []
        var rest = interleaved.reshaped([physical[0], -1])
        var left = 1
        for k in 0..<(n - 1) {
            let split = try rest.svd(truncation: truncation)
            let r = split.rank
            cores.append(split.u.reshaped([left, inputDimensions[k], outputDimensions[k], r]))
            var sv = split.vt
            sv.withUnsafeMutableBufferPointer { buffer in
                let columns = buffer.count / Swift.max(r, 1)
                for row in 0..<r { for j in 0..<columns { buffer[row * columns + j] *= split.s[row] } }
            }
            left = r
            rest = sv.reshaped([r * physical[k + 1], -1])
        }
        cores.append(rest.reshaped([left, inputDimensions[n - 1], outputDimensions[n - 1], 1]))
        self.init(cores: cores)
    }

    /// The number of cores N.
    public var siteCount: Int { cores.count }
    /// `dIn_k` for every site.
    public var inputDimensions: [Int] { cores.map { $0.shape[1] } }
    /// `dOut_k` for every site.
    public var outputDimensions: [Int] { cores.map { $0.shape[2] } }
    /// `Π dIn_k`: the number of rows of the dense matrix.
    public var inputSize: Int { inputDimensions.reduce(1, *) }
    /// `Π dOut_k`: the number of columns of the dense matrix.
    public var outputSize: Int { outputDimensions.reduce(1, *) }
    /// The N − 1 internal bond dimensions.
    public var bondDimensions: [Int] { cores.dropLast().map { $0.shape[3] } }
    /// The number of scalars in the cores.
    public var parameterCount: Int { cores.reduce(0) { $0 + $1.count } }

    /// The largest dimension bond `k` can usefully have: the smaller side of the cut,
    /// `min(Π_{j≤k} dIn_j·dOut_j, Π_{j>k} dIn_j·dOut_j)`.
    public func maximalBondDimension(_ bond: Int) -> Int {
        let physical = cores.map { $0.shape[1] * $0.shape[2] }
        return Swift.min(physical[...bond].reduce(1, *), physical[(bond + 1)...].reduce(1, *))
    }

    // MARK: Dense forms

    /// The chain contracted in site order: shape `[Π (dIn_k·dOut_k)]` flattened as
    /// `[(i₁,o₁), (i₂,o₂), …]`, returned as a matrix `[1, Π p_k]`.
    ///
    /// Complexity: Σ_k (Π_{j<k} p_j)·Dl_k·p_k·Dr_k multiply-adds.
    public func interleavedTensor() -> Tensor<Scalar> {
        leftEnvironment(before: siteCount).reshaped([1, -1])
    }

    /// A matrix `[Π dIn, Π dOut]` rearranged to the interleaved order `[(i₁,o₁), (i₂,o₂), …]`
    /// (flattened, as a vector).
    static func interleave(_ matrix: Tensor<Scalar>, _ inputDimensions: [Int], _ outputDimensions: [Int]) -> Tensor<Scalar> {
        let n = inputDimensions.count
        let axes = (0..<n).flatMap { [$0, n + $0] }
        return matrix.reshaped(inputDimensions + outputDimensions).permuted(axes).reshaped([-1])
    }

    // MARK: Environments and bond tensors

    /// The contraction of cores `0..<site`: a matrix `[Π_{j<site} p_j, Dl_site]` (rows in
    /// interleaved physical order). For `site == 0` it is `[[1]]`.
    public func leftEnvironment(before site: Int) -> Tensor<Scalar> {
        precondition(site >= 0 && site <= siteCount, "leftEnvironment(before: \(site)) for \(siteCount) sites")
        var environment = Tensor<Scalar>(shape: [1, 1], scalars: [1])
        for k in 0..<site {
            let core = cores[k]
            let rows = environment.shape[0]
            // [rows, Dl] · [Dl, p·Dr] → [rows·p, Dr]
            environment = environment.matmul(core.reshaped([core.shape[0], -1]))
                .reshaped([rows * core.shape[1] * core.shape[2], core.shape[3]])
        }
        return environment
    }

    /// The contraction of cores `(site+1)...`: a matrix `[Dr_site, Π_{j>site} p_j]`. For the
    /// last site it is `[[1]]`.
    public func rightEnvironment(after site: Int) -> Tensor<Scalar> {
        precondition(site >= -1 && site < siteCount, "rightEnvironment(after: \(site)) for \(siteCount) sites")
        var environment = Tensor<Scalar>(shape: [1, 1], scalars: [1])
        for k in stride(from: siteCount - 1, to: site, by: -1) {
            let core = cores[k]
            let columns = environment.shape[1]
            // [Dl·p, Dr] · [Dr, columns] → [Dl, p·columns]
            environment = core.reshaped([-1, core.shape[3]]).matmul(environment)
                .reshaped([core.shape[0], core.shape[1] * core.shape[2] * columns])
        }
        return environment
    }

    /// The bond tensor of cores `bond` and `bond + 1` contracted over their shared virtual index:
    /// shape `[Dl, dIn_a, dOut_a, dIn_b, dOut_b, Dr]`.
    public func bondTensor(at bond: Int) -> Tensor<Scalar> {
        precondition(bond >= 0 && bond < siteCount - 1, "bond \(bond) out of range for \(siteCount) sites")
        return contract(cores[bond], [3], cores[bond + 1], [0])
    }

    /// The gradient of a scalar function with respect to the bond tensor at `bond`, given its
    /// gradient with respect to the dense matrix (`[Π dIn, Π dOut]`).
    ///
    /// `W` is linear in the bond tensor `B`: `W = E_L · B · E_R` with the environments of the
    /// pair, so `∂f/∂B[l, pa, pb, r] = Σ E_L[P_L, l] · ∂f/∂W[P_L, pa, pb, P_R] · E_R[r, P_R]` —
    /// the exact chain rule, the matrix gradient projected with the pair's environments.
    ///
    /// - Returns: a tensor shaped like ``bondTensor(at:)``.
    public func bondGradient(matrixGradient: Tensor<Scalar>, at bond: Int) -> Tensor<Scalar> {
        precondition(matrixGradient.shape == [inputSize, outputSize], "bondGradient: gradient \(matrixGradient.shape) is not [\(inputSize), \(outputSize)]")
        precondition(bond >= 0 && bond < siteCount - 1, "bond \(bond) out of range for \(siteCount) sites")
        let left = leftEnvironment(before: bond)          // [PL, Dl]
        let right = rightEnvironment(after: bond + 1)     // [Dr, PR]
        let a = cores[bond], b = cores[bond + 1]
        let pa = a.shape[1] * a.shape[2], pb = b.shape[1] * b.shape[2]
        let g = Self.interleave(matrixGradient, inputDimensions, outputDimensions)
            .reshaped([left.shape[0], pa * pb, right.shape[1]])
        let partial = contract(left, [0], g, [0])         // [Dl, pa·pb, PR]
        let full = contract(partial, [2], right, [1])     // [Dl, pa·pb, Dr]
        return full.reshaped([a.shape[0], a.shape[1], a.shape[2], b.shape[1], b.shape[2], b.shape[3]])
    }

    /// Replaces cores `bond` and `bond + 1` by the SVD split of `bondTensor`
    /// (`[Dl, dIn_a, dOut_a, dIn_b, dOut_b, Dr]`): `B ≈ U S Vᵀ` truncated as `truncation` says,
    /// then `A_bond = U·√S` and `A_{bond+1} = √S·Vᵀ` (the paper's Eq. 2 and step (f)).
    ///
    /// - Returns: the kept singular values, the discarded weight and the bond's entropy.
    /// - Throws: ``LinearAlgebraError`` if the SVD fails or the tensor is not finite.
    @discardableResult
    public mutating func split(bondTensor: Tensor<Scalar>, at bond: Int, truncation: Truncation) throws -> BondSplit {
        precondition(bond >= 0 && bond < siteCount - 1, "bond \(bond) out of range for \(siteCount) sites")
        let s = bondTensor.shape
        precondition(s.count == 6 && s[0] == cores[bond].shape[0] && s[5] == cores[bond + 1].shape[3],
                     "split: bond tensor \(s) does not fit cores \(cores[bond].shape), \(cores[bond + 1].shape)")
        let svd = try bondTensor.reshaped([s[0] * s[1] * s[2], s[3] * s[4] * s[5]]).svd(truncation: truncation)
        let k = svd.rank
        let roots = svd.s.map { $0.squareRoot() }
        var u = svd.u, vt = svd.vt
        u.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<(buffer.count / k) { for j in 0..<k { buffer[row * k + j] *= roots[j] } }
        }
        vt.withUnsafeMutableBufferPointer { buffer in
            let columns = buffer.count / k
            for row in 0..<k { for j in 0..<columns { buffer[row * columns + j] *= roots[row] } }
        }
        cores[bond] = u.reshaped([s[0], s[1], s[2], k])
        cores[bond + 1] = vt.reshaped([k, s[3], s[4], s[5]])
        let values = svd.s.map { Double($0) }
        return BondSplit(singularValues: values, discardedWeight: Double(svd.discardedWeight))
    }

    // MARK: Schmidt spectrum

    /// The Schmidt (singular) values of the cut between sites `bond` and `bond + 1` of the dense
    /// matrix viewed as a vector in interleaved order — independent of the gauge of the cores.
    ///
    /// Computed without forming the dense matrix: the cores left of the cut are
    /// QR-orthonormalized, those right of it LQ-orthonormalized, and the small bond matrix in
    /// between is decomposed.
    ///
    /// - Throws: ``LinearAlgebraError`` if a factorization fails.
    public func schmidtValues(atBond bond: Int) throws -> [Double] {
        precondition(bond >= 0 && bond < siteCount - 1, "bond \(bond) out of range for \(siteCount) sites")
        var r = Tensor<Scalar>(shape: [1, 1], scalars: [1])
        for k in 0...bond {
            let core = cores[k]
            let rows = r.shape[0]
            let m = r.matmul(core.reshaped([core.shape[0], -1]))
                .reshaped([rows * core.shape[1] * core.shape[2], core.shape[3]])
            r = try m.qr().r
        }
        var l = Tensor<Scalar>(shape: [1, 1], scalars: [1])
        for k in stride(from: siteCount - 1, to: bond, by: -1) {
            let core = cores[k]
            let columns = l.shape[1]
            let m = core.reshaped([-1, core.shape[3]]).matmul(l)
                .reshaped([core.shape[0], core.shape[1] * core.shape[2] * columns])
            l = try m.lq().l
        }
        return try r.matmul(l).svd().s.map { Double($0) }
    }

    /// The entanglement entropy of every bond from its Schmidt values (see ``schmidtValues(atBond:)``).
    public func entanglementEntropies() throws -> [Double] {
        try (0..<(siteCount - 1)).map { entanglementEntropy(singularValues: try schmidtValues(atBond: $0)) }
    }
}

/// What one SVD split of a bond kept and dropped.
public struct BondSplit: Sendable, Hashable {
    /// The kept singular values, descending.
    public var singularValues: [Double]
    /// `Σ s²` of the dropped singular values.
    public var discardedWeight: Double

    public init(singularValues: [Double], discardedWeight: Double) {
        self.singularValues = singularValues
        self.discardedWeight = discardedWeight
    }

    /// The entanglement entropy of the kept spectrum (``entanglementEntropy(singularValues:)``).
    public var entropy: Double { entanglementEntropy(singularValues: singularValues) }
}
