import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The backward pass of ``MPSGradientEngine``: the adjoint sweeps away from the label core.
extension MPSGradientEngine {

    /// Needs the state left by a `forward(…, wantGradient: true)` on `count` samples (the
    /// per-sample ∂loss/∂f in `logitGradient`).
    ///
    /// With two ``workers(batch:)`` (a label core inside the chain) the right and the left sweep
    /// run concurrently, each on its own thread. Every product is the call of the sequential
    /// order, so the gradients are the same bits.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(cores: [Tensor<Scalar>], count n: Int, gradients: inout [Tensor<Scalar>]) -> Bool {
        let l = siteCount, d = physicalDimension, c = labelCount, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        if gradients.count != l || zip(gradients, cores).contains(where: { $0.shape != $1.shape }) {
            gradients = cores.map { Tensor<Scalar>(zeros: $0.shape) }
        }
        // The gradients' storage, made unique here and kept alive by `gradients`: the sweeps write
        // disjoint cores, possibly from two threads.
        var targets: [UnsafeMutablePointer<Scalar>] = []
        targets.reserveCapacity(l)
        for j in 0..<l { gradients[j].withUnsafeMutableBufferPointer { targets.append($0.baseAddress!) } }
        if let lanes = laneBuffers {
            let finite = backwardLanes(lanes, cores: cores, count: n, gradients: targets)
            if numerics == .plain { for g in gradients where !g.isFinite { return false } }
            return finite
        }
        let inv = 1 / Double(n)
        var finite = true
        let d1 = bondDimensions[k + 1]
        let x1 = adjoints + rightOffsets[k + 1], e1 = adjointExponents + (k + 1) * cap
        if k == 0 {
            // U[b, s, ℓ] = φ₀,s·(∂loss_b/∂f_bℓ)/n.
            for b in 0..<n {
                for s in 0..<d {
                    let f = Double(phi[b * d + s])
                    for ell in 0..<c {
                        outputGradient[(b * d + s) * c + ell] = Scalar(f * logitGradient[b * c + ell] * inv)
                    }
                }
            }
            // ∂A₀ as [d·C, D₁] = Uᵀ·R₁ with per-sample exponent ρ₁.
            let r1 = right + rightOffsets[1]
            let rightExponent1 = rightExponents + cap
            let common0 = logScaled ? Self.commonExponent(rightExponent1, nil, n) : 0
            let rScaled: UnsafeMutablePointer<Scalar>
            if logScaled {
                for b in 0..<n { shifts[b] = rightExponent1[b] - common0 }
                RowKernels.scaleRows(r1, into: scaled, count: n, width: d1, shifts: shifts)
                rScaled = scaled
            } else {
                rScaled = r1
            }
            gemm(transposeA: true, transposeB: false, m: d * c, n: d1, k: n, alpha: 1,
                 a: outputGradient, lda: d * c, b: rScaled, ldb: d1, beta: 0, c: targets[0], ldc: d1)
            if logScaled { finite = Self.scaleInPlace(targets[0], cores[0].count, common0) && finite }
            // X₁ = U·A₀ ([n, d·C]·[d·C, D₁]), exponent 0.
            cores[0].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: false, m: n, n: d1, k: d * c, alpha: 1,
                     a: outputGradient, lda: d * c, b: a.baseAddress!, ldb: d1, beta: 0, c: x1, ldc: d1)
            }
            for b in 0..<n { e1[b] = 0 }
        } else {
            finite = backwardLabelCore(cores: cores, count: n, gradients: targets) && finite
        }
        if logScaled { RowKernels.normalizeRows(x1, count: n, width: d1, exponents: e1) }

        var rightFinite = true, leftFinite = true
        if k > 0 && workers(batch: n) > 1 {
            ParallelWorkers.run(2) { worker in
                if worker == 0 {
                    rightFinite = backwardRight(cores: cores, count: n, gradients: targets)
                } else {
                    leftFinite = backwardLeft(cores: cores, count: n, gradients: targets)
                }
            }
        } else {
            rightFinite = backwardRight(cores: cores, count: n, gradients: targets)
            if k > 0 { leftFinite = backwardLeft(cores: cores, count: n, gradients: targets) }
        }
        finite = finite && rightFinite && leftFinite
        if !logScaled {
            for g in gradients where !g.isFinite { return false }
        }
        return finite
    }

    /// The adjoint sweep to the right end from X_{k+1}: for j = k+1 … L−1, ∂A_j = X_jᵀ·Z_j and
    /// X_{j+1}[b, r] = Σ_s φ_s·(X_j·A_j)[b, s, r], each X_j in its own slot of `adjoints`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func backwardRight(
        cores: [Tensor<Scalar>], count n: Int, gradients targets: [UnsafeMutablePointer<Scalar>]
    ) -> Bool {
        let l = siteCount, d = physicalDimension, cap = batchCapacity, first = labelSite + 1
        guard first < l else { return true }
        let logScaled = numerics == .logscaled
        func advance(_ j: Int) {
            let dl = bondDimensions[j], dr = bondDimensions[j + 1]
            let xNext = adjoints + rightOffsets[j + 1]
            cores[j].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: false, m: n, n: d * dr, k: dl, alpha: 1,
                     a: adjoints + rightOffsets[j], lda: dl, b: a.baseAddress!, ldb: d * dr, beta: 0, c: product, ldc: d * dr)
            }
            RowKernels.contractPhysical(product, phi: phi + j * cap * d, into: xNext, count: n, physical: d, width: dr)
            let eIn = adjointExponents + j * cap, eOut = adjointExponents + (j + 1) * cap
            for b in 0..<n { eOut[b] = eIn[b] }
            if logScaled { RowKernels.normalizeRows(xNext, count: n, width: dr, exponents: eOut) }
        }
        // ∂A_j = X_jᵀ·Z_j, with per-sample exponent ξ_j + ρ_{j+1}.
        func gradient(_ j: Int) -> Bool {
            coreGradient(targets[j], count: cores[j].count, rows: adjoints + rightOffsets[j], width: bondDimensions[j],
                         exponents: adjointExponents + j * cap, rightExponents + (j + 1) * cap,
                         times: z + zOffsets[j], count: n, shifts: shifts, scaled: scaled)
        }
        var finite = true
        for j in first..<l {
            finite = gradient(j) && finite
            if j < l - 1 { advance(j) }
        }
        return finite
    }

    /// Label site k > 0: ∂A_k, the right adjoint X_{k+1} (into its slot of `adjoints`, exponents
    /// λ_k) and the left adjoint Y_k (into `leftAdjoint`, exponents ρ_{k+1}, set by the left sweep).
    ///
    /// With G[b, ℓ] = (∂loss_b/∂f_bℓ)/n and W[b, s, ℓ, r] = G[b, ℓ]·Z_k[b, s, r] (true scale 2^ρ_{k+1}):
    /// ∂A_k = Λ_kᵀ·W, Y_k = W·A_kᵀ, X_{k+1}[b, r] = Σ_{s,ℓ} (Λ_k·A_k)[b, s, ℓ, r]·φ_s·G[b, ℓ].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func backwardLabelCore(cores: [Tensor<Scalar>], count n: Int, gradients targets: [UnsafeMutablePointer<Scalar>]) -> Bool {
        let d = physicalDimension, c = labelCount, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        let dk = bondDimensions[k], dr = bondDimensions[k + 1], width = d * c * dr
        let inv = 1 / Double(n)
        let zk = z + zOffsets[k], pk = phi + k * cap * d
        let eLeft = leftExponents + k * cap, eRight = rightExponents + (k + 1) * cap
        var finite = true
        // W (unscaled: true value W·2^ρ).
        for b in 0..<n {
            let w = labelAdjoint + b * width, zb = zk + b * d * dr
            for s in 0..<d {
                for ell in 0..<c {
                    let g = Scalar(logitGradient[b * c + ell] * inv)
                    let ws = w + (s * c + ell) * dr, zs = zb + s * dr
                    for r in 0..<dr { ws[r] = g * zs[r] }
                }
            }
        }
        // Y_k = W·A_kᵀ [n, D_k], exponent ρ_{k+1}: waits in `leftAdjoint` for the left sweep.
        product(labelAdjoint, count: n, timesTransposeOf: cores[k], into: leftAdjoint)
        // ∂A_k = Λ̂_kᵀ·(W·2^{λ + ρ − M})·2^M.
        let common = logScaled ? Self.commonExponent(eLeft, eRight, n) : 0
        if logScaled {
            for b in 0..<n { shifts[b] = eLeft[b] + eRight[b] - common }
            RowKernels.scaleRows(labelAdjoint, into: labelAdjoint, count: n, width: width, shifts: shifts)
        }
        gemm(transposeA: true, transposeB: false, m: dk, n: width, k: n, alpha: 1,
             a: left + leftOffsets[k], lda: dk, b: labelAdjoint, ldb: width, beta: 0, c: targets[k], ldc: width)
        if logScaled { finite = Self.scaleInPlace(targets[k], cores[k].count, common) && finite }
        // X_{k+1}[b, r] = Σ_{s,ℓ} M[b, s, ℓ, r]·φ_s·G[b, ℓ], exponent λ_k.
        let x = adjoints + rightOffsets[k + 1], xExponents = adjointExponents + (k + 1) * cap
        for b in 0..<n {
            let m = labelProduct + b * width, out = x + b * dr
            for r in 0..<dr { out[r] = 0 }
            for s in 0..<d {
                for ell in 0..<c {
                    let weight = Scalar(Double(pk[b * d + s]) * logitGradient[b * c + ell] * inv)
                    let ms = m + (s * c + ell) * dr
                    for r in 0..<dr { out[r] += weight * ms[r] }
                }
            }
            xExponents[b] = eLeft[b]
        }
        return finite
    }

    /// The adjoint sweep to the left end (label site k > 0), from Y_k with exponent ρ_{k+1}:
    /// V_j[b, s, r] = φ_s·Y_{j+1}[b, r] (into Z_j's slot, unused left of the label core),
    /// ∂A_j = Λ_jᵀ·V_j, Y_j = V_j·A_jᵀ. Its own scratch throughout: it may run beside the right sweep.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func backwardLeft(cores: [Tensor<Scalar>], count n: Int, gradients targets: [UnsafeMutablePointer<Scalar>]) -> Bool {
        let d = physicalDimension, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        var finite = true
        let eY = leftAdjointExponents
        let eRight = rightExponents + (k + 1) * cap
        for b in 0..<n { eY[b] = eRight[b] }
        if logScaled { RowKernels.normalizeRows(leftAdjoint, count: n, width: bondDimensions[k], exponents: eY) }
        var y = leftAdjoint, yNext = leftAdjointNext
        for j in stride(from: k - 1, through: 0, by: -1) {
            let dl = bondDimensions[j], dr = bondDimensions[j + 1]
            let v = z + zOffsets[j]
            // V = φ_j ⊙ Y_{j+1} [n, d·D_{j+1}]
            RowKernels.outer(v, phi: phi + j * cap * d, rows: y, count: n, physical: d, width: dr)
            finite = coreGradient(targets[j], count: cores[j].count, rows: left + leftOffsets[j], width: dl,
                                  exponents: leftExponents + j * cap, eY, times: v, count: n,
                                  shifts: leftShifts, scaled: leftScaled) && finite
            if j == 0 { break }
            product(v, count: n, timesTransposeOf: cores[j], into: yNext)
            if logScaled { RowKernels.normalizeRows(yNext, count: n, width: dl, exponents: eY) }
            swap(&y, &yNext)
        }
        return finite
    }

    /// ∂A = Xᵀ·Y for a core of the chain, into `gradient` (`count` scalars): X [n, D_l] (adjoint
    /// or environment rows, true scale 2^(e₁[b] + e₂[b]) per sample in log-scaled mode), Y
    /// [n, width] with width = count / D_l. Log-scaled, X's rows are first brought to a common
    /// exponent M (in `scaled`, with `shifts`: the caller's scratch) and the product is multiplied
    /// by 2^M. Returns false when the gradient is not finite (log-scaled only).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func coreGradient(
        _ gradient: UnsafeMutablePointer<Scalar>, count: Int, rows x: UnsafeMutablePointer<Scalar>, width dl: Int,
        exponents e1: UnsafeMutablePointer<Int>, _ e2: UnsafeMutablePointer<Int>,
        times y: UnsafeMutablePointer<Scalar>, count n: Int,
        shifts: UnsafeMutablePointer<Int>, scaled: UnsafeMutablePointer<Scalar>
    ) -> Bool {
        let logScaled = numerics == .logscaled
        let columns = count / dl
        let common = logScaled ? Self.commonExponent(e1, e2, n) : 0
        let xs: UnsafeMutablePointer<Scalar>
        if logScaled {
            for b in 0..<n { shifts[b] = e1[b] + e2[b] - common }
            RowKernels.scaleRows(x, into: scaled, count: n, width: dl, shifts: shifts)
            xs = scaled
        } else {
            xs = x
        }
        gemm(transposeA: true, transposeB: false, m: dl, n: columns, k: n, alpha: 1,
             a: xs, lda: dl, b: y, ldb: columns, beta: 0, c: gradient, ldc: columns)
        return logScaled ? Self.scaleInPlace(gradient, count, common) : true
    }
}
