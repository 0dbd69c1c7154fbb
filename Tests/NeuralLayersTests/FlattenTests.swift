import Testing
import TensorCore
import _TestSupport
@testable import NeuralLayers

@Suite struct FlattenTests {
    @Test func flattensInNHWCOrderAndReshapesTheGradientBack() {
        var rng = Philox(seed: 4)
        let x = Tensor<Double>.randomNormal(shape: [2, 3, 4, 5], using: &rng)
        let flatten = Flatten<Double>()
        let (y, cache) = flatten.forward(x)
        #expect(y.shape == [2, 60] && flatten.outputShape(forInput: x.shape) == [2, 60])
        // Feature (h·W + w)·C + c of sample b is x[b, h, w, c].
        #expect(y[[1, (2 * 4 + 3) * 5 + 4]] == x[[1, 2, 3, 4]])
        #expect(y[[0, (1 * 4 + 0) * 5 + 2]] == x[[0, 1, 0, 2]])
        let g = Tensor<Double>.randomNormal(shape: [2, 60], using: &rng)
        let (dx, parameters) = flatten.backward(g, cache: cache, needsInputGradient: true)
        #expect(parameters.isEmpty && dx?.shape == x.shape && dx?.scalars == g.scalars)
        #expect(flatten.flops(inputShape: x.shape) == .zero)
    }

    @Test func gradientMatchesFiniteDifferences() {
        var rng = Philox(seed: 5)
        expectGradientsMatchFiniteDifferences(Flatten<Double>(), input: .randomNormal(shape: [2, 2, 3, 2], using: &rng), seed: 6)
    }
}
