import TensorCore

/// Weight initializers for the layers of this module.
public enum Initializer {
    /// Glorot (Xavier) uniform: `U(−√(6/(fanIn + fanOut)), +√(6/(fanIn + fanOut)))`, Keras' default
    /// for `Dense`. Returns a `[fanIn, fanOut]` matrix.
    public static func glorotUniform(fanIn: Int, fanOut: Int, using rng: inout Philox) -> Tensor<Double> {
        let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
        return Tensor.randomUniform(shape: [fanIn, fanOut], in: -limit..<limit, using: &rng)
    }
}
