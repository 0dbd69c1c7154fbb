import CKernels
import TensorCore

/// The lane path of ``MPSGradientEngine``: the chain in lane layout, for a label on the first
/// core, float32 and bonds of at most 24 (CopyNodeInit's and RankRegularization's engines), in
/// both numerics.
///
/// Every block is bond-major — row i holds the batch's samples, `laneCount` floats (the capacity
/// rounded up to 16) from the next row — so that a sample is one lane of a 16-float vector. The
/// per-site products of the forward chain (Z_j = φ_j ⊙ R_{j+1}, R_j = A_j·Z_j) and of the adjoint
/// sweep (X_{j+1} = Σ_s φ_s ⊙ (A_{j,s}ᵀ·X_j)) are then one C call each
/// (`Sources/CKernels/LaneKernels.c`) at full vector width for any bond dimension, in place of
/// an OpenBLAS call and a row kernel on [B, D]-sized blocks whose 10 or 20 columns fill vectors
/// poorly. The core gradients stay GEMMs: ∂A_j = X_j·Z_jᵀ, with Z_j transposed first
/// (``transpose(rows:columns:a:lda:into:ldb:)``).
///
/// Log-scaled, each sample keeps its exponents as on the row path: R_j and X_j are renormalized
/// per lane after every step (`tnb_lane_normalize_f32`, the row kernel's rule), and before a
/// gradient GEMM X_j's lanes are brought to the batch's common exponent (`tnb_lane_scale_f32`).
///
/// Lanes past the batch hold zero features, so every block is zero there; the GEMMs that sum
/// over the batch stop at its last sample. Each output is summed in one fixed order whatever the
/// lane, so a sample's numbers do not depend on its place in the batch.
extension MPSGradientEngine {
    /// The lane path's buffers (allocated once, with the engine).
    final class LaneBuffers {
        let laneCount: Int
        let phi: UnsafeMutablePointer<Float>        // [L, d, lanes]
        let z: UnsafeMutablePointer<Float>          // per site j: [d·D_{j+1}, lanes]
        let zOffsets: [Int]
        let right: UnsafeMutablePointer<Float>      // per bond j = 1…L: [D_j, lanes]
        let rightOffsets: [Int]
        let adjoint: UnsafeMutablePointer<Float>    // X_j: [Dmax, lanes]
        let adjointNext: UnsafeMutablePointer<Float>
        let zTranspose: UnsafeMutablePointer<Float> // [lanes, d·Dmax]
        let logits: UnsafeMutablePointer<Float>     // [C, lanes]
        let staging: UnsafeMutablePointer<Float>    // [capacity, L·d]: a training batch's feature rows
        // Log-scaled numerics.
        let rightExponents: UnsafeMutablePointer<Int> // per bond j = 0…L: [lanes], R_j = R̂_j·2^ρ
        let adjointExponents: UnsafeMutablePointer<Int> // [lanes]: X_j = X̂_j·2^ξ
        let shifts: UnsafeMutablePointer<Int>       // [lanes]
        let scaled: UnsafeMutablePointer<Float>     // [Dmax, lanes]

        init(bondDimensions: [Int], physicalDimension d: Int, labelCount: Int, batchCapacity: Int) {
            let l = bondDimensions.count - 1, dmax = bondDimensions.max()!
            let lanes = (batchCapacity + 15) / 16 * 16
            laneCount = lanes
            var zo = [Int](), total = 0
            for j in 0..<l { zo.append(total); total += d * bondDimensions[j + 1] * lanes }
            zOffsets = zo
            z = .allocate(capacity: total)
            var ro = [Int](repeating: 0, count: l + 1)
            total = 0
            for j in 1...l { ro[j] = total; total += bondDimensions[j] * lanes }
            rightOffsets = ro
            right = .allocate(capacity: total)
            phi = .allocate(capacity: l * d * lanes)
            adjoint = .allocate(capacity: dmax * lanes)
            adjointNext = .allocate(capacity: dmax * lanes)
            zTranspose = .allocate(capacity: lanes * d * dmax)
            logits = .allocate(capacity: labelCount * lanes)
            staging = .allocate(capacity: batchCapacity * l * d)
            rightExponents = .allocate(capacity: (l + 1) * lanes)
            adjointExponents = .allocate(capacity: lanes)
            shifts = .allocate(capacity: lanes)
            scaled = .allocate(capacity: dmax * lanes)
        }

        deinit {
            for p in [phi, z, right, adjoint, adjointNext, zTranspose, logits, staging, scaled] { p.deallocate() }
            for p in [rightExponents, adjointExponents, shifts] { p.deallocate() }
        }
    }

    /// Whether an engine of this shape takes the lane path: float32, the label on the first core
    /// and every bond within the lane kernels' 24.
    static func usesLanes(bondDimensions: [Int], labelSite: Int) -> Bool {
        Scalar.self == Float.self && labelSite == 0 && bondDimensions.max()! <= Int(tnb_lane_kernels_max_bond())
    }

    /// The batch's features into `phi` (lanes past the batch zero), the chain from the right end
    /// and the logits with their exponents.
    func forwardLanes(
        _ lanes: LaneBuffers, cores: [Tensor<Scalar>], features: Tensor<Scalar>, batch: [Int], wantGradient: Bool
    ) {
        let l = siteCount, d = physicalDimension, c = labelCount, n = batch.count, lc = lanes.laneCount
        let phi = lanes.phi
        if wantGradient {
            // Training batches are drawn at random: one contiguous row [L·d] per sample, copied
            // into place and the block [n, L·d] transposed into lanes in one call (storing a
            // sample's 392 values one lane apart cost a fifth of the batch).
            let width = l * d
            sampleMajor(features).withUnsafeBufferPointer { f in
                let source = RowKernels.floats(f.baseAddress!)
                for b in 0..<n { (lanes.staging + b * width).update(from: source + batch[b] * width, count: width) }
            }
            transpose(rows: n, columns: width, a: lanes.staging, lda: width, into: phi, ldb: lc)
        } else {
            features.withUnsafeBufferPointer { f in
                let source = RowKernels.floats(f.baseAddress!), total = features.shape[1]
                for j in 0..<l {
                    for b in 0..<n {
                        let row = source + (j * total + batch[b]) * d
                        for s in 0..<d { phi[(j * d + s) * lc + b] = row[s] }
                    }
                }
            }
        }
        if n < lc { for i in 0..<(l * d) { (phi + i * lc + n).initialize(repeating: 0, count: lc - n) } }

        let right = lanes.right, logScaled = numerics == .logscaled
        (right + lanes.rightOffsets[l]).initialize(repeating: 1, count: lc)
        (lanes.rightExponents + l * lc).initialize(repeating: 0, count: lc)
        for j in stride(from: l - 1, through: 1, by: -1) {
            let status = cores[j].withUnsafeBufferPointer { a in
                tnb_lane_absorb_f32(RowKernels.floats(a.baseAddress!), bondDimensions[j], d, bondDimensions[j + 1],
                                    phi + j * d * lc, right + lanes.rightOffsets[j + 1], lc,
                                    lanes.z + lanes.zOffsets[j], right + lanes.rightOffsets[j])
            }
            precondition(status == 0, "lane absorb refused bond \(bondDimensions[j]) (at most \(tnb_lane_kernels_max_bond()))")
            let exponents = lanes.rightExponents + j * lc
            exponents.update(from: lanes.rightExponents + (j + 1) * lc, count: lc)
            if logScaled {
                tnb_lane_normalize_f32(right + lanes.rightOffsets[j], bondDimensions[j], lc, n, RowKernels.int64s(exponents))
            }
        }
        // Z₀ = φ₀ ⊙ R₁, then F[ℓ, ·] = Σ_s A₀[s, ℓ, :]·Z₀[s] (d GEMMs [C, D₁]·[D₁, n]).
        let d1 = bondDimensions[1], z0 = lanes.z + lanes.zOffsets[0], r1 = right + lanes.rightOffsets[1]
        for s in 0..<d {
            for r in 0..<d1 {
                let out = z0 + (s * d1 + r) * lc, f = phi + s * lc, row = r1 + r * lc
                for b in 0..<lc { out[b] = f[b] * row[b] }
            }
        }
        cores[0].withUnsafeBufferPointer { a in
            let a0 = RowKernels.floats(a.baseAddress!)
            for s in 0..<d {
                gemm(transposeA: false, transposeB: false, m: c, n: n, k: d1, alpha: Float(1),
                     a: a0 + s * c * d1, lda: d1, b: z0 + s * d1 * lc, ldb: lc,
                     beta: s == 0 ? 0 : 1, c: lanes.logits, ldc: lc)
            }
        }
        let out = RowKernels.floats(logits)
        for b in 0..<n {
            for ell in 0..<c { out[b * c + ell] = lanes.logits[ell * lc + b] }
            logitExponents[b] = lanes.rightExponents[lc + b]
        }
    }

    /// The backward pass on the lane path (after ``forwardLanes(_:cores:features:batch:wantGradient:)``
    /// with `wantGradient`): U = φ₀ ⊗ (∂loss/∂f)/n, ∂A₀ = Uᵀ·R₁ᵀ, X₁ = A₀ᵀ·Uᵀ, then for j = 1…L−1
    /// ∂A_j = X_j·Z_jᵀ and X_{j+1} by the transfer kernel, into `gradients`. Log-scaled, each
    /// gradient is formed at the batch's common exponent and multiplied by 2 to it; returns
    /// false when one is then not finite (plain numerics: true, the caller checks).
    func backwardLanes(_ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int, gradients: [UnsafeMutablePointer<Scalar>]) -> Bool {
        let l = siteCount, d = physicalDimension, c = labelCount, lc = lanes.laneCount
        let logScaled = numerics == .logscaled
        var finite = true
        /// `rows` [D, lanes] with exponents e₁ + e₂ brought to their common exponent M (into
        /// `scaled`); returns the rows to multiply and M (plain: `rows`, 0).
        func commonScale(_ rows: UnsafeMutablePointer<Float>, width: Int, _ e1: UnsafeMutablePointer<Int>,
                         _ e2: UnsafeMutablePointer<Int>?) -> (UnsafeMutablePointer<Float>, Int) {
            guard logScaled else { return (rows, 0) }
            let common = Self.commonExponent(e1, e2, n)
            for b in 0..<n { lanes.shifts[b] = e1[b] + (e2?[b] ?? 0) - common }
            tnb_lane_scale_f32(rows, lanes.scaled, width, lc, n, RowKernels.int64s(lanes.shifts))
            return (lanes.scaled, common)
        }
        let inv = 1 / Double(n)
        let u = RowKernels.floats(outputGradient), phi = lanes.phi
        for b in 0..<n {
            for s in 0..<d {
                let f = Double(phi[s * lc + b])
                for ell in 0..<c { u[(b * d + s) * c + ell] = Float(f * logitGradient[b * c + ell] * inv) }
            }
        }
        let d1 = bondDimensions[1]
        var x = lanes.adjoint, xNext = lanes.adjointNext
        // ∂A₀ as [d·C, D₁] = Uᵀ·(R₁ as [n, D₁]) (exponents ρ₁); X₁ [D₁, n] = (A₀ as [d·C, D₁])ᵀ·Uᵀ.
        let (r1, common0) = commonScale(lanes.right + lanes.rightOffsets[1], width: d1, lanes.rightExponents + lc, nil)
        gemm(transposeA: true, transposeB: true, m: d * c, n: d1, k: n, alpha: Float(1),
             a: u, lda: d * c, b: r1, ldb: lc, beta: 0, c: RowKernels.floats(gradients[0]), ldc: d1)
        if logScaled { finite = Self.scaleInPlace(gradients[0], cores[0].count, common0) && finite }
        cores[0].withUnsafeBufferPointer { a in
            gemm(transposeA: true, transposeB: true, m: d1, n: n, k: d * c, alpha: Float(1),
                 a: RowKernels.floats(a.baseAddress!), lda: d1, b: u, ldb: d * c, beta: 0, c: x, ldc: lc)
        }
        if n < lc { for r in 0..<d1 { (x + r * lc + n).initialize(repeating: 0, count: lc - n) } }
        let xi = lanes.adjointExponents
        xi.initialize(repeating: 0, count: lc)
        if logScaled { tnb_lane_normalize_f32(x, d1, lc, n, RowKernels.int64s(xi)) }
        for j in 1..<l {
            let dl = bondDimensions[j], w = d * bondDimensions[j + 1]
            // ∂A_j = X_j·Z_jᵀ, exponents ξ_j + ρ_{j+1}.
            transpose(rows: w, columns: n, a: lanes.z + lanes.zOffsets[j], lda: lc, into: lanes.zTranspose, ldb: w)
            let (xs, common) = commonScale(x, width: dl, xi, lanes.rightExponents + (j + 1) * lc)
            gemm(transposeA: false, transposeB: false, m: dl, n: w, k: n, alpha: Float(1),
                 a: xs, lda: lc, b: lanes.zTranspose, ldb: w, beta: 0, c: RowKernels.floats(gradients[j]), ldc: w)
            if logScaled { finite = Self.scaleInPlace(gradients[j], cores[j].count, common) && finite }
            guard j < l - 1 else { break }
            let status = cores[j].withUnsafeBufferPointer { a in
                tnb_lane_transfer_f32(RowKernels.floats(a.baseAddress!), dl, d, bondDimensions[j + 1],
                                      phi + j * d * lc, x, lc, xNext)
            }
            precondition(status == 0, "lane transfer refused bond \(dl) (at most \(tnb_lane_kernels_max_bond()))")
            swap(&x, &xNext)
            if logScaled { tnb_lane_normalize_f32(x, bondDimensions[j + 1], lc, n, RowKernels.int64s(xi)) }
        }
        return finite
    }

}
