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
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(cores: [Tensor<Scalar>], count n: Int, gradients: inout [Tensor<Scalar>]) -> Bool {
        let l = siteCount, d = physicalDimension, c = labelCount, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        if gradients.count != l || zip(gradients, cores).contains(where: { $0.shape != $1.shape }) {
            gradients = cores.map { Tensor<Scalar>(zeros: $0.shape) }
        }
        let inv = 1 / Double(n)
        var finite = true
        let d1 = bondDimensions[k + 1]
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
            let e1 = rightExponents + cap
            let common0 = logScaled ? Self.commonExponent(e1, nil, n) : 0
            let rScaled: UnsafeMutablePointer<Scalar>
            if logScaled {
                for b in 0..<n { shifts[b] = e1[b] - common0 }
                RowKernels.scaleRows(r1, into: scaled, count: n, width: d1, shifts: shifts)
                rScaled = scaled
            } else {
                rScaled = r1
            }
            gradients[0].withUnsafeMutableBufferPointer { g in
                gemm(transposeA: true, transposeB: false, m: d * c, n: d1, k: n, alpha: 1,
                     a: outputGradient, lda: d * c, b: rScaled, ldb: d1, beta: 0, c: g.baseAddress!, ldc: d1)
                if logScaled { finite = Self.scaleInPlace(g.baseAddress!, g.count, common0) && finite }
            }
            // X₁ = U·A₀ ([n, d·C]·[d·C, D₁]), exponent 0.
            cores[0].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: false, m: n, n: d1, k: d * c, alpha: 1,
                     a: outputGradient, lda: d * c, b: a.baseAddress!, ldb: d1, beta: 0, c: adjoint, ldc: d1)
            }
            for b in 0..<n { adjointExponents[b] = 0 }
        } else {
            finite = backwardLabelCore(cores: cores, count: n, gradients: &gradients) && finite
        }
        if logScaled { RowKernels.normalizeRows(adjoint, count: n, width: d1, exponents: adjointExponents) }

        // The adjoint sweep to the right end: X_{k+1} is in `adjoint`.
        var x = adjoint, xNext = adjointNext
        for j in (k + 1)..<Swift.max(l, k + 1) {
            let dl = bondDimensions[j], dr = bondDimensions[j + 1]
            let zj = z + zOffsets[j]
            // ∂A_j = X_jᵀ·Z_j, with per-sample exponent ξ_j + ρ_{j+1}.
            finite = coreGradient(&gradients[j], rows: x, width: dl, exponents: adjointExponents, rightExponents + (j + 1) * cap,
                                  times: zj, count: n) && finite
            if j == l - 1 { break }
            // X_{j+1}[b, r] = Σ_s φ_s·(X_j·A_j)[b, s, r]
            cores[j].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: false, m: n, n: d * dr, k: dl, alpha: 1,
                     a: x, lda: dl, b: a.baseAddress!, ldb: d * dr, beta: 0, c: product, ldc: d * dr)
            }
            RowKernels.contractPhysical(product, phi: phi + j * cap * d, into: xNext, count: n, physical: d, width: dr)
            if logScaled { RowKernels.normalizeRows(xNext, count: n, width: dr, exponents: adjointExponents) }
            swap(&x, &xNext)
        }
        if k > 0 { finite = backwardLeft(cores: cores, count: n, gradients: &gradients) && finite }
        if !logScaled {
            for g in gradients where !g.isFinite { return false }
        }
        return finite
    }

    /// Label site k > 0: ∂A_k, the right adjoint X_{k+1} (into `adjoint`, exponents λ_k) and the
    /// left adjoint Y_k (into `leftAdjoint`, exponents ρ_{k+1}).
    ///
    /// With G[b, ℓ] = (∂loss_b/∂f_bℓ)/n and W[b, s, ℓ, r] = G[b, ℓ]·Z_k[b, s, r] (true scale 2^ρ_{k+1}):
    /// ∂A_k = Λ_kᵀ·W, Y_k = W·A_kᵀ, X_{k+1}[b, r] = Σ_{s,ℓ} (Λ_k·A_k)[b, s, ℓ, r]·φ_s·G[b, ℓ].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func backwardLabelCore(cores: [Tensor<Scalar>], count n: Int, gradients: inout [Tensor<Scalar>]) -> Bool {
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
        cores[k].withUnsafeBufferPointer { a in
            gemm(transposeA: false, transposeB: true, m: n, n: dk, k: width, alpha: 1,
                 a: labelAdjoint, lda: width, b: a.baseAddress!, ldb: width, beta: 0, c: leftAdjoint, ldc: dk)
        }
        // ∂A_k = Λ̂_kᵀ·(W·2^{λ + ρ − M})·2^M.
        let common = logScaled ? Self.commonExponent(eLeft, eRight, n) : 0
        if logScaled {
            for b in 0..<n { shifts[b] = eLeft[b] + eRight[b] - common }
            RowKernels.scaleRows(labelAdjoint, into: labelAdjoint, count: n, width: width, shifts: shifts)
        }
        gradients[k].withUnsafeMutableBufferPointer { g in
            gemm(transposeA: true, transposeB: false, m: dk, n: width, k: n, alpha: 1,
                 a: left + leftOffsets[k], lda: dk, b: labelAdjoint, ldb: width, beta: 0, c: g.baseAddress!, ldc: width)
            if logScaled { finite = Self.scaleInPlace(g.baseAddress!, g.count, common) && finite }
        }
        // X_{k+1}[b, r] = Σ_{s,ℓ} M[b, s, ℓ, r]·φ_s·G[b, ℓ], exponent λ_k.
        for b in 0..<n {
            let m = labelProduct + b * width, out = adjoint + b * dr
            for r in 0..<dr { out[r] = 0 }
            for s in 0..<d {
                for ell in 0..<c {
                    let weight = Scalar(Double(pk[b * d + s]) * logitGradient[b * c + ell] * inv)
                    let ms = m + (s * c + ell) * dr
                    for r in 0..<dr { out[r] += weight * ms[r] }
                }
            }
            adjointExponents[b] = eLeft[b]
        }
        return finite
    }

    /// The adjoint sweep to the left end (label site k > 0), from Y_k with exponent ρ_{k+1}:
    /// V_j[b, s, r] = φ_s·Y_{j+1}[b, r], ∂A_j = Λ_jᵀ·V_j, Y_j = V_j·A_jᵀ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func backwardLeft(cores: [Tensor<Scalar>], count n: Int, gradients: inout [Tensor<Scalar>]) -> Bool {
        let d = physicalDimension, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        var finite = true
        let eY = adjointExponents  // reused: the right sweep is done
        let eRight = rightExponents + (k + 1) * cap
        for b in 0..<n { eY[b] = eRight[b] }
        if logScaled { RowKernels.normalizeRows(leftAdjoint, count: n, width: bondDimensions[k], exponents: eY) }
        var y = leftAdjoint, yNext = leftAdjointNext
        for j in stride(from: k - 1, through: 0, by: -1) {
            let dl = bondDimensions[j], dr = bondDimensions[j + 1]
            // V = φ_j ⊙ Y_{j+1} [n, d·D_{j+1}]
            RowKernels.outer(product, phi: phi + j * cap * d, rows: y, count: n, physical: d, width: dr)
            finite = coreGradient(&gradients[j], rows: left + leftOffsets[j], width: dl, exponents: leftExponents + j * cap, eY,
                                  times: product, count: n) && finite
            if j == 0 { break }
            cores[j].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: true, m: n, n: dl, k: d * dr, alpha: 1,
                     a: product, lda: d * dr, b: a.baseAddress!, ldb: d * dr, beta: 0, c: yNext, ldc: dl)
            }
            if logScaled { RowKernels.normalizeRows(yNext, count: n, width: dl, exponents: eY) }
            swap(&y, &yNext)
        }
        return finite
    }

    /// ∂A = Xᵀ·Y for a core of the chain: X [n, D_l] (adjoint or environment rows, true scale
    /// 2^(e₁[b] + e₂[b]) per sample in log-scaled mode), Y [n, width] with width = gradient.count / D_l.
    /// Log-scaled, X's rows are first brought to a common exponent M (in `scaled`) and the product
    /// is multiplied by 2^M. Returns false when the gradient is not finite (log-scaled only).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func coreGradient(
        _ gradient: inout Tensor<Scalar>, rows x: UnsafeMutablePointer<Scalar>, width dl: Int,
        exponents e1: UnsafeMutablePointer<Int>, _ e2: UnsafeMutablePointer<Int>,
        times y: UnsafeMutablePointer<Scalar>, count n: Int
    ) -> Bool {
        let logScaled = numerics == .logscaled
        let columns = gradient.count / dl
        let common = logScaled ? Self.commonExponent(e1, e2, n) : 0
        let xs: UnsafeMutablePointer<Scalar>
        if logScaled {
            for b in 0..<n { shifts[b] = e1[b] + e2[b] - common }
            RowKernels.scaleRows(x, into: scaled, count: n, width: dl, shifts: shifts)
            xs = scaled
        } else {
            xs = x
        }
        var finite = true
        gradient.withUnsafeMutableBufferPointer { g in
            gemm(transposeA: true, transposeB: false, m: dl, n: columns, k: n, alpha: 1,
                 a: xs, lda: dl, b: y, ldb: columns, beta: 0, c: g.baseAddress!, ldc: columns)
            if logScaled { finite = Self.scaleInPlace(g.baseAddress!, g.count, common) }
        }
        return finite
    }

}
