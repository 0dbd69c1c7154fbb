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
/// the constant 1. With φ(x) = [cos(πx/2), sin(πx/2)] it picks cos(πx/2), which is 0 on ink, so
/// the initial output is multiplied by Π cos(πx_j/2) over the copy sites: on MNIST 14×14 with
/// 8 dense sites that product has median 1e-19 and is below float32's range (or exactly 0) for
/// more than 5% of the images. ``CopyNodeVector/balanced`` = (1, 1) gives v·φ = cos + sin ∈ [1, √2],
/// equal to 1 on both background and full ink, so no copy site can zero the output (the product
/// has median ≈ 2e4 on MNIST — large, but a scale Adam removes in tens of steps).
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

/// The fixed vector v of the copy nodes' input legs.
public enum CopyNodeVector: String, Codable, Sendable, CaseIterable {
    /// v = (1, 0), the paper's choice: v·φ(x) = cos(πx/2), zero on ink.
    case paper
    /// v = (1, 1): v·φ(x) = cos(πx/2) + sin(πx/2) ∈ [1, √2], 1 on background and on full ink.
    case balanced

    public var components: [Double] {
        switch self {
        case .paper: return [1, 0]
        case .balanced: return [1, 1]
        }
    }
}
