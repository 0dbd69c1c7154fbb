import Testing
import TensorCore
import _TestSupport
@testable import NeuralLayers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct SoftmaxCrossEntropyTests {
    static func logits(batch: Int = 5, classes: Int = 4, seed: UInt64 = 1) -> (Tensor<Double>, [Int]) {
        var rng = Philox(seed: seed)
        let z = Tensor<Double>.randomNormal(shape: [batch, classes], standardDeviation: 2, using: &rng)
        return (z, (0..<batch).map { _ in rng.nextInt(below: classes) })
    }

    /// `−(1/B) Σ log(e^{z_t} / Σ e^{z_j})` written out, unshifted (safe for logits of order one);
    /// the two differ by rounding only, ≈ 1e-16 relative.
    @Test func valueIsTheMeanNegativeLogSoftmaxOfTheLabels() {
        let (z, labels) = Self.logits()
        var direct = 0.0
        for n in 0..<5 {
            let denominator = (0..<4).reduce(0.0) { $0 + exp(z[[n, $1]]) }
            direct -= log(exp(z[[n, labels[n]]]) / denominator)
        }
        direct /= 5
        expectClose(SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: labels).loss, direct, relativeTolerance: 1e-13)
    }

    /// Central differences with step 1e-6 on a loss of order one: truncation ≈ h²·L‴ ≈ 1e-12 and
    /// rounding ≈ 1e-16/h ≈ 1e-10, so 1e-7 relative plus 1e-9 absolute leaves a margin of 100.
    @Test func gradientMatchesFiniteDifferencesAndRowsSumToZero() {
        let (z, labels) = Self.logits(seed: 2)
        let (_, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: labels)
        let numeric = finiteDifferences(z) { SoftmaxCrossEntropy.lossAndGradient(logits: $0, labels: labels).loss }
        expectClose(gradient, numeric, relativeTolerance: 1e-7, absoluteTolerance: 1e-9)
        for n in 0..<5 { #expect(abs((0..<4).reduce(0.0) { $0 + gradient[[n, $1]] }) < 1e-15) }
    }

    /// exp(1000) overflows a Double; shifted by the row maximum the loss is that of `z`, up to the
    /// rounding of `z + 1000` (≈ 1e-13 per logit).
    @Test func largeLogitsAreStableAndShiftInvariant() {
        let (z, labels) = Self.logits(seed: 3)
        let shifted = z.map { $0 + 1000 }
        let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: labels)
        let (shiftedLoss, shiftedGradient) = SoftmaxCrossEntropy.lossAndGradient(logits: shifted, labels: labels)
        #expect(shiftedLoss.isFinite && shiftedGradient.isFinite)
        expectClose(shiftedLoss, loss, relativeTolerance: 1e-10, absoluteTolerance: 1e-10)
        expectClose(shiftedGradient, gradient, relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
    }

    /// Float logits widen to Double exactly and the loss is computed in Double, so it is the
    /// same number; the gradient is the Double one rounded to Float (half an ulp, 6e-8 relative).
    @Test func floatLogitsGiveTheDoubleLossAndARoundedGradient() {
        let (z, labels) = Self.logits(batch: 100, classes: 10, seed: 4)
        let zFloat = z.converted(to: Float.self)
        let (lossFloat, gradientFloat) = SoftmaxCrossEntropy.lossAndGradient(logits: zFloat, labels: labels)
        let (lossDouble, gradientDouble) = SoftmaxCrossEntropy.lossAndGradient(logits: zFloat.converted(to: Double.self), labels: labels)
        #expect(lossFloat == lossDouble)
        expectClose(gradientFloat.converted(to: Double.self), gradientDouble, relativeTolerance: 1e-7, absoluteTolerance: 1e-12)
    }

    @Test func perfectConfidenceCostsNothing() {
        let z = Tensor<Double>(shape: [2, 3], scalars: [80, 0, 0, 0, 0, 80])
        let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: z, labels: [0, 2])
        // log(1 + 2e^{-80}) ≈ 3.6e-35.
        #expect(loss >= 0 && loss < 1e-30)
        #expect(gradient.maxAbs() < 1e-30)
    }

    @Test func l2PenaltyIsHalfAlphaTimesTheSumOfSquaresOfThePenalizedTensors() {
        let a = Tensor<Float>(shape: [2], scalars: [1, -2]), b = Tensor<Float>(shape: [1, 1], scalars: [3])
        expectClose(SoftmaxCrossEntropy.l2Penalty([a, b], alpha: 1e-4), 0.5e-4 * 14, relativeTolerance: 1e-12)
        expectClose(SoftmaxCrossEntropy.l2Penalty([a, b], alpha: 0.5, penalized: [false, true]), 0.25 * 9, relativeTolerance: 1e-12)
        #expect(SoftmaxCrossEntropy.l2Penalty([a, b], alpha: 0) == 0)
    }

    /// The added gradient against central differences of the penalty (a quadratic: the
    /// differences are exact up to rounding, ≈ 1e-10 at step 1e-6), and only where penalized.
    @Test func l2GradientMatchesFiniteDifferencesAndRespectsTheMask() {
        var rng = Philox(seed: 5)
        let parameters = [Tensor<Double>.randomNormal(shape: [3, 2], using: &rng), .randomNormal(shape: [2], using: &rng)]
        let base = [Tensor<Double>.randomNormal(shape: [3, 2], using: &rng), .randomNormal(shape: [2], using: &rng)]
        let alpha = 0.3
        var gradients = base
        SoftmaxCrossEntropy.addL2Gradient(&gradients, parameters: parameters, alpha: alpha, penalized: [true, false])
        let numeric = finiteDifferences(parameters[0]) { SoftmaxCrossEntropy.l2Penalty([$0], alpha: alpha) }
        expectClose(gradients[0] - base[0], numeric, relativeTolerance: 1e-8, absoluteTolerance: 1e-9)
        #expect(gradients[1].scalars == base[1].scalars)
        var all = base
        SoftmaxCrossEntropy.addL2Gradient(&all, parameters: parameters, alpha: alpha)
        expectClose(all[1], base[1] + parameters[1] * alpha, relativeTolerance: 1e-15, absoluteTolerance: 0)
    }
}
