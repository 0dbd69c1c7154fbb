#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The von Neumann entanglement entropy of a bond from its singular values:
///
///     S = − Σᵢ λ̂ᵢ² · log λ̂ᵢ²,   λ̂ᵢ = λᵢ / √(Σⱼ λⱼ²)
///
/// in nats. The values are normalized first, so any overall scale gives the same entropy;
/// zero values contribute nothing (0·log 0 = 0). A product bond (one non-zero value) has S = 0;
/// D equal values give S = log D, the maximum for D values.
///
/// (Jahromi & Orús print `S = Σ λ² log λ²` without the minus sign; this is the standard,
/// non-negative definition.)
///
/// - Returns: 0 for an empty or all-zero spectrum.
public func entanglementEntropy(singularValues: [Double]) -> Double {
    let total = singularValues.reduce(0) { $0 + $1 * $1 }
    guard total > 0, total.isFinite else { return 0 }
    var entropy = 0.0
    for value in singularValues {
        let p = value * value / total
        if p > 0 { entropy -= p * log(p) }
    }
    return Swift.max(entropy, 0)
}
