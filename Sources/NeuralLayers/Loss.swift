import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loss over a batch of predictions `[batch, outputs]` and targets of the same shape, with
/// Keras' conventions (the ones the paper's TensorFlow code used).
public enum Loss: String, Sendable, Hashable, Codable, CaseIterable {
    /// `(1 / (N·C)) Σ (ŷ − y)²`: the mean over every element.
    case meanSquaredError
    /// `−(1 / (N·C)) Σ [y log p + (1 − y) log(1 − p)]`, p clipped to `[ε, 1 − ε]`; the mean
    /// over every element (Keras averages over the last axis, then the batch).
    case binaryCrossEntropy
    /// `−(1 / N) Σ_n Σ_c y log p`, p clipped to `[ε, 1 − ε]`.
    case categoricalCrossEntropy

    /// Keras' clipping constant for probabilities.
    public static let epsilon = 1e-7

    /// The loss value.
    public func callAsFunction(_ prediction: Tensor<Double>, _ target: Tensor<Double>) -> Double {
        precondition(prediction.shape == target.shape && prediction.rank == 2,
                     "loss: prediction \(prediction.shape) and target \(target.shape) must be equal [batch, outputs]")
        let n = Double(prediction.shape[0]), count = Double(prediction.count)
        return prediction.withUnsafeBufferPointer { p in
            target.withUnsafeBufferPointer { t in
                var total = 0.0
                switch self {
                case .meanSquaredError:
                    for i in 0..<p.count { total += (p[i] - t[i]) * (p[i] - t[i]) }
                    return total / count
                case .binaryCrossEntropy:
                    for i in 0..<p.count {
                        let q = Self.clip(p[i])
                        total -= t[i] * log(q) + (1 - t[i]) * log(1 - q)
                    }
                    return total / count
                case .categoricalCrossEntropy:
                    for i in 0..<p.count where t[i] != 0 { total -= t[i] * log(Self.clip(p[i])) }
                    return total / n
                }
            }
        }
    }

    /// The gradient of the loss with respect to the prediction (zero where clipping is active).
    public func gradient(_ prediction: Tensor<Double>, _ target: Tensor<Double>) -> Tensor<Double> {
        precondition(prediction.shape == target.shape && prediction.rank == 2,
                     "loss gradient: prediction \(prediction.shape) and target \(target.shape) must be equal [batch, outputs]")
        let n = Double(prediction.shape[0]), count = Double(prediction.count)
        return Tensor(shape: prediction.shape) { g in
            prediction.withUnsafeBufferPointer { p in
                target.withUnsafeBufferPointer { t in
                    for i in 0..<p.count {
                        switch self {
                        case .meanSquaredError:
                            g[i] = 2 * (p[i] - t[i]) / count
                        case .binaryCrossEntropy:
                            g[i] = Self.isClipped(p[i]) ? 0 : (-t[i] / p[i] + (1 - t[i]) / (1 - p[i])) / count
                        case .categoricalCrossEntropy:
                            g[i] = Self.isClipped(p[i]) ? 0 : -t[i] / p[i] / n
                        }
                    }
                }
            }
        }
    }

    static func clip(_ p: Double) -> Double { Swift.min(Swift.max(p, epsilon), 1 - epsilon) }
    static func isClipped(_ p: Double) -> Bool { p < epsilon || p > 1 - epsilon }
}
