import TensorCore

extension MPSClassifier {
    /// A starting MPS built from training inputs, with the label on site 0: every core spans the
    /// dominant subspace of the training set's features seen from its right (S.-S. Lee's
    /// construction for the Stoudenmire–Schwab sweeps).
    ///
    /// From the right end, with Rⱼ₊₁(xₙ) the (unit-normalized) right environments of the cores
    /// already built, core j ≥ 1 is the right isometry whose k = min(m, d·Dⱼ₊₁) rows are the
    /// leading eigenvectors of G = Σₙ tₙtₙᵀ, tₙ = φ(xₙⱼ) ⊗ Rⱼ₊₁(xₙ): the k-dimensional subspace
    /// that keeps the most of the inputs' weight. The label core holds, for each class ℓ, the
    /// leading eigenvector of the same Gram matrix over the inputs of class ℓ, signed so that
    /// its class's outputs are positive on average. No randomness: the result is a function of
    /// `features` and `labels` alone.
    ///
    /// Cost: one [N, d·D]ᵀ[N, d·D] product and one (d·D)² eigen-decomposition (an SVD of the
    /// symmetric Gram matrix) per site.
    /// - Parameters:
    ///   - features: [L, N, d] site features (``FeatureMap/siteFeatures(_:as:)``).
    ///   - labels: N class indices in `0..<labelCount`.
    ///   - maxBondDimension: m.
    /// - Throws: ``LinearAlgebraError`` if an SVD fails.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func principalSubspaces(
        features: Tensor<Scalar>, labels: [Int], labelCount: Int, maxBondDimension m: Int, featureMap: FeatureMap
    ) throws -> MPSClassifier {
        precondition(features.rank == 3 && features.shape[1] == labels.count && !labels.isEmpty,
                     "features \(features.shape) do not fit \(labels.count) labels")
        precondition(m >= 1 && labelCount >= 1, "need m ≥ 1 and at least one class")
        let (sites, n, d) = (features.shape[0], features.shape[1], features.shape[2])
        var cores = [Tensor<Scalar>](repeating: Tensor(zeros: [1]), count: sites)
        var right = Tensor<Scalar>(shape: [n, 1], repeating: 1)
        for j in stride(from: sites - 1, through: 1, by: -1) {
            let t = projectedInputs(right, features: features, site: j)     // [N, d·Dr]
            let width = t.shape[1]
            let k = Swift.min(m, width)
            let basis = try leadingEigenvectors(of: t.matmul(t, transposeSelf: true), count: k)  // [d·Dr, k]
            cores[j] = basis.transposed().reshaped([k, d, right.shape[1]])
            right = t.matmul(basis)
            Environment.normalizeRows(&right)
        }
        // The label core [1, d, C, D₁]: one leading direction per class.
        let t = projectedInputs(right, features: features, site: 0)
        let width = t.shape[1]
        var label = Tensor<Scalar>(zeros: [1, d, labelCount, right.shape[1]])
        for c in 0..<labelCount {
            let members = labels.indices.filter { labels[$0] == c }
            guard !members.isEmpty else { continue }
            let rows = Tensor<Scalar>(shape: [members.count, width]) { out in
                t.withUnsafeBufferPointer { p in
                    for (i, row) in members.enumerated() {
                        for q in 0..<width { out[i * width + q] = p[row * width + q] }
                    }
                }
            }
            var v = try leadingEigenvectors(of: rows.matmul(rows, transposeSelf: true), count: 1)  // [width, 1]
            if Double(rows.matmul(v).sum()) < 0 { v *= -1 }
            label.withUnsafeMutableBufferPointer { out in
                v.withUnsafeBufferPointer { pv in
                    let dr = width / d
                    for s in 0..<d { for r in 0..<dr { out[(s * labelCount + c) * dr + r] = pv[s * dr + r] } }
                }
            }
        }
        cores[0] = label
        return MPSClassifier(cores: cores, labelSite: 0, labelCount: labelCount, featureMap: featureMap)
    }

    /// tₙ = φ(xₙⱼ) ⊗ Rₙ as rows of an [N, d·D] matrix (physical index slowest).
    private static func projectedInputs(_ right: Tensor<Scalar>, features: Tensor<Scalar>, site j: Int) -> Tensor<Scalar> {
        let (n, d, dr) = (right.shape[0], features.shape[2], right.shape[1])
        return Tensor(shape: [n, d * dr]) { out in
            right.withUnsafeBufferPointer { pr in
                features.withUnsafeBufferPointer { phi in
                    for i in 0..<n {
                        let f = phi.baseAddress! + (j * n + i) * d
                        for s in 0..<d { for r in 0..<dr { out[i * d * dr + s * dr + r] = f[s] * pr[i * dr + r] } }
                    }
                }
            }
        }
    }

    /// The `count` leading eigenvectors ([size, count] columns) of a symmetric positive
    /// semi-definite matrix, from its SVD (for such a matrix the left singular vectors are
    /// eigenvectors, in decreasing order of eigenvalue).
    private static func leadingEigenvectors(of gram: Tensor<Scalar>, count: Int) throws -> Tensor<Scalar> {
        let u = try gram.svd().u  // [size, size]
        let size = gram.shape[0]
        return Tensor(shape: [size, count]) { out in
            u.withUnsafeBufferPointer { p in
                let columns = u.shape[1]
                for row in 0..<size { for c in 0..<count { out[row * count + c] = p[row * columns + c] } }
            }
        }
    }
}
