import TensorCore

extension MPO {
    /// Floating-point operations (multiply-adds × 2) of contracting the chain to the dense
    /// matrix (``denseMatrix()``), core by core from the left.
    public var contractionFlops: Double {
        var rows = 1.0, total = 0.0
        for core in cores {
            total += 2 * rows * Double(core.count)
            rows *= Double(core.shape[1] * core.shape[2])
        }
        return total
    }
}

extension MPO {
    /// Floating-point operations of ``coreGradients(matrixGradient:leftEnvironments:)``.
    public var coreGradientFlops: Double {
        var prefix = 1.0, total = 0.0
        for (k, core) in cores.enumerated() {
            prefix *= Double(core.shape[1] * core.shape[2])
            let product = 2 * prefix * Double(core.shape[0] * core.shape[3])
            total += k > 0 ? 2 * product : product
        }
        return total
    }
}
