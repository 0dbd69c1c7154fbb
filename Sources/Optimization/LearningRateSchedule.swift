#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learning rate as a function of the step count t (the number of updates applied before the
/// one that uses it: the first update sees t = 0), as TensorFlow's `global_step`.
///
/// ```swift
/// let mpoNet = LearningRateSchedule.exponentialDecay(initial: 1e-3, rate: 0.99, decaySteps: 600)
/// mpoNet.learningRate(atStep: 1200)          // 1e-3 · 0.99²
/// ```
public enum LearningRateSchedule: Sendable, Hashable {
    /// The same rate at every step.
    case constant(Double)
    /// `initial · rate^(t / decaySteps)`: continuous (`staircase == false`, the exponent is the
    /// real quotient) or in stairs (`staircase == true`, the exponent is ⌊t / decaySteps⌋), as
    /// `tf.train.exponential_decay`.
    case exponentialDecay(initial: Double, rate: Double, decaySteps: Int, staircase: Bool = false)

    /// The rate at step `t` (t ≥ 0).
    public func learningRate(atStep t: Int) -> Double {
        precondition(t >= 0, "LearningRateSchedule: step \(t) is negative")
        switch self {
        case .constant(let rate):
            return rate
        case .exponentialDecay(let initial, let rate, let decaySteps, let staircase):
            precondition(decaySteps > 0, "LearningRateSchedule: decaySteps must be positive, got \(decaySteps)")
            let exponent = staircase ? Double(t / decaySteps) : Double(t) / Double(decaySteps)
            return initial * pow(rate, exponent)
        }
    }

    /// The rate of the first step.
    public var initialLearningRate: Double { learningRate(atStep: 0) }
}
