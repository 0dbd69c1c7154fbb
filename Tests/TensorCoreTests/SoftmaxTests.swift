import Testing
import TensorCore
import _TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct SoftmaxTests {
    @Test func probabilitiesSumToOneAndMatchTheFormula() {
        let logits = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, -1000])
        let p = Softmax.probabilities(logits: logits, temperature: 2)
        let e = [exp(0.5), exp(1.0), exp(1.5)], z = e.reduce(0, +)
        expectClose(Array(p.scalars[0..<3]), e.map { $0 / z }, relativeTolerance: 1e-15)
        expectClose(Array(p.scalars[3..<6]), [0.5, 0.5, 0], relativeTolerance: 1e-15, absoluteTolerance: 1e-300)
    }

    /// KL(q ‖ p) = Σ q log(q/p): the logarithm of the ratio (not Piché's ratio of logarithms),
    /// non-negative, zero exactly when the distributions match.
    @Test func klDivergenceIsTheFormulaNonNegativeAndZeroOnlyAtEquality() {
        let q = [0.2, 0.5, 0.3], f = [0.1, -0.4, 2.0]
        let p = Softmax.probabilities(logits: Tensor(shape: [1, 3], scalars: f)).scalars
        let expected = zip(q, p).map { $0 * log($0 / $1) }.reduce(0, +)
        expectClose(Softmax.klDivergence(target: q, logits: f).value, expected, relativeTolerance: 1e-14)
        expectClose(Softmax.klDivergence(q, p), expected, relativeTolerance: 1e-14)
        #expect(expected > 0)
        // At equality (logits log q, any shift): zero value and zero gradient.
        let matched = Softmax.klDivergence(target: q, logits: q.map { log($0) + 7 })
        expectClose(matched.value, 0, relativeTolerance: 0, absoluteTolerance: 1e-15)
        for g in matched.gradient { expectClose(g, 0, relativeTolerance: 0, absoluteTolerance: 1e-15) }
        // A zero-probability target class contributes nothing, and the divergence stays finite.
        let sparse = Softmax.klDivergence(target: [0, 1, 0], logits: f)
        expectClose(sparse.value, -log(p[1]), relativeTolerance: 1e-14)
        var rng = Philox(seed: 4, stream: 2)
        for _ in 0..<50 {
            let a = Tensor<Double>.randomNormal(shape: [1, 4], mean: 0, standardDeviation: 3, using: &rng)
            let b = Tensor<Double>.randomNormal(shape: [1, 4], mean: 0, standardDeviation: 3, using: &rng)
            let target = Softmax.probabilities(logits: a).scalars
            #expect(Softmax.klDivergence(target: target, logits: b.scalars).value >= 0)
        }
    }

    @Test(arguments: [0.5, 1.0, 3.0])
    func klGradientMatchesFiniteDifferences(temperature: Double) {
        let q = [0.1, 0.6, 0.05, 0.25], f = [0.3, -1.2, 2.2, 0.4]
        let (_, gradient) = Softmax.klDivergence(target: q, logits: f, temperature: temperature)
        let h = 1e-6
        for i in f.indices {
            var plus = f, minus = f
            plus[i] += h; minus[i] -= h
            let numeric = (Softmax.klDivergence(target: q, logits: plus, temperature: temperature).value
                - Softmax.klDivergence(target: q, logits: minus, temperature: temperature).value) / (2 * h)
            expectClose(gradient[i], numeric, relativeTolerance: 1e-7, absoluteTolerance: 1e-10)
        }
    }

    @Test func crossEntropyIsMinusLogProbability() {
        let f = [0.3, -1.2, 2.2]
        var gradient = [Double](repeating: 0, count: 3)
        let loss = f.withUnsafeBufferPointer { fp in
            gradient.withUnsafeMutableBufferPointer { Softmax.crossEntropy(fp.baseAddress!, count: 3, label: 1, gradient: $0.baseAddress!) }
        }
        let p = Softmax.probabilities(logits: Tensor(shape: [1, 3], scalars: f)).scalars
        expectClose(loss, -log(p[1]), relativeTolerance: 1e-14)
        expectClose(gradient, [p[0], p[1] - 1, p[2]], relativeTolerance: 1e-14)
    }
}
