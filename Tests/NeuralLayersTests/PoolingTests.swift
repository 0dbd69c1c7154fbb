import Testing
import TensorCore
import _TestSupport
@testable import NeuralLayers

/// Max pooling by its definition, in Double.
func naiveMaxPool(_ x: Tensor<Double>, windowHeight ph: Int, windowWidth pw: Int) -> Tensor<Double> {
    let (batch, height, width, channels) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    var y = Tensor<Double>(zeros: [batch, height / ph, width / pw, channels])
    for b in 0..<batch {
        for oy in 0..<height / ph {
            for ox in 0..<width / pw {
                for c in 0..<channels {
                    var best = -Double.infinity
                    for dy in 0..<ph { for dx in 0..<pw { best = max(best, x[[b, oy * ph + dy, ox * pw + dx, c]]) } }
                    y[b, oy, ox, c] = best
                }
            }
        }
    }
    return y
}

/// A `shape` tensor of distinct values 0.01 apart in random order: no two inputs of a window
/// are within the finite-difference step (1e-6) of each other, so the arg max is stable.
func distinctValues(shape: [Int], seed: UInt64) -> Tensor<Double> {
    var rng = Philox(seed: seed, stream: 3)
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: rng.permutation(count).map { 0.01 * Double($0) - 0.005 * Double(count) })
}

@Suite struct PoolingTests {
    /// (shape, window): even and odd extents (the odd last row or column is dropped), C = 1 and
    /// C > 1, a non-square window.
    static let cases: [([Int], Int, Int)] = [
        ([2, 4, 6, 3], 2, 2), ([3, 5, 7, 2], 2, 2), ([1, 28, 28, 1], 2, 2), ([2, 6, 6, 4], 3, 2), ([2, 2, 2, 1], 2, 2),
    ]

    @Test(arguments: cases)
    func forwardMatchesNaiveLoops(shape: [Int], windowHeight: Int, windowWidth: Int) {
        var rng = Philox(seed: 1)
        let x = Tensor<Double>.randomNormal(shape: shape, using: &rng)
        let pool = MaxPool2D<Double>(windowHeight: windowHeight, windowWidth: windowWidth)
        let (y, _) = pool.forward(x)
        #expect(y.shape == pool.outputShape(forInput: shape))
        // A maximum is one of the inputs, copied: exact.
        #expect(y.scalars == naiveMaxPool(x, windowHeight: windowHeight, windowWidth: windowWidth).scalars)
        let (yFloat, _) = MaxPool2D<Float>(windowHeight: windowHeight, windowWidth: windowWidth).forward(x.converted(to: Float.self))
        #expect(yFloat.scalars == y.scalars.map { Float($0) })
    }

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferencesWithoutTies(shape: [Int], windowHeight: Int, windowWidth: Int) {
        let pool = MaxPool2D<Double>(windowHeight: windowHeight, windowWidth: windowWidth)
        expectGradientsMatchFiniteDifferences(pool, input: distinctValues(shape: shape, seed: 2), seed: 3)
    }

    /// Ties go to the first input of the window in row-major order (TensorFlow's `MaxPoolGrad`).
    @Test func tiesRouteTheGradientToTheFirstMaximum() {
        // One image 2×4, one channel, two windows: [[5, 5], [5, 5]] and [[1, 7], [7, 2]].
        let x = Tensor<Double>(shape: [1, 2, 4, 1], scalars: [5, 5, 1, 7,
                                                               5, 5, 7, 2])
        let pool = MaxPool2D<Double>()
        let (y, cache) = pool.forward(x)
        #expect(y.scalars == [5, 7])
        let (dx, parameters) = pool.backward(Tensor(shape: [1, 1, 2, 1], scalars: [10, 20]), cache: cache, needsInputGradient: true)
        #expect(parameters.isEmpty)
        #expect(dx?.scalars == [10, 0, 0, 20,
                                0, 0, 0, 0])
    }

    @Test func noInputGradientUnlessAskedAndFlopsAreThreeComparisonsPerOutput() {
        let pool = MaxPool2D<Float>()
        let x = Tensor<Float>(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
        let (_, cache) = pool.forward(x)
        #expect(pool.backward(Tensor(shape: [1, 1, 1, 1], scalars: [1]), cache: cache, needsInputGradient: false).input == nil)
        let flops = pool.flops(inputShape: [100, 28, 28, 6])
        #expect(flops.forward == 100 * 14 * 14 * 6 * 3 && flops.parameterGradient == 0 && flops.inputGradient == 0)
        #expect(pool.parameters.isEmpty && pool.parameterKinds.isEmpty)
    }
}
