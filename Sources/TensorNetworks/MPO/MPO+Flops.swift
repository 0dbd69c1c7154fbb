import TensorCore

extension MPO {
    /// Floating-point operations (multiply-adds × 2) of ``denseContraction(cut:)`` at ``denseCut``.
    public var contractionFlops: Double { contractionFlops(cut: denseCut) }

    /// Floating-point operations of ``coreGradients(matrixGradient:contraction:)`` after a
    /// contraction at ``denseCut``.
    public var coreGradientFlops: Double { coreGradientFlops(cut: denseCut) }

    /// The flops of contracting the chain cut at bond `cut`: the left environments
    /// (`2·Π_{j<k} p_j·|A^k|` each), the right environments (`2·|A^k|·Π_{j>k} p_j` each) and, when
    /// both halves hold cores, their product `2·Π p·D_cut`.
    public func contractionFlops(cut: Int) -> Double {
        let (before, after) = modeProducts
        var total = 0.0
        for (k, core) in cores.enumerated() {
            total += 2 * Double(core.count) * (k < cut ? before[k] : after[k])
        }
        return total + halvesProductFlops(cut: cut)
    }

    /// The flops of the core gradients after a contraction cut at bond `cut`: the matrix
    /// gradient times each half (when both hold cores), then per core one product for its
    /// gradient and, except at the outer ends, one to carry the gradient on.
    public func coreGradientFlops(cut: Int) -> Double {
        let (before, after) = modeProducts
        var total = 2 * halvesProductFlops(cut: cut)
        for (k, core) in cores.enumerated() {
            let product = 2 * Double(core.count) * (k < cut ? before[k] : after[k])
            let outerEnd = k < cut ? k == 0 : k == siteCount - 1
            total += outerEnd ? product : 2 * product
        }
        return total
    }

    /// `Π_{j<k} p_j` and `Π_{j>k} p_j` for every core `k` (`p_j = dIn_j·dOut_j`).
    private var modeProducts: (before: [Double], after: [Double]) {
        let physical = cores.map { Double($0.shape[1] * $0.shape[2]) }
        var before = [Double](repeating: 1, count: siteCount), after = before
        for k in 1..<Swift.max(siteCount, 1) { before[k] = before[k - 1] * physical[k - 1] }
        for k in stride(from: siteCount - 2, through: 0, by: -1) { after[k] = after[k + 1] * physical[k + 1] }
        return (before, after)
    }

    /// `2·Π p·D_cut` when the cut leaves cores on both sides, else 0.
    private func halvesProductFlops(cut: Int) -> Double {
        guard cut > 0 && cut < siteCount else { return 0 }
        let physical = cores.reduce(1.0) { $0 * Double($1.shape[1] * $1.shape[2]) }
        return 2 * physical * Double(cores[cut].shape[0])
    }
}
