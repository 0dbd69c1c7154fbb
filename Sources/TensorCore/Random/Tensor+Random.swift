#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }

extension Tensor {
    /// A tensor of independent normal draws with the given mean and standard deviation.
    public static func randomNormal(
        shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1, using rng: inout Philox
    ) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count {
                buffer[i] = mean + standardDeviation * Scalar(rng.nextNormal())
            }
        }
    }

    /// A tensor of independent uniform draws from `range` (half-open).
    public static func randomUniform(
        shape: [Int], in range: Range<Scalar> = 0..<1, using rng: inout Philox
    ) -> Tensor {
        let width = range.upperBound - range.lowerBound
        return Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count {
                buffer[i] = range.lowerBound + width * Scalar(rng.nextUniform())
            }
        }
    }
}

extension Tensor {
    /// A tensor of independent draws from a normal of mean 0 and the given standard deviation,
    /// truncated at two standard deviations: a draw with `|z| > 2` is redrawn (TensorFlow's
    /// `truncated_normal`). The variance is `0.7737·σ²`.
    public static func truncatedNormal(shape: [Int], standardDeviation: Scalar, using rng: inout Philox) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count {
                var z = rng.nextNormal()
                while abs(z) > 2 { z = rng.nextNormal() }
                buffer[i] = standardDeviation * Scalar(z)
            }
        }
    }
}
