import CKernels
import TensorCore

/// The lane path of ``MPSGradientEngine``: the chains in lane layout, for float32 and bonds of
/// at most 24 (CopyNodeInit's and RankRegularization's engines, the label on the first core;
/// KnowledgeDistillation's students, the label in the middle), in both numerics.
///
/// Every block is bond-major — row i holds the batch's samples, `laneCount` floats (the capacity
/// rounded up to 16) from the next row — so that a sample is one lane of a 16-float vector. The
/// per-site products are then one C call each (`Sources/CKernels/LaneKernels.c`) at full vector
/// width for any bond dimension, in place of an OpenBLAS call and a row kernel on [B, D]-sized
/// blocks whose 10 or 20 columns fill vectors poorly. Two kernels carry all four sequences:
/// - absorb, `out = A·(φ ⊙ rows)` keeping `φ ⊙ rows`: the chain from the right end
///   (Z_j = φ_j ⊙ R_{j+1}, R_j = A_j·Z_j) and the adjoint sweep to the left end
///   (V_j = φ_j ⊙ Y_{j+1}, Y_j = A_j·V_j);
/// - transfer, `out = Σ_s φ_s ⊙ (A_sᵀ·x)`: the adjoint sweep to the right end
///   (X_{j+1} from X_j) and the chain from the left end (Λ_{j+1} from Λ_j).
/// The core gradients stay GEMMs: ∂A_j = X_j·Z_jᵀ right of the label core and Λ_j·V_jᵀ left of
/// it, with Z_j or V_j transposed first (``transpose(rows:columns:a:lda:into:ldb:)``). A label core
/// inside the chain is one GEMM each way (M = A_kᵀ·Λ_k forward, Y_k = A_k·W backward, ∂A_k =
/// Λ_k·Wᵀ) and lane loops for the logits and X_{k+1}. Its two chains, and its two sweeps, run
/// concurrently under the row path's rule (``workers(batch:)``), each with its own scratch.
///
/// Log-scaled, each sample keeps its exponents as on the row path: every state is renormalized
/// per lane after every step (`tnb_lane_normalize_f32`, the row kernel's rule), and before a
/// gradient GEMM its lanes are brought to the batch's common exponent (`tnb_lane_scale_f32`).
///
/// Lanes past the batch hold zero features, so every block is zero there; the GEMMs that sum
/// over the batch stop at its last sample. Each output is summed in one fixed order whatever the
/// lane, so a sample's numbers do not depend on its place in the batch.
extension MPSGradientEngine {
    /// The lane path's buffers (allocated once, with the engine).
    final class LaneBuffers {
        let laneCount: Int
        let phi: UnsafeMutablePointer<Float>        // [L, d, lanes]
        let z: UnsafeMutablePointer<Float>          // per site j: [d·D_{j+1}, lanes] (Z_j, or V_j left of the label core)
        let zOffsets: [Int]
        let right: UnsafeMutablePointer<Float>      // per bond j = 1…L: [D_j, lanes]
        let rightOffsets: [Int]
        let adjoint: UnsafeMutablePointer<Float>    // X_j: [Dmax, lanes]
        let adjointNext: UnsafeMutablePointer<Float>
        let zTranspose: UnsafeMutablePointer<Float> // [lanes, d·Dmax], or the label core's [lanes, d·C·D_{k+1}]
        let logits: UnsafeMutablePointer<Float>     // [C, lanes]
        let staging: UnsafeMutablePointer<Float>    // [capacity, L·d]: a training batch's feature rows
        // Log-scaled numerics.
        let rightExponents: UnsafeMutablePointer<Int> // per bond j = 0…L: [lanes], R_j = R̂_j·2^ρ
        let adjointExponents: UnsafeMutablePointer<Int> // [lanes]: X_j = X̂_j·2^ξ
        let shifts: UnsafeMutablePointer<Int>       // [lanes]
        let scaled: UnsafeMutablePointer<Float>     // [Dmax, lanes]
        // A label core k > 0: the chain from the left end, the label core's blocks and the left
        // sweep's own scratch (it may run beside the right sweep).
        let left: UnsafeMutablePointer<Float>       // per bond j = 0…k: [D_j, lanes]
        let leftOffsets: [Int]
        let leftExponents: UnsafeMutablePointer<Int> // per bond j = 0…k: [lanes], Λ_j = Λ̂_j·2^λ
        let labelProduct: UnsafeMutablePointer<Float> // M = A_kᵀ·Λ_k: [d·C·D_{k+1}, lanes]
        let labelAdjoint: UnsafeMutablePointer<Float> // W: [d·C·D_{k+1}, lanes]
        let labelGradient: UnsafeMutablePointer<Float> // (∂loss/∂f)/n: [C, lanes]
        let leftAdjoint: UnsafeMutablePointer<Float> // Y_j: [Dmax, lanes]
        let leftAdjointNext: UnsafeMutablePointer<Float>
        let leftAdjointExponents: UnsafeMutablePointer<Int> // [lanes]: Y_j = Ŷ_j·2^ψ
        let leftShifts: UnsafeMutablePointer<Int>   // [lanes]
        let leftScaled: UnsafeMutablePointer<Float> // [Dmax, lanes]
        let leftTranspose: UnsafeMutablePointer<Float> // [lanes, d·Dmax]

        init(bondDimensions: [Int], physicalDimension d: Int, labelCount: Int, labelSite k: Int, batchCapacity: Int) {
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
            let labelWidth = k > 0 ? d * labelCount * bondDimensions[k + 1] : 0
            zTranspose = .allocate(capacity: lanes * Swift.max(d * dmax, labelWidth))
            logits = .allocate(capacity: labelCount * lanes)
            staging = .allocate(capacity: batchCapacity * l * d)
            rightExponents = .allocate(capacity: (l + 1) * lanes)
            adjointExponents = .allocate(capacity: lanes)
            shifts = .allocate(capacity: lanes)
            scaled = .allocate(capacity: dmax * lanes)
            // With the label on the first core these are unused: one element each.
            let middle = k > 0 ? lanes : 0
            func scratch<T>(_ count: Int) -> UnsafeMutablePointer<T> { .allocate(capacity: Swift.max(count, 1)) }
            var lo = [Int](repeating: 0, count: k + 1)
            total = 0
            for j in 0...k { lo[j] = total; total += bondDimensions[j] * middle }
            leftOffsets = lo
            left = scratch(total)
            leftExponents = scratch((k + 1) * middle)
            labelProduct = scratch(labelWidth * middle)
            labelAdjoint = scratch(labelWidth * middle)
            labelGradient = scratch(labelCount * middle)
            leftAdjoint = scratch(dmax * middle)
            leftAdjointNext = scratch(dmax * middle)
            leftAdjointExponents = scratch(middle)
            leftShifts = scratch(middle)
            leftScaled = scratch(dmax * middle)
            leftTranspose = scratch(d * dmax * middle)
        }

        deinit {
            for p in [phi, z, right, adjoint, adjointNext, zTranspose, logits, staging, scaled, left, labelProduct,
                      labelAdjoint, labelGradient, leftAdjoint, leftAdjointNext, leftScaled, leftTranspose] { p.deallocate() }
            for p in [rightExponents, adjointExponents, shifts, leftExponents, leftAdjointExponents, leftShifts] { p.deallocate() }
        }
    }

    /// Whether an engine of this shape takes the lane path: float32 and every bond within the
    /// lane kernels' 24, the label on any core.
    static func usesLanes(bondDimensions: [Int]) -> Bool {
        Scalar.self == Float.self && bondDimensions.max()! <= Int(tnb_lane_kernels_max_bond())
    }

    /// The batch's features into `phi` (lanes past the batch zero), the chains towards the label
    /// core and the logits with their exponents.
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

        // The chains towards the label core: from the right end, and (k > 0) from the left end,
        // concurrently under the row path's rule.
        let k = labelSite
        if k > 0 && workers(batch: n) > 1 {
            ParallelWorkers.run(2) { worker in
                if worker == 0 { laneChainFromTheRight(lanes, cores: cores, count: n) } else { laneChainFromTheLeft(lanes, cores: cores, count: n) }
            }
        } else {
            laneChainFromTheRight(lanes, cores: cores, count: n)
            if k > 0 { laneChainFromTheLeft(lanes, cores: cores, count: n) }
        }
        let dr = bondDimensions[k + 1], rNext = lanes.right + lanes.rightOffsets[k + 1]
        let eRight = lanes.rightExponents + (k + 1) * lc
        if k == 0 {
            // Z₀ = φ₀ ⊙ R₁, then F[ℓ, ·] = Σ_s A₀[s, ℓ, :]·Z₀[s] (d GEMMs [C, D₁]·[D₁, n]).
            let z0 = lanes.z + lanes.zOffsets[0]
            for s in 0..<d {
                for r in 0..<dr {
                    let out = z0 + (s * dr + r) * lc, f = phi + s * lc, row = rNext + r * lc
                    for b in 0..<lc { out[b] = f[b] * row[b] }
                }
            }
            cores[0].withUnsafeBufferPointer { a in
                let a0 = RowKernels.floats(a.baseAddress!)
                for s in 0..<d {
                    gemm(transposeA: false, transposeB: false, m: c, n: n, k: dr, alpha: Float(1),
                         a: a0 + s * c * dr, lda: dr, b: z0 + s * dr * lc, ldb: lc,
                         beta: s == 0 ? 0 : 1, c: lanes.logits, ldc: lc)
                }
            }
            for b in 0..<n { logitExponents[b] = eRight[b] }
        } else {
            // M = A_kᵀ·Λ_k [d·C·D_{k+1}, n]; F[ℓ, b] = Σ_{s,r} M[(s, ℓ, r), b]·φ_s[b]·R_{k+1}[r, b].
            let dk = bondDimensions[k], width = d * c * dr, m = lanes.labelProduct
            cores[k].withUnsafeBufferPointer { a in
                gemm(transposeA: true, transposeB: false, m: width, n: n, k: dk, alpha: Float(1),
                     a: RowKernels.floats(a.baseAddress!), lda: width, b: lanes.left + lanes.leftOffsets[k], ldb: lc,
                     beta: 0, c: m, ldc: lc)
            }
            let pk = phi + k * d * lc
            for ell in 0..<c {
                let out = lanes.logits + ell * lc
                for b in 0..<n { out[b] = 0 }
                for s in 0..<d {
                    let f = pk + s * lc
                    for r in 0..<dr {
                        let ms = m + ((s * c + ell) * dr + r) * lc, row = rNext + r * lc
                        for b in 0..<n { out[b] += ms[b] * (f[b] * row[b]) }
                    }
                }
            }
            let eLeft = lanes.leftExponents + k * lc
            for b in 0..<n { logitExponents[b] = eLeft[b] + eRight[b] }
        }
        let out = RowKernels.floats(logits)
        for b in 0..<n {
            for ell in 0..<c { out[b * c + ell] = lanes.logits[ell * lc + b] }
        }
    }

    /// R_L = 1 and, for j = L−1 … k+1, Z_j = φ_j ⊙ R_{j+1} and R_j = A_j·Z_j (absorb kernel).
    private func laneChainFromTheRight(_ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int) {
        let l = siteCount, d = physicalDimension, lc = lanes.laneCount, k = labelSite
        let right = lanes.right, logScaled = numerics == .logscaled
        (right + lanes.rightOffsets[l]).initialize(repeating: 1, count: lc)
        (lanes.rightExponents + l * lc).initialize(repeating: 0, count: lc)
        for j in stride(from: l - 1, through: k + 1, by: -1) {
            let status = cores[j].withUnsafeBufferPointer { a in
                tnb_lane_absorb_f32(RowKernels.floats(a.baseAddress!), bondDimensions[j], d, bondDimensions[j + 1],
                                    lanes.phi + j * d * lc, right + lanes.rightOffsets[j + 1], lc,
                                    lanes.z + lanes.zOffsets[j], right + lanes.rightOffsets[j])
            }
            precondition(status == 0, "lane absorb refused bond \(bondDimensions[j]) (at most \(tnb_lane_kernels_max_bond()))")
            let exponents = lanes.rightExponents + j * lc
            exponents.update(from: lanes.rightExponents + (j + 1) * lc, count: lc)
            if logScaled {
                tnb_lane_normalize_f32(right + lanes.rightOffsets[j], bondDimensions[j], lc, n, RowKernels.int64s(exponents))
            }
        }
    }

    /// Λ₀ = 1 and, for j = 0 … k−1, Λ_{j+1} = Σ_s φ_s ⊙ (A_{j,s}ᵀ·Λ_j) (transfer kernel).
    private func laneChainFromTheLeft(_ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int) {
        let d = physicalDimension, lc = lanes.laneCount, k = labelSite
        let left = lanes.left, logScaled = numerics == .logscaled
        left.initialize(repeating: 1, count: lc)
        lanes.leftExponents.initialize(repeating: 0, count: lc)
        for j in 0..<k {
            let status = cores[j].withUnsafeBufferPointer { a in
                tnb_lane_transfer_f32(RowKernels.floats(a.baseAddress!), bondDimensions[j], d, bondDimensions[j + 1],
                                      lanes.phi + j * d * lc, left + lanes.leftOffsets[j], lc, left + lanes.leftOffsets[j + 1])
            }
            precondition(status == 0, "lane transfer refused bond \(bondDimensions[j]) (at most \(tnb_lane_kernels_max_bond()))")
            let exponents = lanes.leftExponents + (j + 1) * lc
            exponents.update(from: lanes.leftExponents + j * lc, count: lc)
            if logScaled {
                tnb_lane_normalize_f32(left + lanes.leftOffsets[j + 1], bondDimensions[j + 1], lc, n, RowKernels.int64s(exponents))
            }
        }
    }

    /// The backward pass on the lane path (after ``forwardLanes(_:cores:features:batch:wantGradient:)``
    /// with `wantGradient`), into `gradients`: the label core's gradient and the adjoints it sends
    /// each way, then the sweep to the right end (∂A_j = X_j·Z_jᵀ, X_{j+1} by the transfer kernel)
    /// and, for a label core inside the chain, the sweep to the left end (V_j and Y_j by the absorb
    /// kernel, ∂A_j = Λ_j·V_jᵀ), the two concurrently under ``workers(batch:)``. Log-scaled, each
    /// gradient is formed at the batch's common exponent and multiplied by 2 to it; returns false
    /// when one is then not finite (plain numerics: true, the caller checks).
    func backwardLanes(_ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int, gradients: [UnsafeMutablePointer<Scalar>]) -> Bool {
        let l = siteCount, k = labelSite
        var finite = k == 0
            ? laneFirstCoreBackward(lanes, cores: cores, count: n, gradients: gradients)
            : laneLabelCoreBackward(lanes, cores: cores, count: n, gradients: gradients)
        var rightFinite = true, leftFinite = true
        if k > 0 && workers(batch: n) > 1 {
            ParallelWorkers.run(2) { worker in
                if worker == 0 {
                    rightFinite = laneSweepToTheRight(lanes, cores: cores, count: n, gradients: gradients)
                } else {
                    leftFinite = laneSweepToTheLeft(lanes, cores: cores, count: n, gradients: gradients)
                }
            }
        } else {
            if k + 1 < l { rightFinite = laneSweepToTheRight(lanes, cores: cores, count: n, gradients: gradients) }
            if k > 0 { leftFinite = laneSweepToTheLeft(lanes, cores: cores, count: n, gradients: gradients) }
        }
        finite = finite && rightFinite && leftFinite
        return finite
    }

    /// `rows` [width, lanes] with per-lane exponents e₁ + e₂ brought to their common exponent M
    /// (into `scaled`, with `shifts`: the caller's scratch; one C call,
    /// `tnb_lane_common_scale_f32`); returns the rows to multiply and M — `rows` itself when every
    /// lane is already at M (plain numerics: `rows` and 0).
    private func laneCommonScale(
        _ rows: UnsafeMutablePointer<Float>, width: Int, lanes lc: Int, count n: Int,
        _ e1: UnsafeMutablePointer<Int>, _ e2: UnsafeMutablePointer<Int>?,
        shifts: UnsafeMutablePointer<Int>, scaled: UnsafeMutablePointer<Float>
    ) -> (UnsafeMutablePointer<Float>, Int) {
        guard numerics == .logscaled else { return (rows, 0) }
        var common: Int64 = 0
        let wrote = tnb_lane_common_scale_f32(rows, scaled, width, lc, n, RowKernels.int64s(e1), e2.map { RowKernels.int64s($0) },
                                              RowKernels.int64s(shifts), &common)
        return (wrote != 0 ? scaled : rows, Int(common))
    }

    /// The label on the first core: U = φ₀ ⊗ (∂loss/∂f)/n, ∂A₀ = Uᵀ·R₁ᵀ and X₁ = A₀ᵀ·Uᵀ (into
    /// `adjoint`, exponents 0, renormalized when log-scaled).
    private func laneFirstCoreBackward(
        _ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int, gradients: [UnsafeMutablePointer<Scalar>]
    ) -> Bool {
        let d = physicalDimension, c = labelCount, lc = lanes.laneCount
        let logScaled = numerics == .logscaled
        var finite = true
        let inv = 1 / Double(n)
        let u = RowKernels.floats(outputGradient), phi = lanes.phi
        for b in 0..<n {
            for s in 0..<d {
                let f = Double(phi[s * lc + b])
                for ell in 0..<c { u[(b * d + s) * c + ell] = Float(f * logitGradient[b * c + ell] * inv) }
            }
        }
        let d1 = bondDimensions[1], x = lanes.adjoint
        // ∂A₀ as [d·C, D₁] = Uᵀ·(R₁ as [n, D₁]) (exponents ρ₁); X₁ [D₁, n] = (A₀ as [d·C, D₁])ᵀ·Uᵀ.
        let (r1, common0) = laneCommonScale(lanes.right + lanes.rightOffsets[1], width: d1, lanes: lc, count: n,
                                            lanes.rightExponents + lc, nil, shifts: lanes.shifts, scaled: lanes.scaled)
        gemm(transposeA: true, transposeB: true, m: d * c, n: d1, k: n, alpha: Float(1),
             a: u, lda: d * c, b: r1, ldb: lc, beta: 0, c: RowKernels.floats(gradients[0]), ldc: d1)
        if logScaled { finite = Self.scaleInPlace(gradients[0], cores[0].count, common0) && finite }
        cores[0].withUnsafeBufferPointer { a in
            gemm(transposeA: true, transposeB: true, m: d1, n: n, k: d * c, alpha: Float(1),
                 a: RowKernels.floats(a.baseAddress!), lda: d1, b: u, ldb: d * c, beta: 0, c: x, ldc: lc)
        }
        if n < lc { for r in 0..<d1 { (x + r * lc + n).initialize(repeating: 0, count: lc - n) } }
        lanes.adjointExponents.initialize(repeating: 0, count: lc)
        if logScaled { tnb_lane_normalize_f32(x, d1, lc, n, RowKernels.int64s(lanes.adjointExponents)) }
        return finite
    }

    /// A label core k > 0, with G[ℓ, b] = (∂loss_b/∂f_bℓ)/n and W[(s, ℓ, r), b] = G[ℓ, b]·φ_s[b]·
    /// R_{k+1}[r, b] (true scale 2^ρ_{k+1}): Y_k = A_k·W (into `leftAdjoint`, exponents ρ_{k+1}),
    /// ∂A_k = Λ_k·Wᵀ, and X_{k+1}[r, b] = Σ_{s,ℓ} M[(s, ℓ, r), b]·φ_s[b]·G[ℓ, b] (into `adjoint`,
    /// exponents λ_k). Both adjoints renormalized when log-scaled.
    private func laneLabelCoreBackward(
        _ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int, gradients: [UnsafeMutablePointer<Scalar>]
    ) -> Bool {
        let d = physicalDimension, c = labelCount, lc = lanes.laneCount, k = labelSite
        let logScaled = numerics == .logscaled
        let dk = bondDimensions[k], dr = bondDimensions[k + 1], width = d * c * dr
        let inv = 1 / Double(n)
        let g = lanes.labelGradient, w = lanes.labelAdjoint, m = lanes.labelProduct
        let pk = lanes.phi + k * d * lc, rNext = lanes.right + lanes.rightOffsets[k + 1]
        let eLeft = lanes.leftExponents + k * lc, eRight = lanes.rightExponents + (k + 1) * lc
        for ell in 0..<c {
            for b in 0..<n { g[ell * lc + b] = Float(logitGradient[b * c + ell] * inv) }
        }
        for s in 0..<d {
            for ell in 0..<c {
                let gl = g + ell * lc, f = pk + s * lc
                for r in 0..<dr {
                    let ws = w + ((s * c + ell) * dr + r) * lc, row = rNext + r * lc
                    for b in 0..<n { ws[b] = gl[b] * (f[b] * row[b]) }
                }
            }
        }
        var finite = true
        cores[k].withUnsafeBufferPointer { a in
            // Y_k = A_k·W [D_k, n]: waits in `leftAdjoint` for the left sweep.
            gemm(transposeA: false, transposeB: false, m: dk, n: n, k: width, alpha: Float(1),
                 a: RowKernels.floats(a.baseAddress!), lda: width, b: w, ldb: lc, beta: 0, c: lanes.leftAdjoint, ldc: lc)
        }
        if n < lc { for i in 0..<dk { (lanes.leftAdjoint + i * lc + n).initialize(repeating: 0, count: lc - n) } }
        // ∂A_k = Λ̂_k·(W·2^{λ + ρ − M})ᵀ·2^M, W transposed to [n, d·C·D_{k+1}] first.
        let (_, common) = laneCommonScale(w, width: width, lanes: lc, count: n, eLeft, eRight,
                                          shifts: lanes.shifts, scaled: w)
        transpose(rows: width, columns: n, a: w, lda: lc, into: lanes.zTranspose, ldb: width)
        gemm(transposeA: false, transposeB: false, m: dk, n: width, k: n, alpha: Float(1),
             a: lanes.left + lanes.leftOffsets[k], lda: lc, b: lanes.zTranspose, ldb: width, beta: 0,
             c: RowKernels.floats(gradients[k]), ldc: width)
        if logScaled { finite = Self.scaleInPlace(gradients[k], cores[k].count, common) && finite }
        // X_{k+1}, exponents λ_k.
        let x = lanes.adjoint
        x.initialize(repeating: 0, count: dr * lc)
        for s in 0..<d {
            for ell in 0..<c {
                let gl = g + ell * lc, f = pk + s * lc
                for r in 0..<dr {
                    let ms = m + ((s * c + ell) * dr + r) * lc, out = x + r * lc
                    for b in 0..<n { out[b] += ms[b] * (f[b] * gl[b]) }
                }
            }
        }
        lanes.adjointExponents.update(from: eLeft, count: lc)
        lanes.leftAdjointExponents.update(from: eRight, count: lc)
        if logScaled {
            tnb_lane_normalize_f32(x, dr, lc, n, RowKernels.int64s(lanes.adjointExponents))
            tnb_lane_normalize_f32(lanes.leftAdjoint, dk, lc, n, RowKernels.int64s(lanes.leftAdjointExponents))
        }
        return finite
    }

    /// From X_{k+1} in `adjoint`: for j = k+1 … L−1, ∂A_j = X_j·Z_jᵀ (exponents ξ_j + ρ_{j+1}) and
    /// X_{j+1} by the transfer kernel.
    private func laneSweepToTheRight(
        _ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int, gradients: [UnsafeMutablePointer<Scalar>]
    ) -> Bool {
        let l = siteCount, d = physicalDimension, lc = lanes.laneCount
        let logScaled = numerics == .logscaled
        var finite = true
        var x = lanes.adjoint, xNext = lanes.adjointNext
        let xi = lanes.adjointExponents
        for j in (labelSite + 1)..<l {
            let dl = bondDimensions[j], w = d * bondDimensions[j + 1]
            transpose(rows: w, columns: n, a: lanes.z + lanes.zOffsets[j], lda: lc, into: lanes.zTranspose, ldb: w)
            let (xs, common) = laneCommonScale(x, width: dl, lanes: lc, count: n, xi, lanes.rightExponents + (j + 1) * lc,
                                               shifts: lanes.shifts, scaled: lanes.scaled)
            gemm(transposeA: false, transposeB: false, m: dl, n: w, k: n, alpha: Float(1),
                 a: xs, lda: lc, b: lanes.zTranspose, ldb: w, beta: 0, c: RowKernels.floats(gradients[j]), ldc: w)
            if logScaled { finite = Self.scaleInPlace(gradients[j], cores[j].count, common) && finite }
            guard j < l - 1 else { break }
            let status = cores[j].withUnsafeBufferPointer { a in
                tnb_lane_transfer_f32(RowKernels.floats(a.baseAddress!), dl, d, bondDimensions[j + 1],
                                      lanes.phi + j * d * lc, x, lc, xNext)
            }
            precondition(status == 0, "lane transfer refused bond \(dl) (at most \(tnb_lane_kernels_max_bond()))")
            swap(&x, &xNext)
            if logScaled { tnb_lane_normalize_f32(x, bondDimensions[j + 1], lc, n, RowKernels.int64s(xi)) }
        }
        return finite
    }

    /// From Y_k in `leftAdjoint` (label site k > 0): for j = k−1 … 0, V_j = φ_j ⊙ Y_{j+1} (into
    /// Z_j's slot, unused left of the label core) and Y_j = A_j·V_j by the absorb kernel, and
    /// ∂A_j = Λ_j·V_jᵀ (exponents λ_j + ψ_{j+1}). Its own scratch throughout: it may run beside
    /// the right sweep.
    private func laneSweepToTheLeft(
        _ lanes: LaneBuffers, cores: [Tensor<Scalar>], count n: Int, gradients: [UnsafeMutablePointer<Scalar>]
    ) -> Bool {
        let d = physicalDimension, lc = lanes.laneCount
        let logScaled = numerics == .logscaled
        var finite = true
        var y = lanes.leftAdjoint, yNext = lanes.leftAdjointNext
        let psi = lanes.leftAdjointExponents
        for j in stride(from: labelSite - 1, through: 0, by: -1) {
            let dl = bondDimensions[j], w = d * bondDimensions[j + 1], v = lanes.z + lanes.zOffsets[j]
            let status = cores[j].withUnsafeBufferPointer { a in
                tnb_lane_absorb_f32(RowKernels.floats(a.baseAddress!), dl, d, bondDimensions[j + 1],
                                    lanes.phi + j * d * lc, y, lc, v, yNext)
            }
            precondition(status == 0, "lane absorb refused bond \(dl) (at most \(tnb_lane_kernels_max_bond()))")
            transpose(rows: w, columns: n, a: v, lda: lc, into: lanes.leftTranspose, ldb: w)
            let (ls, common) = laneCommonScale(lanes.left + lanes.leftOffsets[j], width: dl, lanes: lc, count: n,
                                               lanes.leftExponents + j * lc, psi,
                                               shifts: lanes.leftShifts, scaled: lanes.leftScaled)
            gemm(transposeA: false, transposeB: false, m: dl, n: w, k: n, alpha: Float(1),
                 a: ls, lda: lc, b: lanes.leftTranspose, ldb: w, beta: 0, c: RowKernels.floats(gradients[j]), ldc: w)
            if logScaled { finite = Self.scaleInPlace(gradients[j], cores[j].count, common) && finite }
            guard j > 0 else { break }
            swap(&y, &yNext)
            if logScaled { tnb_lane_normalize_f32(y, dl, lc, n, RowKernels.int64s(psi)) }
        }
        return finite
    }
}
