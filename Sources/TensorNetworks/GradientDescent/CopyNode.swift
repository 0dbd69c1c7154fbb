import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Copy-node initialization of an MPS classifier (Barratt et al., Sec. 3.2).
///
/// Of the V = L nodes, n are *dense* — the node holding the output leg and n − 1 others — and
/// the other L − n are replaced by a copy node on their bond legs times a fixed vector v on their
/// input leg (eq. 11): A_j[l, s, r] = δ_{lr}·v_s (for the last core, whose right bond has
/// dimension 1, A[l, s, 0] = δ_{l0}·v_s). Contracted with φ(x_j), a copy node is the identity on
/// the bond times the number v·φ(x_j), so the whole network equals the n-node dense sub-MPS (its
/// bonds running through the identities; the open end pinned to index 0 by the boundary) times
/// Π_{copy sites} v·φ(x_j). The dense cores are drawn with the matched variance of
/// ``MatchedInitializer`` for V = n, E = n − 1, fan_in = d^n, fan_out = C.
///
/// **The vector v.** The paper takes v = (1, 0), which with the [1, x] map of its ref. [13] picks
/// the constant 1, so the copy nodes are transparent and f = W_dense·Φ_dense exactly. With
/// φ(x) = [cos(πx/2), sin(πx/2)] *no* v is transparent: v·φ(x) = v₀cos(πx/2) + v₁sin(πx/2) cannot
/// be constant on [0, 1]. The network is then the dense sub-MPS times an image-dependent factor
/// g(x) = Π_{copy sites} v·φ(x_j), and because the gradient of every sample's loss is
/// proportional to g(x), the spread of g across images decides how many samples of a batch
/// actually contribute to a step (for log g normal with standard deviation σ (nats), the
/// effective share is e^{−σ²}). Measured on the 15,000 ci training images (2×2-pooled MNIST,
/// 188 copy sites; log₁₀ g, per-image standard deviation):
/// - v = (1, 0) (``paper``): median −16, std 30 decades: most images underflow float32;
/// - v = (1, 1) (``balanced``): median +4.3, std 0.98 decades (effective share ≈ 0.6%, i.e.
///   about 0.2 of a 32-image batch): training is slow and noisy;
/// - v = (1, 0.8) (``damped``): median +1.8, std 0.80 decades; the spread is flat-minimal for
///   v₁ ∈ [0.8, 0.9] (0.80 / 0.77 / 0.79) and v₀ = 1 keeps background pixels exactly transparent.
/// No fixed v removes the spread; ``damped`` is the smallest, and the remaining overall scale is
/// removed by ``calibratingOutputScale(of:features:samples:target:)``.
///
/// **Neither the dense sites nor a per-site v remove it either** (same data, v = (1, 0.8)): g is
/// constant only if every site whose pixel varies is dense, and on 14×14 MNIST that is most of
/// them. Choosing the 7 non-output dense sites to minimize the spread (greedy, covariance-aware)
/// lowers it from 0.78 ± 0.01 decades (random sites, 20 draws) to 0.71; making the n − 1 sites of
/// largest variance dense gives 0.72 / 0.64 / 0.52 / 0.34 / 0.13 decades for n = 8 / 16 / 32 / 64 /
/// 100, but a dense sub-network that large is matched with V ≈ n, i.e. it approaches the matched
/// initializers that plateau (not run); a separate v_j = (1, t_j) per site, fitted to minimize the
/// spread, reaches 0.55. None is a clean fix, so the paper's random rule and one ``damped`` vector
/// stay.
public struct CopyNodeInitialization: Sendable, Hashable {
    /// The sites whose cores are drawn densely; must contain the label site 0.
    public var denseSites: [Int]
    /// The fixed vector v on the input legs of the copy nodes.
    public var vector: CopyNodeVector
    /// The deep-learning variance matched on the dense sub-network.
    public var target: VarianceTarget

    public init(denseSites: [Int], vector: CopyNodeVector, target: VarianceTarget = .glorot) {
        precondition(denseSites.contains(0), "the dense sub-network must hold the output node (site 0)")
        self.denseSites = denseSites.sorted()
        self.vector = vector
        self.target = target
    }

    /// The paper's rule: the output node plus `count − 1` nodes chosen uniformly at random among
    /// the others ("choose V − n nodes at random…, skipping any with an output edge").
    public static func randomDenseSites(count: Int, siteCount: Int, using rng: inout Philox) -> [Int] {
        precondition(count >= 1 && count <= siteCount, "dense count \(count) outside 1…\(siteCount)")
        let others = rng.permutation(siteCount - 1).prefix(count - 1).map { $0 + 1 }
        return ([0] + others).sorted()
    }

    /// The output node and the `count − 1` sites next to it (0, 1, …, count − 1).
    public static func leadingDenseSites(count: Int) -> [Int] { Array(0..<count) }

    /// The log-variance of the dense cores: V = n, E = n − 1, fan_in = d^n, fan_out = C.
    public func logCoreVariance(bondDimension: Int, physical d: Int, labelCount: Int) -> Double {
        let n = denseSites.count
        let logTarget = target.logVariance(logFanIn: Double(n) * log(Double(d)), fanOut: labelCount)
        return MatchedInitializer.logCoreVariance(logTargetVariance: logTarget, bondDimension: bondDimension,
                                                  nodes: n, edges: n - 1)
    }

    /// The initialized MPS (label on site 0, uniform bond dimension D).
    public func mps<Scalar: BLASScalar>(
        _: Scalar.Type = Scalar.self, siteCount: Int, bondDimension: Int, labelCount: Int,
        featureMap: FeatureMap, using rng: inout Philox
    ) -> MPSClassifier<Scalar> {
        let d = featureMap.dimension
        precondition(d == 2, "copy-node vectors are defined for d = 2")
        precondition(denseSites.allSatisfy { $0 >= 0 && $0 < siteCount }, "dense sites \(denseSites) outside 0..<\(siteCount)")
        let std = Scalar(exp(logCoreVariance(bondDimension: bondDimension, physical: d, labelCount: labelCount) / 2))
        let dense = Set(denseSites)
        let v = vector.components
        let shapes = MatchedInitializer.uniformShapes(siteCount: siteCount, bondDimension: bondDimension,
                                                      physical: d, labelCount: labelCount)
        let cores: [Tensor<Scalar>] = shapes.enumerated().map { j, shape in
            if dense.contains(j) {
                return Tensor<Scalar>.randomNormal(shape: shape, mean: 0, standardDeviation: std, using: &rng)
            }
            // Copy node ⊗ v: A[l, s, r] = δ_{lr}·v_s.
            let dl = shape[0], dr = shape[2]
            var core = Tensor<Scalar>(zeros: shape)
            core.withUnsafeMutableBufferPointer { a in
                // δ_{lr} on the bond legs; the last core's right bond (dimension 1) pins l = 0.
                for l in 0..<Swift.min(dl, dr) {
                    for s in 0..<d { a[(l * d + s) * dr + l] = Scalar(v[s]) }
                }
            }
            return core
        }
        return MPSClassifier(cores: cores, labelSite: 0, labelCount: labelCount, featureMap: featureMap)
    }
}

extension CopyNodeInitialization {
    /// The label core rescaled so that the median over `samples` of max_ℓ |f^ℓ(x)| equals `target`
    /// (a data-dependent calibration of the one free overall scale, in the spirit of LSUV).
    ///
    /// Copy-node initialization matches the *dense sub-network* to σ²_target, but the copy sites
    /// multiply each image's output by g(x) = Π v·φ(x_j), whose typical size on real data is far
    /// from 1 (≈ 10^1.8 for ``CopyNodeVector/damped`` on MNIST). Dividing the label core by the
    /// median of that factor restores the intended output scale (`target`, e.g. the dense
    /// sub-network's σ_target) on typical images; the per-image spread of g is unchanged.
    /// The logits are computed log-scaled in `Double`, so the calibration works whatever the scale.
    /// - Precondition: `samples` is non-empty; the label core is core 0.
    /// - Returns: the model and the factor applied to core 0.
    public static func calibratingOutputScale<Scalar: BLASScalar>(
        of model: MPSClassifier<Scalar>, features: Tensor<Scalar>, samples: [Int], target: Double
    ) -> (model: MPSClassifier<Scalar>, factor: Double) {
        precondition(!samples.isEmpty && target > 0, "calibration needs samples and a positive target")
        let c = model.labelCount
        let logits = MPSGradientEngine<Scalar>(
            bondDimensions: model.bondDimensions, physicalDimension: model.physicalDimension, labelCount: c,
            batchCapacity: Swift.min(256, samples.count), numerics: .logscaled)
            .logits(cores: model.cores, features: features, samples: samples)
        let magnitudes = stride(from: 0, to: logits.count, by: c)
            .map { i in logits[i..<(i + c)].map { abs($0) }.max()! }.filter { $0 > 0 && $0.isFinite }.sorted()
        guard !magnitudes.isEmpty else { return (model, 1) }
        let factor = target / magnitudes[magnitudes.count / 2]
        var out = model
        let f = Scalar(factor)
        out.cores[0].mapInPlace { $0 * f }
        return (out, factor)
    }
}

/// The fixed vector v of the copy nodes' input legs.
public enum CopyNodeVector: String, Codable, Sendable, CaseIterable {
    /// v = (1, 0), the paper's choice: v·φ(x) = cos(πx/2), zero on ink.
    case paper
    /// v = (1, 1): v·φ(x) = cos(πx/2) + sin(πx/2) ∈ [1, √2], 1 on background and on full ink.
    case balanced
    /// v = (1, 0.8): 1 on background; the v₁ that (within [0.8, 0.9], where the criterion is flat)
    /// minimizes the per-image spread of Π v·φ on 2×2-pooled MNIST (see the type's notes).
    case damped

    public var components: [Double] {
        switch self {
        case .paper: return [1, 0]
        case .balanced: return [1, 1]
        case .damped: return [1, 0.8]
        }
    }
}
