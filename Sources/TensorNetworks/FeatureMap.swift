import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local feature map φ: a real input x ∈ [0, 1] → a vector of dimension d, one per site.
///
/// The product state Φ(x) = φ(x₁) ⊗ … ⊗ φ(x_L) is what an MPS is contracted with.
public enum FeatureMap: String, Codable, Sendable, CaseIterable {
    /// φ(x) = [cos(πx/2), sin(πx/2)] (Stoudenmire & Schwab 2016, eq. 3): d = 2, ‖φ(x)‖ = 1;
    /// x = 0 (white) maps to (1, 0) and x = 1 (ink) to (0, 1).
    case trigonometric
    /// φ(x) = [1 − x, x] (TorchMPS's linear map): d = 2, components sum to 1.
    case linear

    /// The local dimension d.
    public var dimension: Int { 2 }

    /// φ(x) as d values.
    @inlinable public func callAsFunction(_ x: Double) -> (Double, Double) {
        switch self {
        case .trigonometric: return (cos(Double.pi / 2 * x), sin(Double.pi / 2 * x))
        case .linear: return (1 - x, x)
        }
    }

    /// The features of a batch in site-major layout: `pixels` is [count, sites] with values in
    /// [0, 1]; the result is [sites, count, d], so that one site's features are contiguous.
    @_specialize(exported: true, where Input == Float, Scalar == Float)
    @_specialize(exported: true, where Input == Double, Scalar == Double)
    public func siteFeatures<Input: BLASScalar, Scalar: BLASScalar>(
        _ pixels: Tensor<Input>, as _: Scalar.Type = Scalar.self
    ) -> Tensor<Scalar> {
        precondition(pixels.rank == 2, "siteFeatures needs [count, sites], got \(pixels.shape)")
        let count = pixels.shape[0], sites = pixels.shape[1], d = dimension
        return Tensor(shape: [sites, count, d]) { out in
            pixels.withUnsafeBufferPointer { x in
                for n in 0..<count {
                    for j in 0..<sites {
                        let (a, b) = self(Double(x[n * sites + j]))
                        out[(j * count + n) * d] = Scalar(a)
                        out[(j * count + n) * d + 1] = Scalar(b)
                    }
                }
            }
        }
    }
}
