import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The classification objective of the MPO-Net and its baselines: softmax cross-entropy on
/// logits with integer labels (TensorFlow's `sparse_softmax_cross_entropy_with_logits`, averaged
/// over the batch), and the L2 term `(α/2)·Σ w²` the paper adds to it.
///
/// For logits `z` `[batch, classes]` and labels `t`:
///
///     L = (1/B) Σ_n [log Σ_j exp(z[n, j]) − z[n, t_n]],     ∂L/∂z[n, j] = (softmax(z[n])_j − [j = t_n]) / B
///
/// The log-sum-exp is shifted by each row's maximum and accumulated in `Double`, so neither
/// large logits nor float32 inputs overflow or lose the loss's digits; the gradient is rounded
/// to the logits' precision at the end.
///
/// ```swift
/// let (loss, dLogits) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels)
/// let isWeight = network.parameterKinds.map { $0 == .weight }
/// let objective = loss + SoftmaxCrossEntropy.l2Penalty(network.parameters, alpha: 1e-4, penalized: isWeight)
/// ```
public enum SoftmaxCrossEntropy {
    /// The mean softmax cross-entropy over the batch (nats) and its gradient with respect to the
    /// logits.
    ///
    /// - Precondition: `logits` is `[batch ≥ 1, classes ≥ 1]`, with one label per row, each in
    ///   `0 ..< classes`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func lossAndGradient<Scalar: BLASScalar>(
        logits: Tensor<Scalar>, labels: [Int]
    ) -> (loss: Double, gradient: Tensor<Scalar>) {
        precondition(logits.rank == 2 && logits.shape[0] >= 1 && logits.shape[1] >= 1,
                     "SoftmaxCrossEntropy: logits \(logits.shape) are not [batch, classes]")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        precondition(labels.count == batch, "SoftmaxCrossEntropy: \(labels.count) labels for \(batch) rows of logits")
        var total = 0.0
        let scale = 1 / Double(batch)
        let gradient = Tensor<Scalar>(shape: logits.shape) { g in
            logits.withUnsafeBufferPointer { z in
                let exponentials = UnsafeMutablePointer<Double>.allocate(capacity: classes)
                defer { exponentials.deallocate() }
                for n in 0..<batch {
                    let label = labels[n]
                    precondition(label >= 0 && label < classes,
                                 "SoftmaxCrossEntropy: label \(label) of row \(n) is not in 0..<\(classes)")
                    let row = z.baseAddress! + n * classes
                    var top = -Double.infinity
                    for j in 0..<classes { top = Swift.max(top, Double(row[j])) }
                    var sum = 0.0
                    for j in 0..<classes {
                        exponentials[j] = exp(Double(row[j]) - top)
                        sum += exponentials[j]
                    }
                    total += log(sum) + top - Double(row[label])
                    let destination = g.baseAddress! + n * classes
                    for j in 0..<classes {
                        destination[j] = Scalar((exponentials[j] / sum - (j == label ? 1 : 0)) * scale)
                    }
                }
            }
        }
        return (total * scale, gradient)
    }

    /// `(α/2)·Σ_t Σ_i t_i²` over the tensors `tensors[i]` with `penalized[i]` (all of them when
    /// `penalized` is `nil`), accumulated in `Double`: TensorFlow's `α·tf.nn.l2_loss` summed over
    /// the penalized tensors (the paper: the weights, ``ParameterKind/weight``).
    ///
    /// The optimizers' `weightDecay` adds the same gradient `α·w` inside the update; use one of
    /// the two, not both.
    ///
    /// - Precondition: `alpha ≥ 0`, and one flag per tensor if given.
    public static func l2Penalty<Scalar: BLASScalar>(
        _ tensors: [Tensor<Scalar>], alpha: Double, penalized: [Bool]? = nil
    ) -> Double {
        precondition(alpha >= 0, "l2Penalty: alpha must be non-negative, got \(alpha)")
        precondition(penalized == nil || penalized!.count == tensors.count,
                     "l2Penalty: \(penalized?.count ?? 0) flags for \(tensors.count) tensors")
        var total = 0.0
        for i in tensors.indices where penalized?[i] ?? true { total += Double(tensors[i].squaredNorm()) }
        return alpha / 2 * total
    }

    /// Adds the gradient of ``l2Penalty(_:alpha:penalized:)``, `α·w`, to `gradients[i]` for every `i` with
    /// `penalized[i]` (every `i` when `penalized` is `nil`).
    ///
    /// ```swift
    /// var gradients = network.backward(dLogits, caches: caches)
    /// SoftmaxCrossEntropy.addL2Gradient(&gradients, parameters: network.parameters, alpha: 1e-4,
    ///                                   penalized: network.parameterKinds.map { $0 == .weight })
    /// ```
    ///
    /// - Precondition: one gradient per parameter, of its shape (and one flag each, if given);
    ///   `alpha ≥ 0`.
    public static func addL2Gradient<Scalar: BLASScalar>(
        _ gradients: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], alpha: Double, penalized: [Bool]? = nil
    ) {
        precondition(alpha >= 0, "addL2Gradient: alpha must be non-negative, got \(alpha)")
        precondition(gradients.count == parameters.count,
                     "addL2Gradient: \(gradients.count) gradients for \(parameters.count) parameters")
        precondition(penalized == nil || penalized!.count == parameters.count,
                     "addL2Gradient: \(penalized?.count ?? 0) flags for \(parameters.count) parameters")
        for i in parameters.indices where penalized?[i] ?? true {
            precondition(gradients[i].shape == parameters[i].shape,
                         "addL2Gradient: gradient \(i) is \(gradients[i].shape), its parameter \(parameters[i].shape)")
            gradients[i].add(parameters[i], scaledBy: Scalar(alpha))
        }
    }
}
