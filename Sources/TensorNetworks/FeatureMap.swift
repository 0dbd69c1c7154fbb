import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local feature map φ: a real input x ∈ [0, 1] → a vector of dimension d, one per site.
///
/// The product state Φ(x) = φ(x₁) ⊗ … ⊗ φ(x_L) is what an MPS is contracted with.
///
/// The maps of the papers and of tn4ml's `embeddings` module (the tn4ml class each one matches is
/// named; where tn4ml's formula differs from its documentation, the case says which one it follows):
///
/// | case | φ(x) | d |
/// |---|---|---|
/// | `trigonometric` | [cos(πx/2), sin(πx/2)] | 2 |
/// | `linear` | [1 − x, x] | 2 |
/// | `polynomial(degree: p)` | [1, x, x², …, x^p] | p + 1 |
/// | `fourier(p)` | φ_j = (1/p)·\|Σ_{k<p} exp(2πi·k·((p − 1)x − j)/p)\|, j = 0…p − 1 | p |
/// | `gaussianRBF(centers:gamma:)` | v_j = exp(−γ(x − c_j)²), φ = v/‖v‖ | centers.count |
/// | `legendre(degree: p)` | [P₀(x), P₁(x), …, P_p(x)], Legendre polynomials | p + 1 |
/// | `normalized(map)` | map(x)/‖map(x)‖ (tn4ml's `embed` normalizes every input's product state) | as map |
public enum FeatureMap: Hashable, Codable, Sendable {
    /// φ(x) = [cos(πx/2), sin(πx/2)] (Stoudenmire & Schwab 2016, eq. 3; tn4ml's
    /// `TrigonometricEmbedding(k=1)`): d = 2, ‖φ(x)‖ = 1; x = 0 (white) maps to (1, 0) and
    /// x = 1 (ink) to (0, 1).
    case trigonometric
    /// φ(x) = [1 − x, x] (TorchMPS's linear map): d = 2, components sum to 1.
    case linear
    /// φ(x) = [1, x, …, x^degree] (tn4ml's `PolynomialEmbedding(degree, n=1, include_bias=True)`;
    /// degree 1 is the [1, x] map of Piché's report).
    case polynomial(degree: Int)
    /// tn4ml's `FourierEmbedding(p)`: φ_j(x) = (1/p)·|Σ_{k=0}^{p−1} exp(2πi·k·((p − 1)x − j)/p)|,
    /// a Dirichlet kernel peaked at x = j/(p − 1): φ(j/(p − 1)) is the j-th unit vector.
    case fourier(Int)
    /// A normalized Gaussian radial basis: v_j = exp(−γ(x − c_j)²), φ = v/‖v‖.
    ///
    /// tn4ml's `GaussianRBFEmbedding` computes exp(−γ(x − c_j)) — no square — and then
    /// normalizes, which cancels every dependence on x (the vector is exp(γc)/‖exp(γc)‖ for all
    /// inputs): a constant map. This case is the Gaussian its name and docstring describe.
    case gaussianRBF(centers: [Double], gamma: Double)
    /// [P₀(x), …, P_degree(x)] with the Legendre polynomials (tn4ml's `LegendreEmbedding`).
    case legendre(degree: Int)
    /// φ(x)/‖φ(x)‖: every local vector of unit norm, so the product state Φ(x) has norm 1 — what
    /// tn4ml's `embed` does to every input (it divides Φ(x) by its norm).
    indirect case normalized(FeatureMap)

    /// The local dimension d.
    public var dimension: Int {
        switch self {
        case .trigonometric, .linear: return 2
        case .polynomial(let p), .legendre(let p): return p + 1
        case .fourier(let p): return p
        case .gaussianRBF(let centers, _): return centers.count
        case .normalized(let inner): return inner.dimension
        }
    }

    /// Checks the parameters (degree ≥ 1, p ≥ 2, at least one centre, γ > 0).
    public var isValid: Bool {
        switch self {
        case .trigonometric, .linear: return true
        case .polynomial(let p), .legendre(let p): return p >= 1
        case .fourier(let p): return p >= 2
        case .gaussianRBF(let centers, let gamma): return !centers.isEmpty && gamma > 0 && gamma.isFinite
        case .normalized(let inner): return inner.isValid
        }
    }

    /// φ(x) written to `out[0..<d]`.
    @inlinable public func write(_ x: Double, to out: UnsafeMutablePointer<Double>) {
        switch self {
        case .trigonometric:
            out[0] = cos(Double.pi / 2 * x); out[1] = sin(Double.pi / 2 * x)
        case .linear:
            out[0] = 1 - x; out[1] = x
        case .polynomial(let p):
            var power = 1.0
            for k in 0...p { out[k] = power; power *= x }
        case .fourier(let p):
            let n = Double(p)
            for j in 0..<p {
                var re = 0.0, im = 0.0
                for k in 0..<p {
                    let angle = 2 * Double.pi * Double(k) * ((n - 1) * x - Double(j)) / n
                    re += cos(angle); im += sin(angle)
                }
                out[j] = (re * re + im * im).squareRoot() / n
            }
        case .gaussianRBF(let centers, let gamma):
            var norm = 0.0
            for (j, c) in centers.enumerated() {
                let v = exp(-gamma * (x - c) * (x - c))
                out[j] = v; norm += v * v
            }
            norm = norm.squareRoot()
            for j in 0..<centers.count { out[j] /= norm }
        case .legendre(let p):
            // Bonnet's recursion: (k + 1)P_{k+1} = (2k + 1)x·P_k − k·P_{k−1}.
            out[0] = 1
            if p >= 1 { out[1] = x }
            if p >= 2 {
                for k in 1..<p {
                    let kk = Double(k)
                    out[k + 1] = ((2 * kk + 1) * x * out[k] - kk * out[k - 1]) / (kk + 1)
                }
            }
        case .normalized(let inner):
            inner.write(x, to: out)
            let d = inner.dimension
            var norm = 0.0
            for s in 0..<d { norm += out[s] * out[s] }
            norm = norm.squareRoot()
            if norm > 0 { for s in 0..<d { out[s] /= norm } }
        }
    }

    /// φ(x) as d values.
    public func callAsFunction(_ x: Double) -> [Double] {
        [Double](unsafeUninitializedCapacity: dimension) { buffer, count in
            write(x, to: buffer.baseAddress!)
            count = dimension
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
        precondition(isValid, "invalid feature map \(self)")
        let count = pixels.shape[0], sites = pixels.shape[1], d = dimension
        let phi = UnsafeMutablePointer<Double>.allocate(capacity: d)
        defer { phi.deallocate() }
        return Tensor(shape: [sites, count, d]) { out in
            pixels.withUnsafeBufferPointer { x in
                for n in 0..<count {
                    for j in 0..<sites {
                        write(Double(x[n * sites + j]), to: phi)
                        let base = (j * count + n) * d
                        for s in 0..<d { out[base + s] = Scalar(phi[s]) }
                    }
                }
            }
        }
    }
}
