#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax probabilities and the two losses a classifier is trained with on them: cross-entropy
/// against a label, and the Kullback–Leibler divergence from a target distribution (knowledge
/// distillation), each with its gradient with respect to the logits. Everything is in `Double`,
/// shifted by the row's maximum, so large logits neither overflow nor lose digits.
///
/// For logits f of one sample, a temperature T and p = softmax(f/T):
///
///     cross-entropy   ℓ(f, y) = log Σ_k exp(f_k) − f_y,                  ∂ℓ/∂f = p − e_y      (T = 1)
///     distillation    KL(q ‖ p) = Σ_k q_k (log q_k − log p_k) ≥ 0,       ∂KL/∂f = (p − q)/T
///
/// KL(q ‖ p) is zero exactly when p = q, and terms with q_k = 0 contribute 0 (0·log 0 = 0).
/// (Piché's report writes the divergence as (1/n) Σ Q log(Q)/log(P), a ratio of logarithms; the
/// divergence is the logarithm of the ratio, summed over classes, as here.)
///
/// ```swift
/// let q = Softmax.probabilities(logits: teacherLogits, temperature: 2)       // [N, C] → [N, C]
/// let (kl, dLogits) = Softmax.klDivergence(target: q[0..<C], logits: studentRow, temperature: 2)
/// ```
public enum Softmax {
    /// softmax(f/T) of one row of `count` logits, written to `probabilities`.
    ///
    /// - Returns: log Σ_k exp(f_k/T), the log-partition of the scaled logits (+∞ or NaN when a
    ///   logit is not finite).
    @inlinable @discardableResult
    public static func probabilities(
        _ logits: UnsafePointer<Double>, count: Int, temperature: Double = 1,
        into probabilities: UnsafeMutablePointer<Double>
    ) -> Double {
        var top = -Double.infinity
        for k in 0..<count { top = Swift.max(top, logits[k] / temperature) }
        var total = 0.0
        for k in 0..<count {
            let e = exp(logits[k] / temperature - top)
            probabilities[k] = e
            total += e
        }
        for k in 0..<count { probabilities[k] /= total }
        return log(total) + top
    }

    /// softmax(f/T) of every row of a `[rows, classes]` matrix of logits, as `Double`.
    public static func probabilities<Scalar: BLASScalar>(logits: Tensor<Scalar>, temperature: Double = 1) -> Tensor<Double> {
        precondition(logits.rank == 2 && logits.shape[1] >= 1, "Softmax: logits \(logits.shape) are not [rows, classes]")
        precondition(temperature > 0 && temperature.isFinite, "Softmax: temperature \(temperature) must be positive")
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        return Tensor<Double>(shape: logits.shape) { out in
            logits.withUnsafeBufferPointer { f in
                let row = UnsafeMutablePointer<Double>.allocate(capacity: classes)
                defer { row.deallocate() }
                for n in 0..<rows {
                    for k in 0..<classes { row[k] = Double(f[n * classes + k]) }
                    probabilities(row, count: classes, temperature: temperature, into: out.baseAddress! + n * classes)
                }
            }
        }
    }

    /// The cross-entropy of one row against `label`; `gradient` receives p − e_label.
    @inlinable
    public static func crossEntropy(
        _ logits: UnsafePointer<Double>, count: Int, label: Int, gradient: UnsafeMutablePointer<Double>
    ) -> Double {
        var top = -Double.infinity
        for k in 0..<count { top = Swift.max(top, logits[k]) }
        // loss = log Σ_k e^{f_k − max} − (f_y − max): finite whenever the logits are.
        let shiftedTarget = logits[label] - top
        var total = 0.0
        for k in 0..<count {
            let e = exp(logits[k] - top)
            gradient[k] = e
            total += e
        }
        for k in 0..<count { gradient[k] /= total }
        gradient[label] -= 1
        return log(total) - shiftedTarget
    }

    /// KL(q ‖ softmax(f/T)) of one row; `gradient` receives ∂KL/∂f = (softmax(f/T) − q)/T.
    ///
    /// - Precondition: `target` is a probability vector (non-negative; its sum is not checked).
    @inlinable
    public static func klDivergence(
        target: UnsafePointer<Double>, logits: UnsafePointer<Double>, count: Int, temperature: Double,
        gradient: UnsafeMutablePointer<Double>
    ) -> Double {
        let logPartition = probabilities(logits, count: count, temperature: temperature, into: gradient)
        var divergence = 0.0
        for k in 0..<count {
            let q = target[k]
            if q > 0 { divergence += q * (log(q) - (logits[k] / temperature - logPartition)) }
            gradient[k] = (gradient[k] - q) / temperature
        }
        return divergence
    }

    /// KL(q ‖ softmax(f/T)) and its gradient with respect to f, for arrays.
    public static func klDivergence(
        target: [Double], logits: [Double], temperature: Double = 1
    ) -> (value: Double, gradient: [Double]) {
        precondition(target.count == logits.count && !target.isEmpty,
                     "klDivergence: \(target.count) target probabilities for \(logits.count) logits")
        var gradient = [Double](repeating: 0, count: logits.count)
        let value = target.withUnsafeBufferPointer { q in
            logits.withUnsafeBufferPointer { f in
                gradient.withUnsafeMutableBufferPointer { g in
                    klDivergence(target: q.baseAddress!, logits: f.baseAddress!, count: f.count,
                                 temperature: temperature, gradient: g.baseAddress!)
                }
            }
        }
        return (value, gradient)
    }

    /// KL(q ‖ p) = Σ_k q_k log(q_k/p_k) between two probability vectors (+∞ where p_k = 0 < q_k).
    public static func klDivergence(_ q: [Double], _ p: [Double]) -> Double {
        precondition(q.count == p.count, "klDivergence: \(q.count) against \(p.count) probabilities")
        var total = 0.0
        for (a, b) in zip(q, p) where a > 0 { total += a * (log(a) - log(b)) }
        return total
    }
}
