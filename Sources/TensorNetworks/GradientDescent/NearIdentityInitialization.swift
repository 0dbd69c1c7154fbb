import TensorCore

/// TorchMPS's initialization of an MPS classifier: every core is the identity on its bond legs
/// plus i.i.d. normal noise of a tiny standard deviation, so that at initialization the network
/// passes its boundary vector through unchanged and every class gets the same output.
///
/// For a feature map whose first component is the constant 1 (``FeatureMap/polynomial(degree:)``,
/// φ(x) = [1, x, …]), the identity sits on the physical index s = 0:
///
///     A_j[l, s, r] = δ_{s0}·δ_{lr} + σ·ε,   A_label[l, s, ℓ, r] = δ_{s0}·δ_{lr} + σ·ε   (every class ℓ),
///
/// so that Σ_s φ_s(x)·A_j[:, s, :] = I + O(σ) for every input: the product over any number of sites
/// stays of order 1, whatever the image. (δ_{lr} on a non-square core is the rectangular identity,
/// `torch.eye(D_l, D_r)`: the boundary cores pick bond index 0.)
///
/// TorchMPS uses φ(x) = [x, 1 − x] and builds each site's transfer matrix as a trainable bias
/// matrix (initialized to the identity) plus Σ_s φ_s(x)·B_s with B ~ N(0, σ²) (`MPS` with
/// `use_bias`; its older `random_eye` writes the identity on every physical index instead): in
/// both, Σ_s φ_s·A_s = I + O(σ), the same function as this initialization in the [1, x] basis
/// (A'_0 = bias + B_1, A'_1 = B_0 − B_1). The parametrization differs — three trainable tensors
/// per site there, two here — and with it the steps Adam takes. Its label core ("random_eye",
/// no physical leg) is the identity for every class, as here.
///
/// At initialization all logits are equal (to 1 + O(σ)); the label core receives a gradient at
/// once, the other cores only through the O(σ) differences between classes until the label core
/// has moved — the behaviour of TorchMPS's own training.
public struct NearIdentityInitialization: Sendable, Hashable {
    /// σ, the standard deviation of the noise (TorchMPS's `init_std`, default 1e-9).
    public var noiseStandardDeviation: Double

    public init(noiseStandardDeviation: Double = 1e-9) {
        precondition(noiseStandardDeviation >= 0, "noise standard deviation must be ≥ 0, got \(noiseStandardDeviation)")
        self.noiseStandardDeviation = noiseStandardDeviation
    }

    /// Core shapes of a uniform-D MPS with the label leg on `labelSite`: `[1, d, D]` (or
    /// `[1, d, C, D]` when the label sits on site 0), `[D, d, D]` in the bulk, `[D, d, C, D]` at
    /// the label site, `[D, d, 1]` at the end.
    public static func shapes(siteCount: Int, bondDimension: Int, physical d: Int, labelCount: Int, labelSite: Int) -> [[Int]] {
        precondition(siteCount >= 2 && labelSite >= 0 && labelSite < siteCount,
                     "label site \(labelSite) outside 0..<\(siteCount) (an MPS classifier needs at least two sites)")
        return (0..<siteCount).map { j in
            let dl = j == 0 ? 1 : bondDimension
            let dr = j == siteCount - 1 ? 1 : bondDimension
            return j == labelSite ? [dl, d, labelCount, dr] : [dl, d, dr]
        }
    }

    /// The parameter count of that MPS: Σ_j D_j·d·D_{j+1}, times C at the label site.
    public static func parameterCount(siteCount: Int, bondDimension: Int, physical d: Int, labelCount: Int, labelSite: Int) -> Int {
        shapes(siteCount: siteCount, bondDimension: bondDimension, physical: d, labelCount: labelCount, labelSite: labelSite)
            .reduce(0) { $0 + $1.reduce(1, *) }
    }

    /// The initialized classifier (uniform bond dimension D, open boundaries).
    ///
    /// - Precondition: the feature map's first component is the constant 1 (the identity must sit
    ///   on a constant feature for the product to stay of order 1).
    public func mps<Scalar: BLASScalar>(
        _: Scalar.Type = Scalar.self, siteCount: Int, bondDimension: Int, labelCount: Int, labelSite: Int,
        featureMap: FeatureMap, using rng: inout Philox
    ) -> MPSClassifier<Scalar> {
        let probe = featureMap.siteFeatures(Tensor<Double>(shape: [1, 2], scalars: [0.3, 0.7]), as: Double.self)
        precondition(probe[0, 0, 0] == 1 && probe[1, 0, 0] == 1,
                     "near-identity initialization needs φ₀(x) = 1, got the \(featureMap) map")
        let d = featureMap.dimension
        let sigma = Scalar(noiseStandardDeviation)
        let cores = Self.shapes(siteCount: siteCount, bondDimension: bondDimension, physical: d,
                                labelCount: labelCount, labelSite: labelSite).map { shape in
            var core = sigma > 0
                ? Tensor<Scalar>.randomNormal(shape: shape, mean: 0, standardDeviation: sigma, using: &rng)
                : Tensor<Scalar>(zeros: shape)
            let dl = shape[0], dr = shape.last!
            let classes = shape.count == 4 ? shape[2] : 1
            core.withUnsafeMutableBufferPointer { a in
                // A[l, 0, (ℓ,) r] += δ_{lr}: offset of (l, s = 0, ℓ, r) is ((l·d + 0)·C + ℓ)·D_r + r.
                for l in 0..<Swift.min(dl, dr) {
                    for c in 0..<classes { a[(l * d * classes + c) * dr + l] += 1 }
                }
            }
            return core
        }
        return MPSClassifier(cores: cores, labelSite: labelSite, labelCount: labelCount, featureMap: featureMap)
    }
}
