import TensorCore

/// Adam (Kingma & Ba 2014) over a list of tensors, in the form TensorFlow Keras applies it — the
/// framework Barratt et al. trained with:
///
///     m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,
///     α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ),   θ ← θ − α_t·m/(√v + ε)
///
/// (ε is added to the *uncorrected* √v: Kingma & Ba's "ε̂" variant, Keras' default, ε = 1e-7).
/// Moments are kept in `Double` (a gradient of 1e-30 gives v = 1e-60, which float32 would flush
/// to zero; with ε = 1e-7 the step is ≈ lr·g/ε either way, so this changes accuracy, not behaviour).
///
/// Named `AdamOptimizer` so that it cannot collide with a layer-level `Adam` elsewhere.
public struct AdamOptimizer: Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// The number of updates applied so far (t).
    public private(set) var step = 0
    private var m: [[Double]] = []
    private var v: [[Double]] = []

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Applies one update to every parameter tensor from its gradient (same shapes, same order on
    /// every call).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update<Scalar: BLASScalar>(_ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>]) {
        precondition(parameters.count == gradients.count, "Adam: \(parameters.count) parameters, \(gradients.count) gradients")
        if m.isEmpty {
            m = parameters.map { [Double](repeating: 0, count: $0.count) }
            v = m
        }
        precondition(m.count == parameters.count, "Adam: the parameter list changed between updates")
        step += 1
        let t = Double(step)
        let alpha = learningRate * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
        let b1 = beta1, b2 = beta2, eps = epsilon
        for k in parameters.indices {
            precondition(parameters[k].shape == gradients[k].shape,
                         "Adam: parameter \(k) is \(parameters[k].shape), gradient \(gradients[k].shape)")
            m[k].withUnsafeMutableBufferPointer { mk in
                v[k].withUnsafeMutableBufferPointer { vk in
                    gradients[k].withUnsafeBufferPointer { g in
                        parameters[k].withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                let gi = Double(g[i])
                                let mi = b1 * mk[i] + (1 - b1) * gi
                                let vi = b2 * vk[i] + (1 - b2) * gi * gi
                                mk[i] = mi
                                vk[i] = vi
                                p[i] -= Scalar(alpha * mi / (vi.squareRoot() + eps))
                            }
                        }
                    }
                }
            }
        }
    }
}

@inline(__always) private func pow(_ x: Double, _ y: Double) -> Double {
    // exp(y·log x) without importing libm here; x ∈ (0, 1).
    var result = 1.0, base = x, n = Int(y)
    while n > 0 {
        if n & 1 == 1 { result *= base }
        base *= base
        n >>= 1
    }
    return result
}
