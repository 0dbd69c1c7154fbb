import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rank regularization (Barratt et al., Sec. 5): a diagonal "rank regularizer" on every internal
/// bond of an MPS, whose diagonal is a shifted sigmoid of a learnable *soft bond dimension*.
///
/// On bond i (between cores i − 1 and i, i = 1…L−1) with soft dimension s_i, the k-th diagonal
/// entry (k = 1…D_max) is
///
///     m_{i,k} = σ((s_i − k + 1/2)/τ),
///
/// so entries with k well below s_i pass (≈ 1) and those above are masked (≈ 0). The masked model
/// is f = A₀ M₁ A₁ M₂ … A_{L−1}; the mask of bond i is absorbed into the right leg of core i − 1
/// for the forward pass, and the chain rule gives ∂/∂A and ∂/∂s.
///
/// **Penalty**: the soft parameter count P(s) = Σ_j s_j·d·s_{j+1} (times C on the label core;
/// s₀ = s_L = 1), normalized by the count at D_max and weighted: λ·P(s)/P(D_max).
///
/// **Inference**: each bond is truncated to D_i = clamp(round(s_i), 1, D_max) and its remaining
/// diagonal absorbed into core i − 1 (``absorbed(into:)``), so evaluation costs no more than an
/// unregularized MPS of those dimensions. That model equals the masked model with the inference
/// masks (``inferenceMasks()``: m_{i,k} for k ≤ D_i, 0 beyond).
public struct RankRegularizer: Sendable {
    public let maxBondDimension: Int
    /// τ, the sigmoid's width in units of bond index.
    public var sharpness: Double
    /// λ, the weight of the normalized soft parameter count in the loss.
    public var penaltyWeight: Double
    /// s_i for bonds i = 1…L−1, shape [L − 1] (a tensor so that Adam updates it like a core).
    public var softDimensions: Tensor<Double>

    public init(bondCount: Int, maxBondDimension: Int, sharpness: Double = 0.5, penaltyWeight: Double,
                initialSoftDimension: Double? = nil) {
        self.maxBondDimension = maxBondDimension
        self.sharpness = sharpness
        self.penaltyWeight = penaltyWeight
        self.softDimensions = Tensor(shape: [bondCount], repeating: initialSoftDimension ?? Double(maxBondDimension))
    }

    public var bondCount: Int { softDimensions.count }

    /// The training masks: masks[i − 1][k − 1] = σ((s_i − k + 1/2)/τ).
    public func masks() -> [[Double]] {
        softDimensions.scalars.map { s in (1...maxBondDimension).map { k in sigmoid((s - Double(k) + 0.5) / sharpness) } }
    }

    /// The rounded bond dimensions D_i = clamp(round(s_i), 1, D_max), for bonds 1…L−1.
    public func hardDimensions() -> [Int] {
        softDimensions.scalars.map { Swift.min(maxBondDimension, Swift.max(1, Int($0.rounded()))) }
    }

    /// The training masks with the entries beyond each rounded dimension set to zero.
    public func inferenceMasks() -> [[Double]] {
        zip(masks(), hardDimensions()).map { m, dim in m.enumerated().map { $0.offset < dim ? $0.element : 0 } }
    }

    /// Cores with bond i's diagonal multiplied into the right leg of core i − 1.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func applying<Scalar: BLASScalar>(masks: [[Double]], to cores: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        precondition(masks.count == cores.count - 1, "\(masks.count) masks for \(cores.count) cores")
        var out = cores
        for j in 0..<(cores.count - 1) {
            let dr = cores[j].shape.last!
            precondition(masks[j].count >= dr, "bond \(j + 1) has dimension \(dr), mask \(masks[j].count)")
            let m = masks[j].map { Scalar($0) }
            out[j].withUnsafeMutableBufferPointer { a in
                for i in 0..<a.count { a[i] *= m[i % dr] }
            }
        }
        return out
    }

    /// The masked cores for a training step.
    public func maskedCores<Scalar: BLASScalar>(_ cores: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        Self.applying(masks: masks(), to: cores)
    }

    /// From ∂L/∂Ã (gradients with respect to the masked cores), the gradients with respect to
    /// the raw cores (overwritten in place) and the soft dimensions:
    /// ∂L/∂A_j[…, r] = ∂L/∂Ã_j[…, r]·m_{j+1, r},
    /// ∂L/∂s_i = Σ_k (Σ_{…} ∂L/∂Ã_{i−1}[…, k]·A_{i−1}[…, k])·m_{i,k}(1 − m_{i,k})/τ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backpropagate<Scalar: BLASScalar>(
        cores: [Tensor<Scalar>], gradients: inout [Tensor<Scalar>]
    ) -> Tensor<Double> {
        let m = masks()
        var ds = [Double](repeating: 0, count: bondCount)
        for j in 0..<bondCount {
            let dr = cores[j].shape.last!
            var perIndex = [Double](repeating: 0, count: dr)
            let mj = m[j]
            cores[j].withUnsafeBufferPointer { a in
                gradients[j].withUnsafeMutableBufferPointer { g in
                    for i in 0..<a.count {
                        let r = i % dr
                        perIndex[r] += Double(g[i]) * Double(a[i])
                        g[i] *= Scalar(mj[r])
                    }
                }
            }
            for r in 0..<dr { ds[j] += perIndex[r] * mj[r] * (1 - mj[r]) / sharpness }
        }
        return Tensor(shape: [bondCount], scalars: ds)
    }

    /// The penalty λ·P(s)/P(D_max) and its gradient with respect to s, for an MPS with physical
    /// dimension d and C labels on core 0.
    public func penalty(physicalDimension d: Int, labelCount c: Int) -> (value: Double, gradient: Tensor<Double>) {
        let s = [1.0] + softDimensions.scalars + [1.0]
        let full = [1.0] + [Double](repeating: Double(maxBondDimension), count: bondCount) + [1.0]
        func count(_ dims: [Double]) -> Double {
            var total = 0.0
            for j in 0..<(dims.count - 1) { total += dims[j] * Double(d) * dims[j + 1] * (j == 0 ? Double(c) : 1) }
            return total
        }
        let scale = penaltyWeight / count(full)
        var gradient = [Double](repeating: 0, count: bondCount)
        for i in 1...bondCount {
            // s_i appears in core i − 1 (with s_{i−1}) and core i (with s_{i+1}).
            let left = s[i - 1] * Double(d) * (i - 1 == 0 ? Double(c) : 1)
            let right = s[i + 1] * Double(d)
            gradient[i - 1] = scale * (left + right)
        }
        return (scale * count(s), Tensor(shape: [bondCount], scalars: gradient))
    }

    /// Keeps every s_i in [1, D_max] after an update.
    public mutating func project() {
        let upper = Double(maxBondDimension)
        softDimensions.mapInPlace { Swift.min(upper, Swift.max(1, $0)) }
    }

    /// The inference model: every bond truncated to its rounded dimension, with the remaining
    /// diagonal entries absorbed into the core on its left. Its outputs equal those of the masked
    /// model with ``inferenceMasks()``.
    public func absorbed<Scalar: BLASScalar>(into mps: MPSClassifier<Scalar>) -> MPSClassifier<Scalar> {
        precondition(mps.labelSite == 0 && mps.siteCount == bondCount + 1, "regularizer has \(bondCount) bonds, MPS \(mps.siteCount) sites")
        let dims = [1] + hardDimensions().enumerated().map { Swift.min($0.element, mps.bondDimensions[$0.offset + 1]) } + [1]
        let m = masks()
        var cores = [Tensor<Scalar>]()
        for j in 0..<mps.siteCount {
            let core = mps.cores[j]
            let dl = core.shape[0], dr = core.shape.last!
            let middle = core.count / (dl * dr)   // d (or d·C on the label core)
            let nl = dims[j], nr = dims[j + 1]
            let mask = j < bondCount ? m[j].map { Scalar($0) } : [Scalar(1)]
            var shape = core.shape
            shape[0] = nl
            shape[shape.count - 1] = nr
            let truncated = Tensor<Scalar>(shape: shape) { out in
                core.withUnsafeBufferPointer { a in
                    for l in 0..<nl {
                        for k in 0..<middle {
                            for r in 0..<nr { out[(l * middle + k) * nr + r] = a[(l * middle + k) * dr + r] * mask[r] }
                        }
                    }
                }
            }
            cores.append(truncated)
        }
        return MPSClassifier(cores: cores, labelSite: 0, labelCount: mps.labelCount, featureMap: mps.featureMap)
    }
}

@inline(__always) func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
