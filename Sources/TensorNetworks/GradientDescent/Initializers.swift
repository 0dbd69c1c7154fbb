import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The variance rule of a deep-learning initializer for a weight matrix with `fanIn` inputs and
/// `fanOut` outputs — the one place these rules live. The normal variants draw with variance σ²;
/// the uniform variants draw from U(−√(3σ²), +√(3σ²)), which has the same variance.
public enum VarianceTarget: String, Codable, Sendable, CaseIterable {
    /// Glorot & Bengio (2010): σ² = 2/(fan_in + fan_out); uniform limit √(6/(fan_in + fan_out)).
    case glorot
    /// He et al. (2015): σ² = 2/fan_in; uniform limit √(6/fan_in).
    case he
    /// LeCun et al. (1998/2012): σ² = 1/fan_in; uniform limit √(3/fan_in).
    case lecun

    /// σ² for a matrix of `fanIn` inputs and `fanOut` outputs.
    public func variance(fanIn: Int, fanOut: Int) -> Double {
        switch self {
        case .glorot: return 2.0 / Double(fanIn + fanOut)
        case .he: return 2.0 / Double(fanIn)
        case .lecun: return 1.0 / Double(fanIn)
        }
    }

    /// The half-width of the uniform variant, √(3σ²) (written as √(6/(fan_in + fan_out)) for
    /// Glorot, Keras' form, so that the limit is the same double Keras computes).
    public func uniformLimit(fanIn: Int, fanOut: Int) -> Double {
        switch self {
        case .glorot: return (6.0 / Double(fanIn + fanOut)).squareRoot()
        case .he: return (6.0 / Double(fanIn)).squareRoot()
        case .lecun: return (3.0 / Double(fanIn)).squareRoot()
        }
    }

    /// A `[fanIn, fanOut]` matrix drawn from the uniform variant (for Glorot, Keras' default
    /// `glorot_uniform` for `Dense`): one `Tensor.randomUniform` draw of fanIn·fanOut values.
    public func uniformMatrix(fanIn: Int, fanOut: Int, using rng: inout Philox) -> Tensor<Double> {
        let limit = uniformLimit(fanIn: fanIn, fanOut: fanOut)
        return Tensor.randomUniform(shape: [fanIn, fanOut], in: -limit..<limit, using: &rng)
    }

    /// log σ² for fan_in = e^logFanIn: ``variance(fanIn:fanOut:)`` in log space (an MPS over
    /// 196 pixels with d = 2 has fan_in = 2^196, beyond any `Int` or `Double`).
    public func logVariance(logFanIn: Double, fanOut: Int) -> Double {
        switch self {
        case .glorot:
            let a = logFanIn, b = log(Double(fanOut))
            let logSum = Swift.max(a, b) + log1p(exp(-abs(a - b)))
            return log(2.0) - logSum
        case .he: return log(2.0) - logFanIn
        case .lecun: return -logFanIn
        }
    }
}

/// Probabilistic initialization of a tensor network matched on its contracted matrix
/// (Barratt et al., Sec. 2, eq. 9).
///
/// If every element of the V cores is drawn i.i.d. with mean 0 and variance σ², an element of the
/// contracted matrix W is a sum of D^E products of V such elements, so Var(W) = D^E·σ^{2V}. To give
/// W the variance σ²_target of a deep-learning initializer:
///
///     Var(A) = (σ²_target / D^E)^{1/V},   log Var(A) = (log σ²_target − E·log D) / V.
///
/// For an MPS classifier over L sites (open boundaries, output leg on one core), the matrix W maps
/// the d^L-dimensional product feature space to C classes, so:
/// - **V = L** (every core is a node),
/// - **E = L − 1** (the internal bonds; the boundary bonds have dimension 1 and sum nothing; the
///   physical and label legs are open indices of W, not summed),
/// - **fan_in = d^L** (the dimension of the feature space), **fan_out = C**.
///
/// Feature vectors φ(x) of the trigonometric map have unit norm, so the product state has unit
/// norm too and f = W·Φ has variance σ²_target ≈ 2^{−L}: these initializers give outputs of order
/// 2^{−L/2} by construction (≈ 1e-30 for L = 196) — the scale at which the paper sees a plateau.
public enum MatchedInitializer {
    /// log Var(A) = (log σ²_target − E·log D)/V.
    public static func logCoreVariance(logTargetVariance: Double, bondDimension: Int, nodes: Int, edges: Int) -> Double {
        precondition(nodes >= 1 && edges >= 0 && bondDimension >= 1, "need V ≥ 1, E ≥ 0, D ≥ 1")
        return (logTargetVariance - Double(edges) * log(Double(bondDimension))) / Double(nodes)
    }

    /// An MPS classifier (label on site 0, uniform bond dimension D) whose cores are drawn
    /// N(0, Var(A)) with Var(A) matched to `target` on the whole contracted W (V = L, E = L − 1,
    /// fan_in = d^L, fan_out = C).
    public static func mps<Scalar: BLASScalar>(
        _: Scalar.Type = Scalar.self, target: VarianceTarget, siteCount: Int, bondDimension: Int,
        labelCount: Int, featureMap: FeatureMap, using rng: inout Philox
    ) -> MPSClassifier<Scalar> {
        let d = featureMap.dimension
        let logTarget = target.logVariance(logFanIn: Double(siteCount) * log(Double(d)), fanOut: labelCount)
        let logVar = logCoreVariance(logTargetVariance: logTarget, bondDimension: bondDimension,
                                     nodes: siteCount, edges: siteCount - 1)
        let std = Scalar(exp(logVar / 2))
        let cores = uniformShapes(siteCount: siteCount, bondDimension: bondDimension, physical: d, labelCount: labelCount)
            .map { Tensor<Scalar>.randomNormal(shape: $0, mean: 0, standardDeviation: std, using: &rng) }
        return MPSClassifier(cores: cores, labelSite: 0, labelCount: labelCount, featureMap: featureMap)
    }

    /// Core shapes of a uniform-D MPS with the label leg on site 0: [1, d, C, D], [D, d, D]…, [D, d, 1].
    public static func uniformShapes(siteCount: Int, bondDimension: Int, physical d: Int, labelCount: Int) -> [[Int]] {
        precondition(siteCount >= 2, "an MPS classifier needs at least two sites")
        return (0..<siteCount).map { j in
            let dl = j == 0 ? 1 : bondDimension
            let dr = j == siteCount - 1 ? 1 : bondDimension
            return j == 0 ? [dl, d, labelCount, dr] : [dl, d, dr]
        }
    }
}

extension MPSClassifier {
    /// The closed-form parameter count of a uniform-D MPS with the label leg on an end core:
    /// C·d·D + (L − 2)·d·D² + d·D; for L = 196, d = 2, C = 10 that is 388D² + 22D.
    public static func uniformParameterCount(siteCount l: Int, bondDimension D: Int, physical d: Int, labelCount c: Int) -> Int {
        c * d * D + (l - 2) * d * D * D + d * D
    }
}

/// tn4ml's initialization of an MPS classifier (`MPS_initialize` with `randn(σ)`,
/// `add_identity=True`, open boundaries, `canonical_center` = the label site):
/// every entry N(0, σ²); on every core but the label core the identity is added to the slice of
/// physical index 0 (A[l, 0, r] += δ_lr, rectangular where D_l ≠ D_r), so that with a feature map
/// whose first component is the constant 1 the chain starts close to passing its environment
/// through; the first core keeps only right index 0 and the last only left index 0 (tn4ml's
/// "obc" mask); then the MPS is brought to mixed canonical form around `center` (default: the
/// label site) and normalized there (‖W‖ = 1).
///
/// Bonds are D_j = min(D, d^j, d^(L−j)) (``MPSClassifier/cappedBondDimensions(siteCount:bondDimension:physicalDimension:)``):
/// tn4ml's default "even" shapes start at D everywhere, but its first canonicalization reduces
/// the edge bonds to exactly these.
public enum TN4MLInitializer {
    public static func mps<Scalar: BLASScalar>(
        _: Scalar.Type = Scalar.self, siteCount: Int, bondDimension: Int, labelSite: Int, labelCount: Int,
        featureMap: FeatureMap, standardDeviation: Double, center: Int? = nil, using rng: inout Philox
    ) throws -> MPSClassifier<Scalar> {
        precondition(siteCount >= 2 && labelSite >= 0 && labelSite < siteCount, "label site \(labelSite) of \(siteCount)")
        let d = featureMap.dimension
        let bonds = MPSClassifier<Scalar>.cappedBondDimensions(siteCount: siteCount, bondDimension: bondDimension, physicalDimension: d)
        var cores = [Tensor<Scalar>]()
        for j in 0..<siteCount {
            let (dl, dr) = (bonds[j], bonds[j + 1])
            let shape = j == labelSite ? [dl, d, labelCount, dr] : [dl, d, dr]
            var core = Tensor<Scalar>.randomNormal(shape: shape, mean: 0, standardDeviation: Scalar(standardDeviation), using: &rng)
            core.withUnsafeMutableBufferPointer { a in
                if j != labelSite {
                    for i in 0..<Swift.min(dl, dr) { a[(i * d + 0) * dr + i] += 1 }
                }
                let inner = a.count / (dl * dr)  // d, or d·C on the label core
                if j == 0 {
                    for s in 0..<inner { for r in 1..<Swift.max(dr, 1) { a[s * dr + r] = 0 } }
                }
                if j == siteCount - 1 {
                    for l in 1..<Swift.max(dl, 1) { for s in 0..<inner { a[l * inner + s] = 0 } }
                }
            }
            cores.append(core)
        }
        var mps = MPSClassifier(cores: cores, labelSite: labelSite, labelCount: labelCount, featureMap: featureMap)
        try mps.canonicalize(center: center ?? labelSite)
        mps.normalizeCenter(center ?? labelSite)
        return mps
    }
}
