import Testing
import TensorCore
import _TestSupport
@testable import NeuralLayers

/// Checks a ``NeuralLayer``'s backward pass against central finite differences in Double.
///
/// The scalar differentiated is a fixed random linear functional of the output,
/// `f(x, θ) = Σ c ⊙ layer(x; θ)`, so `∂f/∂output = c` is what `backward` receives; the input
/// gradient and every parameter gradient are compared elementwise with central differences
/// (step 1e-6: the truncation error is O(h²·f‴) ≈ 1e-12 and the rounding error ≈ 1e-10 for
/// outputs of order one, so a 1e-6 relative tolerance is two orders above the noise).
func expectGradientsMatchFiniteDifferences<Layer: NeuralLayer>(
    _ layer: Layer, input: Tensor<Double>, seed: UInt64,
    relativeTolerance: Double = 1e-6, absoluteTolerance: Double = 1e-8,
    sourceLocation: SourceLocation = #_sourceLocation
) where Layer.Scalar == Double {
    var rng = Philox(seed: seed, stream: 99)
    let (output, cache) = layer.forward(input)
    let c = Tensor<Double>.randomNormal(shape: output.shape, using: &rng)
    let (dx, dParameters) = layer.backward(c, cache: cache, needsInputGradient: true)

    #expect(output.shape == layer.outputShape(forInput: input.shape), "outputShape disagrees with forward",
            sourceLocation: sourceLocation)
    #expect(dParameters.count == layer.parameters.count, "one gradient per parameter", sourceLocation: sourceLocation)
    let numericX = finiteDifferences(input) { c.dot(layer.forward($0).output) }
    if let dx {
        expectClose(dx, numericX, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                    "input gradient", sourceLocation: sourceLocation)
    } else {
        Issue.record("no input gradient although one was asked for", sourceLocation: sourceLocation)
    }
    for k in layer.parameters.indices where k < dParameters.count {
        let numeric = finiteDifferences(layer.parameters[k]) { p in
            var perturbed = layer
            perturbed.parameters[k] = p
            return c.dot(perturbed.forward(input).output)
        }
        expectClose(dParameters[k], numeric, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                    "gradient of parameter \(k) (\(layer.parameterKinds[k]))", sourceLocation: sourceLocation)
    }
}
