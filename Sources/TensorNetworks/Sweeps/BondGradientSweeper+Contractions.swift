import TensorCore

/// The contractions of ``BondGradientSweeper``'s pair steps: the environments, and the loss and
/// gradient of a merged two-site tensor.
extension BondGradientSweeper {
    // MARK: - Environments

    /// Rows per sample of the left environment of site j (sites 0..<j) and of the right one (j..<L).
    func leftLabelled(_ j: Int) -> Bool { model.labelSite < j }
    func rightLabelled(_ j: Int) -> Bool { model.labelSite >= j }

    /// V'[(b, ℓ), r] = Σ_{l,s} V[(b, ℓ), l]·φ_s(x_b)·A[l, s, (ℓ), r]: the left environment of
    /// sites 0..<j extended by site j. One GEMM [n·c, D_l]·[D_l, d·c·D_r].
    func extendLeft(_ v: Tensor<Scalar>, site j: Int, phi: Tensor<Scalar>) -> Tensor<Scalar> {
        let core = model.cores[j]
        let n = phi.shape[0], d = phi.shape[1], dl = core.shape[0], dr = core.shape.last!
        let cCore = j == model.labelSite ? model.labelCount : 1
        let cIn = v.shape[0] / n
        precondition(v.shape == [n * cIn, dl], "left environment \(v.shape) does not fit core \(j) \(core.shape)")
        let width = d * cCore * dr
        var t = Tensor<Scalar>(zeros: [n * cIn, width])
        t.withUnsafeMutableBufferPointer { pt in
            v.withUnsafeBufferPointer { pv in
                core.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: false, m: n * cIn, n: width, k: dl, alpha: 1,
                         a: pv.baseAddress!, lda: dl, b: pa.baseAddress!, ldb: width, beta: 0, c: pt.baseAddress!, ldc: width)
                }
            }
        }
        flops += 2 * Double(n * cIn) * Double(width) * Double(dl) + 2 * Double(n * cIn * width)
        let cOut = cIn * cCore
        return Tensor(shape: [n * cOut, dr]) { out in
            out.initialize(repeating: 0)
            t.withUnsafeBufferPointer { pt in
                phi.withUnsafeBufferPointer { f in
                    for b in 0..<n {
                        for li in 0..<cIn {
                            let row = pt.baseAddress! + (b * cIn + li) * width
                            for s in 0..<d {
                                let w = f[b * d + s]
                                for lc in 0..<cCore {
                                    let source = row + (s * cCore + lc) * dr
                                    let target = out.baseAddress! + ((b * cIn + li) * cCore + lc) * dr
                                    for r in 0..<dr { target[r] += w * source[r] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// W'[(b, ℓ), l] = Σ_{s,r} A[l, s, (ℓ), r]·φ_s(x_b)·W[(b, ℓ), r]: the right environment of
    /// sites j+1..<L extended by site j. One GEMM [n·c, d·D_r]·[d·D_r, c·D_l].
    func extendRight(_ w: Tensor<Scalar>, site j: Int, phi: Tensor<Scalar>) -> Tensor<Scalar> {
        var core = model.cores[j]
        let n = phi.shape[0], d = phi.shape[1], dl = core.shape[0], dr = core.shape.last!
        let cIn = w.shape[0] / n
        precondition(w.shape == [n * cIn, dr], "right environment \(w.shape) does not fit core \(j) \(core.shape)")
        let isLabel = j == model.labelSite
        // The label core as [(ℓ, l), (s, r)], so the product's rows come out as (b, ℓ).
        if isLabel { core = core.permuted([2, 0, 1, 3]) }
        let cCore = isLabel ? model.labelCount : 1
        let z = Tensor<Scalar>(shape: [n * cIn, d * dr]) { out in
            w.withUnsafeBufferPointer { pw in
                phi.withUnsafeBufferPointer { f in
                    for b in 0..<n {
                        for li in 0..<cIn {
                            let row = (b * cIn + li)
                            for s in 0..<d {
                                let fs = f[b * d + s]
                                for r in 0..<dr { out[(row * d + s) * dr + r] = fs * pw[row * dr + r] }
                            }
                        }
                    }
                }
            }
        }
        var result = Tensor<Scalar>(zeros: [n * cIn * cCore, dl])
        result.withUnsafeMutableBufferPointer { out in
            z.withUnsafeBufferPointer { pz in
                core.withUnsafeBufferPointer { pa in
                    gemm(transposeA: false, transposeB: true, m: n * cIn, n: cCore * dl, k: d * dr, alpha: 1,
                         a: pz.baseAddress!, lda: d * dr, b: pa.baseAddress!, ldb: d * dr,
                         beta: 0, c: out.baseAddress!, ldc: cCore * dl)
                }
            }
        }
        flops += 2 * Double(n * cIn) * Double(cCore * dl) * Double(d * dr) + Double(n * cIn * d * dr)
        return result
    }

    // MARK: - Loss and gradient of a merged tensor

    struct MergedEvaluation {
        var loss: Double
        var correct: Int
        var gradient: Tensor<Scalar>
        var finite: Bool
    }

    /// The batch's mean cross-entropy and its gradient with respect to the merged tensor of pair
    /// (i, i+1), given the left environment of site i and the right one of site i+2.
    func lossAndGradient(
        merged: Tensor<Scalar>, pair i: Int, left: Tensor<Scalar>, right: Tensor<Scalar>,
        phi: [Tensor<Scalar>], labels: [Int]
    ) -> MergedEvaluation {
        let k = model.labelSite, c = model.labelCount
        let n = labels.count, d = model.physicalDimension
        let dl = model.cores[i].shape[0], dr = model.cores[i + 1].shape.last!
        let (m, columns) = (merged.shape[0], merged.shape[1])
        let cL = leftLabelled(i) ? c : 1, cR = rightLabelled(i + 2) ? c : 1
        precondition(left.shape == [n * cL, dl] && right.shape == [n * cR, dr],
                     "environments \(left.shape), \(right.shape) do not fit pair (\(i), \(i + 1))")
        let phiL = phi[i], phiR = phi[i + 1]
        var logits = [Double](repeating: 0, count: n * c)

        // Y0[b, (t, r)] = φ_{i+1}[b, t]·R[b, r] when R carries no label; X0[b, (l, s)] = L[b, l]·φ_i[b, s] likewise.
        func outer(_ env: Tensor<Scalar>, _ f: Tensor<Scalar>, envFirst: Bool) -> Tensor<Scalar> {
            let width = env.shape[1]
            return Tensor(shape: [n, width * d]) { out in
                env.withUnsafeBufferPointer { e in
                    f.withUnsafeBufferPointer { p in
                        for b in 0..<n {
                            for x in 0..<width {
                                for s in 0..<d {
                                    let index = envFirst ? x * d + s : s * width + x
                                    out[b * width * d + index] = e[b * width + x] * p[b * d + s]
                                }
                            }
                        }
                    }
                }
            }
        }
        func product(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool, transposeB: Bool) -> Tensor<Scalar> {
            let result = a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB)
            let inner = transposeA ? a.shape[0] : a.shape[1]
            flops += 2 * Double(result.count) * Double(inner)
            return result
        }

        var gradient: Tensor<Scalar>
        var g = [Double](repeating: 0, count: n * c)
        var loss = 0.0, correct = 0, finite = true
        // Cross-entropy of the logits; g = ∂(mean loss)/∂f.
        func crossEntropy() {
            logits.withUnsafeBufferPointer { f in
                g.withUnsafeMutableBufferPointer { gp in
                    for b in 0..<n {
                        let row = f.baseAddress! + b * c
                        if !(0..<c).allSatisfy({ row[$0].isFinite }) { finite = false; continue }
                        loss += Softmax.crossEntropy(row, count: c, label: labels[b], gradient: gp.baseAddress! + b * c)
                        var best = 0
                        for l in 1..<c where row[l] > row[best] { best = l }
                        if best == labels[b] { correct += 1 }
                    }
                    for x in 0..<(n * c) { gp[x] /= Double(n) }
                }
            }
            loss /= Double(n)
        }

        if cL > 1 {
            // Label left of the pair: contract B from the right, T'[b, (l, s)] = Y0·Bᵀ.
            let y0 = outer(right, phiR, envFirst: false)              // [n, d·D_r] as (t, r)
            let t = product(y0, merged, transposeA: false, transposeB: true) // [n, D_l·d]
            t.withUnsafeBufferPointer { pt in
                left.withUnsafeBufferPointer { pl in
                    phiL.withUnsafeBufferPointer { f in
                        for b in 0..<n {
                            for ell in 0..<c {
                                var total = 0.0
                                for l in 0..<dl {
                                    var inner = 0.0
                                    for s in 0..<d { inner += Double(f[b * d + s]) * Double(pt[(b * dl + l) * d + s]) }
                                    total += Double(pl[(b * c + ell) * dl + l]) * inner
                                }
                                logits[b * c + ell] = total
                            }
                        }
                    }
                }
            }
            crossEntropy()
            // L̃[b, l] = Σ_ℓ g[b, ℓ]·L[(b, ℓ), l]; G = (L̃ ⊗ φ_i)ᵀ·Y0.
            let reduced = Tensor<Scalar>(shape: [n, dl]) { out in
                left.withUnsafeBufferPointer { pl in
                    for b in 0..<n {
                        for l in 0..<dl {
                            var total = 0.0
                            for ell in 0..<c { total += g[b * c + ell] * Double(pl[(b * c + ell) * dl + l]) }
                            out[b * dl + l] = Scalar(total)
                        }
                    }
                }
            }
            gradient = product(outer(reduced, phiL, envFirst: true), y0, transposeA: true, transposeB: false)
        } else {
            // Contract B from the left: T = X0·B with B viewed as [D_l·d, rest].
            let x0 = outer(left, phiL, envFirst: true)                // [n, D_l·d]
            let view = merged.reshaped([dl * d, merged.count / (dl * d)])
            let t = product(x0, view, transposeA: false, transposeB: false)
            let width = t.shape[1]
            t.withUnsafeBufferPointer { pt in
                right.withUnsafeBufferPointer { pr in
                    phiR.withUnsafeBufferPointer { f in
                        for b in 0..<n {
                            let row = pt.baseAddress! + b * width
                            let fb = f.baseAddress! + b * d
                            for ell in 0..<c {
                                var total = 0.0
                                for tt in 0..<d {
                                    // The [D_r] block of T that meets R[b] for (t, ℓ).
                                    let block: UnsafePointer<Scalar>
                                    let env: UnsafePointer<Scalar>
                                    if k == i { block = row + (ell * d + tt) * dr; env = pr.baseAddress! + b * dr }
                                    else if k == i + 1 { block = row + (tt * c + ell) * dr; env = pr.baseAddress! + b * dr }
                                    else { block = row + tt * dr; env = pr.baseAddress! + (b * c + ell) * dr }
                                    var inner = 0.0
                                    for r in 0..<dr { inner += Double(block[r]) * Double(env[r]) }
                                    total += Double(fb[tt]) * inner
                                }
                                logits[b * c + ell] = total
                            }
                        }
                    }
                }
            }
            crossEntropy()
            if k == i {
                // G[(l, s, ℓ), (t, r)] = Σ_b X0[b, (l, s)]·g[b, ℓ]·Y0[b, (t, r)].
                let x = Tensor<Scalar>(shape: [n, dl * d * c]) { out in
                    x0.withUnsafeBufferPointer { px in
                        for b in 0..<n {
                            for a in 0..<(dl * d) {
                                for ell in 0..<c { out[(b * dl * d + a) * c + ell] = px[b * dl * d + a] * Scalar(g[b * c + ell]) }
                            }
                        }
                    }
                }
                gradient = product(x, outer(right, phiR, envFirst: false), transposeA: true, transposeB: false)
            } else {
                // Y[b, (t, (ℓ), r)]: g folded into the right factor (with the label core or the environment).
                let y = Tensor<Scalar>(shape: [n, columns]) { out in
                    right.withUnsafeBufferPointer { pr in
                        phiR.withUnsafeBufferPointer { f in
                            for b in 0..<n {
                                for tt in 0..<d {
                                    let fs = Double(f[b * d + tt])
                                    if k == i + 1 {
                                        for ell in 0..<c {
                                            let w = fs * g[b * c + ell]
                                            for r in 0..<dr { out[b * columns + (tt * c + ell) * dr + r] = Scalar(w * Double(pr[b * dr + r])) }
                                        }
                                    } else {
                                        for r in 0..<dr {
                                            var total = 0.0
                                            for ell in 0..<cR { total += (cR > 1 ? g[b * c + ell] : 1) * Double(pr[(b * cR + ell) * dr + r]) }
                                            out[b * columns + tt * dr + r] = Scalar(fs * total)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                // With neither site nor the right environment labelled, the label is left of the pair.
                precondition(k == i + 1 || cR > 1, "label site \(k) unexpectedly left of pair (\(i), \(i + 1))")
                gradient = product(x0, y, transposeA: true, transposeB: false)
            }
        }
        precondition(gradient.shape == [m, columns], "gradient \(gradient.shape) for merged \(merged.shape)")
        if finite && !gradient.isFinite { finite = false }
        return MergedEvaluation(loss: loss, correct: correct, gradient: gradient, finite: finite)
    }

    // MARK: - Diagnostics (tests)

    /// The merged tensor of pair (i, i+1), the batch loss and its gradient with respect to it,
    /// with environments contracted afresh from the current cores (no canonical form needed).
    func mergedLossAndGradient(pair i: Int, features: Tensor<Scalar>, labels: [Int], batch: [Int])
        -> (merged: Tensor<Scalar>, loss: Double, gradient: Tensor<Scalar>)
    {
        let n = batch.count
        let phi = gather(features, batch: batch)
        var left = Tensor<Scalar>(shape: [n, 1], repeating: 1)
        for j in 0..<i { left = extendLeft(left, site: j, phi: phi[j]) }
        var right = Tensor<Scalar>(shape: [n, 1], repeating: 1)
        for j in stride(from: model.siteCount - 1, through: i + 2, by: -1) { right = extendRight(right, site: j, phi: phi[j]) }
        let merged = merge(pair: i)
        let e = lossAndGradient(merged: merged, pair: i, left: left, right: right, phi: phi, labels: batch.map { labels[$0] })
        return (merged, e.loss, e.gradient)
    }

    /// Merges pair (i, i+1) and splits it again without an update (tests: the function must not change).
    func resplit(pair i: Int, movingRight: Bool) throws {
        var state = BatchState(n: 0)
        try split(merge(pair: i), pair: i, movingRight: movingRight, state: &state)
    }
}
