import TensorCore

extension MPSClassifier {
    /// The starting MPS of Stoudenmire's own code (emstoudenmire/TNML, `fixedL.cc`): the training
    /// inputs' product states summed per class and compressed.
    ///
    /// For each class ℓ, the product states ⊗ⱼ φ(xₙⱼ) of the inputs `chosen[ℓ]` are summed (an
    /// MPS of bond dimension `chosen[ℓ].count`) and compressed to at most `classBondDimension`
    /// (relative cutoff `classCutoff`); its core at `labelSite` gets the label leg, times
    /// `labelScale`·e_ℓ (only slice ℓ nonzero). The C labelled MPSs are summed and compressed to
    /// at most `maxBondDimension` (relative cutoff `cutoff`), the orthogonality centre brought to
    /// the label site and the label core scaled to unit norm, so that the whole MPS has norm 1.
    /// The authors' values: 100 inputs per class, 10 and 1e-10, 0.1, 10 and 1e-8.
    ///
    /// A sum is compressed once, site by site from a left-canonical form (the best truncation
    /// of each bond given the others); ITensor's `sum` of a list adds and compresses pairwise, so
    /// its truncations differ where a cutoff or cap bites, not where the sum is kept whole.
    ///
    /// - Parameters:
    ///   - features: [L, N, d] site features of the inputs (``FeatureMap/siteFeatures(_:as:)``).
    ///   - chosen: for each class, the indices of the inputs to sum (repeats allowed).
    /// - Throws: ``LinearAlgebraError`` if a QR or SVD fails.
    public static func summedProductStates(
        features: Tensor<Scalar>, chosen: [[Int]], labelSite: Int, featureMap: FeatureMap,
        classBondDimension: Int = 10, classCutoff: Double = 1e-10, labelScale: Scalar = 0.1,
        maxBondDimension: Int = 10, cutoff: Double = 1e-8
    ) throws -> MPSClassifier {
        precondition(features.rank == 3, "features must be [L, N, d], got \(features.shape)")
        let (sites, n, d) = (features.shape[0], features.shape[1], features.shape[2])
        let classes = chosen.count
        precondition(classes >= 1 && (0..<sites).contains(labelSite), "need a class and a label site in 0..<\(sites)")
        precondition(chosen.allSatisfy { !$0.isEmpty && $0.allSatisfy { (0..<n).contains($0) } }, "every class needs inputs among the \(n)")
        var labelled: [[Tensor<Scalar>]] = []
        for (label, members) in chosen.enumerated() {
            var chain = Chain.productStateSum(features: features, members: members)
            try chain.compress(Truncation(maxBondDimension: classBondDimension, relativeCutoff: classCutoff), centre: labelSite)
            // The label leg on the label site's core: [Dl, d, Dr] → [Dl, d, C, Dr], slice ℓ = scale·core.
            let core = chain.cores[labelSite]
            let (dl, dr) = (core.shape[0], core.shape[2])
            chain.cores[labelSite] = Tensor(shape: [dl, d * classes, dr]) { out in
                out.initialize(repeating: 0)
                core.withUnsafeBufferPointer { p in
                    for l in 0..<dl { for s in 0..<d { for r in 0..<dr {
                        out[((l * d + s) * classes + label) * dr + r] = labelScale * p[(l * d + s) * dr + r]
                    } } }
                }
            }
            labelled.append(chain.cores)
        }
        var sum = Chain.directSum(labelled)
        try sum.compress(Truncation(maxBondDimension: maxBondDimension, relativeCutoff: cutoff), centre: labelSite)
        let norm = Scalar(Double(sum.cores[labelSite].squaredNorm()).squareRoot())
        if norm > 0 { sum.cores[labelSite] *= 1 / norm }
        var cores = sum.cores
        let label = cores[labelSite]
        cores[labelSite] = label.reshaped([label.shape[0], d, classes, label.shape[2]])
        return MPSClassifier(cores: cores, labelSite: labelSite, labelCount: classes, featureMap: featureMap)
    }

    /// Cores `[Dₗ, p, Dᵣ]` of a chain without a label leg (p = d, or d·C on a core that holds one).
    struct Chain {
        var cores: [Tensor<Scalar>]

        /// Σₙ ⊗ⱼ φ(xₙⱼ) over `members`: bond dimension K = members.count, the middle cores
        /// diagonal in the bond (core[k, s, k] = φ_s(x_{members[k], j})).
        static func productStateSum(features: Tensor<Scalar>, members: [Int]) -> Chain {
            let (sites, n, d) = (features.shape[0], features.shape[1], features.shape[2])
            let k = members.count
            let cores = (0..<sites).map { j in
                let (dl, dr) = (j == 0 ? 1 : k, j == sites - 1 ? 1 : k)
                return Tensor<Scalar>(shape: [dl, d, dr]) { out in
                    out.initialize(repeating: 0)
                    features.withUnsafeBufferPointer { phi in
                        for (b, input) in members.enumerated() {
                            let (l, r) = (dl == 1 ? 0 : b, dr == 1 ? 0 : b)
                            for s in 0..<d { out[(l * d + s) * dr + r] += phi[(j * n + input) * d + s] }
                        }
                    }
                }
            }
            return Chain(cores: cores)
        }

        /// The chain whose state is the sum of the chains' states: block-diagonal cores, the first
        /// a row of blocks and the last a column.
        static func directSum(_ chains: [[Tensor<Scalar>]]) -> Chain {
            let sites = chains[0].count
            let cores = (0..<sites).map { j in
                let parts = chains.map { $0[j] }
                let p = parts[0].shape[1]
                let lefts = parts.map { j == 0 ? 0 : $0.shape[0] }, rights = parts.map { j == sites - 1 ? 0 : $0.shape[2] }
                let (dl, dr) = (j == 0 ? 1 : lefts.reduce(0, +), j == sites - 1 ? 1 : rights.reduce(0, +))
                return Tensor<Scalar>(shape: [dl, p, dr]) { out in
                    out.initialize(repeating: 0)
                    var (l0, r0) = (0, 0)
                    for part in parts {
                        let (pl, pr) = (part.shape[0], part.shape[2])
                        part.withUnsafeBufferPointer { q in
                            for l in 0..<pl { for s in 0..<p { for r in 0..<pr {
                                out[((l0 + l) * p + s) * dr + r0 + r] += q[(l * p + s) * pr + r]
                            } } }
                        }
                        if j > 0 { l0 += pl }
                        if j < sites - 1 { r0 += pr }
                    }
                }
            }
            return Chain(cores: cores)
        }

        /// Compresses the chain as `truncation` allows: left-canonical by QR from the left, then
        /// a truncated SVD of every bond from the right (each bond cut where everything left of
        /// it is left-orthonormal and everything right of it right-orthonormal), then the
        /// orthogonality centre moved to `centre` by QR.
        mutating func compress(_ truncation: Truncation, centre: Int) throws {
            let sites = cores.count
            for j in 0..<(sites - 1) { try shiftCentreRight(from: j) }
            for j in stride(from: sites - 1, to: 0, by: -1) {
                let core = cores[j]
                let (dl, p, dr) = (core.shape[0], core.shape[1], core.shape[2])
                let svd = try core.reshaped([dl, p * dr]).svd(truncation: truncation)
                var us = svd.u   // [Dl, k]
                let k = svd.rank
                us.withUnsafeMutableBufferPointer { u in
                    for row in 0..<dl { for i in 0..<k { u[row * k + i] *= svd.s[i] } }
                }
                cores[j] = svd.vt.reshaped([k, p, dr])
                let previous = cores[j - 1]
                cores[j - 1] = previous.reshaped([-1, dl]).matmul(us).reshaped([previous.shape[0], previous.shape[1], k])
            }
            for j in 0..<centre { try shiftCentreRight(from: j) }
        }

        /// Core j ← Q of its [Dₗ·p, Dᵣ] QR, core j+1 ← R·core j+1.
        private mutating func shiftCentreRight(from j: Int) throws {
            let core = cores[j]
            let (dl, p, dr) = (core.shape[0], core.shape[1], core.shape[2])
            let (q, r) = try core.reshaped([dl * p, dr]).qr()
            let k = q.shape[1]
            cores[j] = q.reshaped([dl, p, k])
            let next = cores[j + 1]
            cores[j + 1] = r.matmul(next.reshaped([dr, -1])).reshaped([k, next.shape[1], next.shape[2]])
        }
    }
}
