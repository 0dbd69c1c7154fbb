import TensorCore

/// Stochastic gradient descent with optional momentum (classical or Nesterov), a learning-rate
/// schedule and L2 weight decay — the form of TensorFlow's `MomentumOptimizer` and PyTorch's
/// `SGD`:
///
///     g ← ∂L/∂θ + λ·θ                  (L2 weight decay: the gradient of (λ/2)·Σθ²)
///     v ← μ·v + g                      (momentum buffer per slot; v₀ = 0)
///     θ ← θ − η_t·v                    (classical)
///     θ ← θ − η_t·(g + μ·v)            (Nesterov)
///
/// with η_t the schedule's rate at step t. With μ = 0 and λ = 0 this is plain gradient descent,
/// `θ ← θ − η_t·g`, applied with BLAS `axpy` in the parameters' precision and no state (the
/// exact arithmetic of `Tensor.add(_:scaledBy:)`). Otherwise buffers and the step are computed
/// in `Double`, then rounded to the parameter's precision.
public struct SGD: Optimizer {
    public var schedule: LearningRateSchedule
    /// μ ∈ [0, 1); 0 is plain gradient descent.
    public var momentum: Double
    /// Nesterov's accelerated form (only meaningful with μ > 0).
    public var nesterov: Bool
    /// λ ≥ 0, the L2 coefficient: the loss gains (λ/2)·Σθ², the gradient λ·θ.
    public var weightDecay: Double
    public private(set) var step = 0
    private var velocity = SlotBuffers()

    public init(schedule: LearningRateSchedule, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(momentum >= 0 && momentum < 1, "SGD: momentum must be in [0, 1), got \(momentum)")
        precondition(weightDecay >= 0, "SGD: weight decay must be non-negative, got \(weightDecay)")
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// A constant learning rate.
    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.init(schedule: .constant(learningRate), momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
    }

    /// η_t: the rate the next step uses.
    public func save(into state: inout TrainingState, prefix: String) {
        state.set("\(prefix)/step", count: step)
        velocity.save(into: &state, prefix: "\(prefix)/velocity")
    }

    public mutating func restore(from state: TrainingState, prefix: String) throws {
        step = try state.count("\(prefix)/step")
        velocity = try SlotBuffers(from: state, prefix: "\(prefix)/velocity")
    }

    public var learningRate: Double { schedule.learningRate(atStep: step) }

    /// Whether a step is plain gradient descent (no state, no decay).
    public var isPlain: Bool { momentum == 0 && weightDecay == 0 }

    public mutating func update<Scalar: BLASScalar>(
        _ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>], slots: [Int]
    ) {
        checkStep("SGD", parameters, gradients, slots)
        let rate = learningRate
        step += 1
        if isPlain {
            for k in parameters.indices { parameters[k].add(gradients[k], scaledBy: Scalar(-rate)) }
            return
        }
        let mu = momentum, decay = weightDecay, useNesterov = nesterov
        for k in parameters.indices {
            velocity.prepare(slots[k], count: parameters[k].count, owner: "SGD")
            velocity[slots[k]].withUnsafeMutableBufferPointer { v in
                gradients[k].withUnsafeBufferPointer { g in
                    parameters[k].withUnsafeMutableBufferPointer { p in
                        for i in 0..<p.count {
                            var gi = Double(g[i])
                            if decay != 0 { gi += decay * Double(p[i]) }
                            let vi = mu * v[i] + gi
                            v[i] = vi
                            let direction = useNesterov ? gi + mu * vi : vi
                            p[i] -= Scalar(rate * direction)
                        }
                    }
                }
            }
        }
    }

    /// `θ ← θ − η_t·g` at the current rate, with no state, no decay and no step counted: for a
    /// parameter that does not persist from one step to the next (a tensor-network bond tensor,
    /// re-split after its step, whose shape can change), taken beside the step of the persistent
    /// parameters. Same arithmetic as the plain step (`axpy`).
    public func descend<Scalar: BLASScalar>(_ parameter: inout Tensor<Scalar>, along gradient: Tensor<Scalar>) {
        precondition(parameter.shape == gradient.shape, "SGD.descend: parameter \(parameter.shape), gradient \(gradient.shape)")
        parameter.add(gradient, scaledBy: Scalar(-learningRate))
    }
}
