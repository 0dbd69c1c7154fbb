import CKernels
import TensorCore

/// Adam (Kingma & Ba 2014) in the form TensorFlow Keras applies it — the framework Barratt et
/// al. trained with:
///
///     g ← ∂L/∂θ + λ·θ   (optional L2 weight decay, λ = 0 by default)
///     m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,
///     α_t = η_t·√(1 − β₂ᵗ)/(1 − β₁ᵗ),   θ ← θ − α_t·m/(√v + ε)
///
/// (ε is added to the *uncorrected* √v: Kingma & Ba's "ε̂" variant, Keras' default, ε = 1e-7;
/// t counts from 1 for the bias correction, and η_t is the schedule's rate at step t − 1).
/// With ``EpsilonPlacement/biasCorrected`` ε is added to the bias-corrected √v̂ instead, as optax
/// (tn4ml's optimizer) and PyTorch do: θ ← θ − η_t·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ),
/// v̂ = v/(1 − β₂ᵗ) — the same as the form above with ε·√(1 − β₂ᵗ) in place of ε.
/// Moments are kept per slot in `Double` (a gradient of 1e-30 gives v = 1e-60, which float32
/// would flush to zero; with ε = 1e-7 the step is ≈ η·g/ε either way, so this changes accuracy,
/// not behaviour).
public struct Adam: Optimizer {
    /// Where ε enters the denominator.
    public enum EpsilonPlacement: String, Codable, Sendable, CaseIterable {
        /// m/(√v + ε) with the bias corrections folded into the step size (Keras, Kingma & Ba's ε̂).
        case uncorrected
        /// m̂/(√v̂ + ε) on the bias-corrected moments (optax, PyTorch).
        case biasCorrected
    }

    public var schedule: LearningRateSchedule
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// λ ≥ 0, the L2 coefficient added to the gradient (coupled L2, not AdamW's decoupled decay).
    public var weightDecay: Double
    public var epsilonPlacement: EpsilonPlacement
    /// The number of updates applied so far (t).
    public private(set) var step = 0
    private var m = SlotBuffers()
    private var v = SlotBuffers()

    public init(
        schedule: LearningRateSchedule, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7,
        weightDecay: Double = 0, epsilonPlacement: EpsilonPlacement = .uncorrected
    ) {
        precondition(weightDecay >= 0, "Adam: weight decay must be non-negative, got \(weightDecay)")
        self.epsilonPlacement = epsilonPlacement
        self.schedule = schedule
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// A constant learning rate (Keras' defaults otherwise).
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7,
                weightDecay: Double = 0, epsilonPlacement: EpsilonPlacement = .uncorrected) {
        self.init(schedule: .constant(learningRate), beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                  epsilonPlacement: epsilonPlacement)
    }

    /// η_t: the base rate the next update uses (before bias correction).
    public func save(into state: inout TrainingState, prefix: String) {
        state.set("\(prefix)/step", count: step)
        m.save(into: &state, prefix: "\(prefix)/m")
        v.save(into: &state, prefix: "\(prefix)/v")
    }

    public mutating func restore(from state: TrainingState, prefix: String) throws {
        step = try state.count("\(prefix)/step")
        m = try SlotBuffers(from: state, prefix: "\(prefix)/m")
        v = try SlotBuffers(from: state, prefix: "\(prefix)/v")
    }

    public var learningRate: Double { schedule.learningRate(atStep: step) }

    /// Where the second moments stand against ε after the last update, over every parameter.
    public struct SecondMoments: Sendable, Equatable {
        /// √(mean of v̂), v̂ = v / (1 − β₂ᵗ): the typical gradient size Adam divides by.
        public var rootMeanSquare: Double
        /// The share of parameters whose denominator ε dominates: √v < ε (``EpsilonPlacement/uncorrected``)
        /// or √v̂ < ε (``EpsilonPlacement/biasCorrected``). Their steps are ≈ η·m̂/ε, far below
        /// Adam's usual ≈ η once the gradients are smaller than ε.
        public var shareBelowEpsilon: Double
        public var parameters: Int
    }

    /// The second moments' summary (nil before the first update).
    public func secondMoments() -> SecondMoments? {
        guard step > 0 else { return nil }
        let correction = 1 - integerPower(beta2, Double(step))
        // √v < threshold ⇔ v < threshold²; in the corrected placement √v̂ < ε ⇔ v < ε²·(1 − β₂ᵗ).
        let threshold = epsilonPlacement == .uncorrected ? epsilon * epsilon : epsilon * epsilon * correction
        var sum = 0.0, below = 0, count = 0
        for buffer in v.buffers {
            for value in buffer {
                sum += value
                if value < threshold { below += 1 }
            }
            count += buffer.count
        }
        guard count > 0 else { return nil }
        return SecondMoments(rootMeanSquare: (sum / Double(count) / correction).squareRoot(),
                             shareBelowEpsilon: Double(below) / Double(count), parameters: count)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update<Scalar: BLASScalar>(
        _ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>], slots: [Int]
    ) {
        checkStep("Adam", parameters, gradients, slots)
        let rate = learningRate
        step += 1
        let t = Double(step)
        let alpha = rate * (1 - integerPower(beta2, t)).squareRoot() / (1 - integerPower(beta1, t))
        let b1 = beta1, b2 = beta2, decay = weightDecay
        let eps = epsilonPlacement == .uncorrected ? epsilon : epsilon * (1 - integerPower(beta2, t)).squareRoot()
        for k in parameters.indices {
            let slot = slots[k]
            m.prepare(slot, count: parameters[k].count, owner: "Adam")
            v.prepare(slot, count: parameters[k].count, owner: "Adam")
            m[slot].withUnsafeMutableBufferPointer { mk in
                v[slot].withUnsafeMutableBufferPointer { vk in
                    gradients[k].withUnsafeBufferPointer { g in
                        parameters[k].withUnsafeMutableBufferPointer { p in
                            adamStep(p.baseAddress!, g.baseAddress!, mk.baseAddress!, vk.baseAddress!, count: p.count,
                                     beta1: b1, beta2: b2, alpha: alpha, epsilon: eps, decay: decay)
                        }
                    }
                }
            }
        }
    }
}

/// One Adam step over a parameter tensor's scalars: the loop is C (`CKernels/Adam.c`), where the
/// square root vectorizes; it computes each element exactly as `m ← β₁m + (1 − β₁)g`,
/// `v ← β₂v + (1 − β₂)g·g`, `p ← p − Scalar(α·m / (√v + ε))` (g with `decay·p` added first
/// when `decay` ≠ 0) in Double.
@inline(__always) private func adamStep<Scalar: BLASScalar>(
    _ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ m: UnsafeMutablePointer<Double>,
    _ v: UnsafeMutablePointer<Double>, count: Int, beta1: Double, beta2: Double, alpha: Double, epsilon: Double,
    decay: Double
) {
    if Scalar.self == Float.self {
        tnb_adam_step_f32(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self),
                          UnsafeRawPointer(g).assumingMemoryBound(to: Float.self), m, v, count,
                          beta1, beta2, alpha, epsilon, decay)
    } else if Scalar.self == Double.self {
        tnb_adam_step_f64(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self),
                          UnsafeRawPointer(g).assumingMemoryBound(to: Double.self), m, v, count,
                          beta1, beta2, alpha, epsilon, decay)
    } else {
        preconditionFailure("Adam: no step kernel for \(Scalar.self)")
    }
}

@inline(__always) func integerPower(_ x: Double, _ y: Double) -> Double {
    var result = 1.0, base = x, n = Int(y)
    while n > 0 {
        if n & 1 == 1 { result *= base }
        base *= base
        n >>= 1
    }
    return result
}
