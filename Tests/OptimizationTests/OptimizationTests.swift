import Testing
import TensorCore
import _TestSupport
@testable import Optimization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct SGDTests {
    @Test func plainStepIsThetaMinusRateTimesGradient() {
        var sgd = SGD(learningRate: 0.1)
        var parameters = [Tensor<Double>(shape: [2], scalars: [1, -2]), Tensor<Double>(shape: [1], scalars: [3])]
        sgd.update(&parameters, gradients: [Tensor(shape: [2], scalars: [0.5, 0.25]), Tensor(shape: [1], scalars: [-1])])
        #expect(parameters[0].scalars == [1 - 0.1 * 0.5, -2 - 0.1 * 0.25])
        #expect(parameters[1].scalars == [3 + 0.1])
        #expect(sgd.step == 1)
    }

    /// The plain step is bit for bit `Tensor.add(_:scaledBy: −η)` (what the TNN trainer always did).
    @Test func plainStepMatchesAxpyBitForBit() {
        var rng = Philox(seed: 11)
        let theta = Tensor<Float>.randomNormal(shape: [7, 5], using: &rng)
        let gradient = Tensor<Float>.randomNormal(shape: [7, 5], using: &rng)
        var expected = theta
        expected.add(gradient, scaledBy: -0.03)
        var sgd = SGD(learningRate: 0.03)
        var parameters = [theta]
        sgd.update(&parameters, gradients: [gradient])
        #expect(parameters[0].scalars == expected.scalars)
    }

    /// Heavy-ball momentum on f(θ) = ½aθ² follows θ_{t+1} = (1 − ηa + μ)θ_t − μθ_{t−1}, whose
    /// closed form is c₁r₁ᵗ + c₂r₂ᵗ with r₁, r₂ the roots of z² − (1 − ηa + μ)z + μ; it converges.
    @Test func momentumOnAQuadraticMatchesTheClosedForm() {
        let a = 1.0, eta = 0.1, mu = 0.25
        let trace = 1 - eta * a + mu
        let root = (trace * trace - 4 * mu).squareRoot()
        let r1 = (trace + root) / 2, r2 = (trace - root) / 2
        let theta0 = 1.0, theta1 = theta0 - eta * a * theta0
        let c1 = (theta1 - r2 * theta0) / (r1 - r2), c2 = theta0 - c1
        var sgd = SGD(learningRate: eta, momentum: mu)
        var parameters = [Tensor<Double>(shape: [1], scalars: [theta0])]
        for t in 1...60 {
            sgd.update(&parameters, gradients: [Tensor(shape: [1], scalars: [a * parameters[0].scalars[0]])])
            let closedForm = c1 * pow(r1, Double(t)) + c2 * pow(r2, Double(t))
            #expect(abs(parameters[0].scalars[0] - closedForm) < 1e-12, "step \(t)")
        }
        #expect(abs(parameters[0].scalars[0]) < 1e-3)
    }

    @Test func nesterovFirstStepsByHand() {
        // a = 1, η = 0.1, μ = 0.9, θ₀ = 1: v₁ = 1, θ₁ = 1 − 0.1(1 + 0.9) = 0.81;
        // v₂ = 0.9 + 0.81 = 1.71, θ₂ = 0.81 − 0.1(0.81 + 0.9·1.71) = 0.5751.
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        var parameters = [Tensor<Double>(shape: [1], scalars: [1])]
        sgd.update(&parameters, gradients: [parameters[0]])
        #expect(abs(parameters[0].scalars[0] - 0.81) < 1e-15)
        sgd.update(&parameters, gradients: [parameters[0]])
        #expect(abs(parameters[0].scalars[0] - 0.5751) < 1e-15)
    }

    /// L2 decay adds λθ, the gradient of (λ/2)Σθ²: with a zero loss gradient θ shrinks by ηλθ.
    @Test func weightDecayIsTheL2Gradient() {
        var sgd = SGD(learningRate: 0.1, weightDecay: 0.1)
        var parameters = [Tensor<Double>(shape: [2], scalars: [2, -4])]
        sgd.update(&parameters, gradients: [Tensor(zeros: [2])])
        #expect(abs(parameters[0].scalars[0] - 1.98) < 1e-15 && abs(parameters[0].scalars[1] + 3.96) < 1e-15)
        // The same as plain descent on the gradient g + λθ.
        var plain = SGD(learningRate: 0.1)
        var reference = [Tensor<Double>(shape: [2], scalars: [2, -4])]
        plain.update(&reference, gradients: [Tensor(shape: [2], scalars: [0.5 + 0.2, 1 - 0.4])])
        var decayed = [Tensor<Double>(shape: [2], scalars: [2, -4])]
        var withDecay = SGD(learningRate: 0.1, weightDecay: 0.1)
        withDecay.update(&decayed, gradients: [Tensor(shape: [2], scalars: [0.5, 1])])
        expectClose(decayed[0], reference[0], relativeTolerance: 1e-15, absoluteTolerance: 1e-15)
    }

    /// Momentum buffers belong to slots: updating slot 5 alone leaves slot 2's buffer as it was.
    @Test func stateIsKeyedBySlot() {
        var sgd = SGD(learningRate: 0.1, momentum: 0.5)
        var pair = [Tensor<Double>(shape: [1], scalars: [0]), Tensor<Double>(shape: [1], scalars: [0])]
        let ones = [Tensor<Double>(shape: [1], scalars: [1]), Tensor<Double>(shape: [1], scalars: [1])]
        sgd.update(&pair, gradients: ones, slots: [2, 5])             // v₂ = v₅ = 1
        var five = [pair[1]]
        sgd.update(&five, gradients: [ones[1]], slots: [5])          // v₅ = 1.5
        var two = [pair[0]]
        sgd.update(&two, gradients: [ones[0]], slots: [2])           // v₂ = 1.5 as well
        #expect(abs(five[0].scalars[0] - two[0].scalars[0]) < 1e-15)
        #expect(abs(two[0].scalars[0] - (-0.1 - 0.15)) < 1e-15)
        #expect(sgd.step == 3)
    }

    @Test func descendUsesTheCurrentRateAndCountsNoStep() {
        var sgd = SGD(schedule: .exponentialDecay(initial: 1, rate: 0.5, decaySteps: 1, staircase: true))
        var scratch = [Tensor<Double>(zeros: [1])]
        sgd.update(&scratch, gradients: [Tensor(zeros: [1])])       // t = 1: η = 0.5
        var bond = Tensor<Double>(shape: [1], scalars: [1])
        sgd.descend(&bond, along: Tensor(shape: [1], scalars: [1]))
        #expect(bond.scalars == [0.5])
        #expect(sgd.step == 1)
    }
}

@Suite struct LearningRateScheduleTests {
    @Test func constant() {
        #expect(LearningRateSchedule.constant(0.1).learningRate(atStep: 0) == 0.1)
        #expect(LearningRateSchedule.constant(0.1).learningRate(atStep: 10_000) == 0.1)
    }

    /// The MPO-Net schedule, lr₀·0.99^(t/600).
    @Test func exponentialDecay() {
        let continuous = LearningRateSchedule.exponentialDecay(initial: 1e-3, rate: 0.99, decaySteps: 600)
        #expect(continuous.learningRate(atStep: 0) == 1e-3)
        #expect(abs(continuous.learningRate(atStep: 600) - 0.99e-3) < 1e-18)
        #expect(abs(continuous.learningRate(atStep: 300) - 1e-3 * 0.99.squareRoot()) < 1e-18)
        #expect(abs(continuous.learningRate(atStep: 6000) - 1e-3 * pow(0.99, 10)) < 1e-18)
        let stairs = LearningRateSchedule.exponentialDecay(initial: 1e-3, rate: 0.99, decaySteps: 600, staircase: true)
        #expect(stairs.learningRate(atStep: 599) == 1e-3)
        #expect(abs(stairs.learningRate(atStep: 600) - 0.99e-3) < 1e-18)
        #expect(abs(stairs.learningRate(atStep: 1799) - 1e-3 * 0.99 * 0.99) < 1e-18)
    }

    @Test func sgdFollowsItsSchedule() {
        var sgd = SGD(schedule: .exponentialDecay(initial: 0.1, rate: 0.5, decaySteps: 2, staircase: true))
        var parameters = [Tensor<Double>(zeros: [1])]
        var rates: [Double] = []
        for _ in 0..<5 {
            rates.append(sgd.learningRate)
            sgd.update(&parameters, gradients: [Tensor(shape: [1], scalars: [-1])])
        }
        #expect(rates == [0.1, 0.1, 0.05, 0.05, 0.025])
        #expect(abs(parameters[0].scalars[0] - 0.325) < 1e-15)
    }
}

@Suite struct AdamTests {
    /// The first two steps on a constant gradient g = 0.5, by the formula with its numbers
    /// (m₁ = 0.05, v₁ = 0.00025, α₁ = 1e-3·√(1 − 0.999)/(1 − 0.9)); the first step is ≈ η·sign(g).
    @Test func firstStepsByHand() {
        var adam = Adam(learningRate: 1e-3)
        var parameters = [Tensor<Double>(shape: [1], scalars: [1])]
        let g = [Tensor<Double>(shape: [1], scalars: [0.5])]
        adam.update(&parameters, gradients: g)
        let step1 = 1e-3 * (1 - 0.999).squareRoot() / (1 - 0.9) * 0.05 / (0.00025.squareRoot() + 1e-7)
        #expect(abs(parameters[0].scalars[0] - (1 - step1)) < 1e-15)
        #expect(abs(step1 - 1e-3) < 1e-8)
        adam.update(&parameters, gradients: g)
        let m2 = 0.9 * 0.05 + 0.1 * 0.5, v2 = 0.999 * 0.00025 + 0.001 * 0.25
        let step2 = 1e-3 * (1 - 0.999 * 0.999).squareRoot() / (1 - 0.81) * m2 / (v2.squareRoot() + 1e-7)
        #expect(abs(parameters[0].scalars[0] - (1 - step1 - step2)) < 1e-15)
        #expect(adam.step == 2)
    }

    /// Bit for bit the implementation the MPS gradient trainer used before it moved here
    /// (Float parameters, Double moments), over several steps and two tensors.
    @Test func matchesThePreviousImplementationBitForBit() {
        var rng = Philox(seed: 5)
        var parameters = [Tensor<Float>.randomNormal(shape: [3, 4], using: &rng), Tensor<Float>.randomNormal(shape: [6], using: &rng)]
        var reference = parameters
        var adam = Adam(learningRate: 1e-2, epsilon: 1e-7)
        var old = ReferenceAdam(learningRate: 1e-2, epsilon: 1e-7)
        for _ in 0..<25 {
            let gradients = parameters.map { Tensor<Float>.randomNormal(shape: $0.shape, using: &rng) }
            adam.update(&parameters, gradients: gradients)
            old.update(&reference, gradients: gradients)
        }
        #expect(parameters.map(\.scalars) == reference.map(\.scalars))
    }

    /// The step is a C kernel (vectorized, in two builds on x86-64): every length, with the vector
    /// body and the tail, with and without weight decay, in both precisions, must still be bit
    /// for bit the Swift loop it replaced.
    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 1000], [0.0, 1e-2])
    func stepKernelMatchesTheSwiftLoopBitForBit(count: Int, decay: Double) {
        var rng = Philox(seed: UInt64(count))
        func check<Scalar: BLASScalar>(_: Scalar.Type) {
            var parameters = [Tensor<Scalar>.randomNormal(shape: [count], using: &rng),
                              Tensor<Scalar>.randomNormal(shape: [count + 3], using: &rng)]
            var reference = parameters
            var adam = Adam(learningRate: 3e-3, epsilon: 1e-7, weightDecay: decay)
            var old = ReferenceAdam(learningRate: 3e-3, epsilon: 1e-7, decay: decay)
            for _ in 0..<6 {
                let gradients = parameters.map { Tensor<Scalar>.randomNormal(shape: $0.shape, using: &rng) }
                adam.update(&parameters, gradients: gradients)
                old.update(&reference, gradients: gradients)
            }
            #expect(parameters.flatMap(\.scalars) == reference.flatMap(\.scalars), "\(Scalar.self)")
        }
        check(Float.self)
        check(Double.self)
    }

    /// optax's form: θ ← θ − η·m̂/(√v̂ + ε) on the bias-corrected moments, by hand for three steps
    /// with a gradient small enough (1e-7) that where ε sits changes the step by a factor ≈ 2.
    @Test func biasCorrectedEpsilonMatchesOptaxByHand() {
        var adam = Adam(learningRate: 1e-3, epsilon: 1e-8, epsilonPlacement: .biasCorrected)
        var keras = Adam(learningRate: 1e-3, epsilon: 1e-8)
        var parameters = [Tensor<Double>(shape: [1], scalars: [1])]
        var other = parameters
        var expected = 1.0, m = 0.0, v = 0.0
        for (t, g) in [1e-7, -2e-7, 3e-7].enumerated() {
            adam.update(&parameters, gradients: [Tensor(shape: [1], scalars: [g])])
            keras.update(&other, gradients: [Tensor(shape: [1], scalars: [g])])
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let n = Double(t + 1)
            let mHat = m / (1 - pow(0.9, n)), vHat = v / (1 - pow(0.999, n))
            expected -= 1e-3 * mHat / (vHat.squareRoot() + 1e-8)
            expectClose(parameters[0].scalars[0], expected, relativeTolerance: 0, absoluteTolerance: 1e-15)
        }
        #expect(abs(other[0].scalars[0] - expected) > 1e-5)
    }

    /// Two parameters, one with a gradient far below ε (1e-9) and one of order 1, two steps:
    /// v̂ = v / (1 − β₂ᵗ) equals g² for a constant g, so the RMS of √v̂ is √((g₁² + g₂²)/2); the
    /// small one's √v (uncorrected) or √v̂ (corrected) is below ε = 1e-8, the large one's not.
    @Test(arguments: Adam.EpsilonPlacement.allCases)
    func secondMomentsAgainstEpsilon(placement: Adam.EpsilonPlacement) {
        var adam = Adam(learningRate: 1e-3, epsilon: 1e-8, epsilonPlacement: placement)
        #expect(adam.secondMoments() == nil)
        var parameters = [Tensor<Double>(shape: [2], scalars: [0, 0])]
        let g = Tensor<Double>(shape: [2], scalars: [1e-9, 0.5])
        adam.update(&parameters, gradients: [g])
        adam.update(&parameters, gradients: [g])
        let moments = adam.secondMoments()!
        #expect(moments.parameters == 2 && moments.shareBelowEpsilon == 0.5)
        expectClose(moments.rootMeanSquare, ((1e-18 + 0.25) / 2).squareRoot(), relativeTolerance: 1e-12)
        // A gradient between √(1 − β₂ᵗ)·ε and ε: below ε only in the corrected placement
        // (√v = √(1 − β₂)·g after one step, √v̂ = g).
        var single = Adam(learningRate: 1e-3, epsilon: 1e-8, epsilonPlacement: placement)
        var one = [Tensor<Double>(shape: [1], scalars: [0])]
        single.update(&one, gradients: [Tensor(shape: [1], scalars: [5e-9])])
        #expect(single.secondMoments()!.shareBelowEpsilon == 1)
        var middle = Adam(learningRate: 1e-3, epsilon: 1e-8, epsilonPlacement: placement)
        middle.update(&one, gradients: [Tensor(shape: [1], scalars: [1e-7])])
        // √v = √0.001·1e-7 ≈ 3.2e-9 < ε (uncorrected); √v̂ = 1e-7 > ε (corrected).
        #expect(middle.secondMoments()!.shareBelowEpsilon == (placement == .uncorrected ? 1 : 0))
    }

    @Test func weightDecayAddsTheL2Gradient() {
        // With λθ added, a zero loss gradient still moves θ towards 0 (by ≈ η on the first step).
        var adam = Adam(learningRate: 1e-3, weightDecay: 0.1)
        var parameters = [Tensor<Double>(shape: [1], scalars: [2])]
        adam.update(&parameters, gradients: [Tensor(zeros: [1])])
        var plain = Adam(learningRate: 1e-3)
        var reference = [Tensor<Double>(shape: [1], scalars: [2])]
        plain.update(&reference, gradients: [Tensor(shape: [1], scalars: [0.2])])
        #expect(parameters[0].scalars == reference[0].scalars)
        #expect(parameters[0].scalars[0] < 2)
    }
}

/// The Adam update as it was written in `TensorNetworks` (kept verbatim as the reference).
private struct ReferenceAdam {
    var learningRate: Double, beta1 = 0.9, beta2 = 0.999, epsilon: Double
    /// The L2 term as `Adam` added it to the gradient before its step moved to C.
    var decay: Double
    var step = 0
    var m: [[Double]] = [], v: [[Double]] = []

    init(learningRate: Double, epsilon: Double, decay: Double = 0) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.decay = decay
    }

    mutating func update<Scalar: BLASScalar>(_ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>]) {
        if m.isEmpty {
            m = parameters.map { [Double](repeating: 0, count: $0.count) }
            v = m
        }
        step += 1
        let t = Double(step)
        let alpha = learningRate * (1 - power(beta2, t)).squareRoot() / (1 - power(beta1, t))
        let b1 = beta1, b2 = beta2, eps = epsilon, decay = decay
        for k in parameters.indices {
            m[k].withUnsafeMutableBufferPointer { mk in
                v[k].withUnsafeMutableBufferPointer { vk in
                    gradients[k].withUnsafeBufferPointer { g in
                        parameters[k].withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                var gi = Double(g[i])
                                if decay != 0 { gi += decay * Double(p[i]) }
                                let mi = b1 * mk[i] + (1 - b1) * gi
                                let vi = b2 * vk[i] + (1 - b2) * gi * gi
                                mk[i] = mi
                                vk[i] = vi
                                p[i] -= Scalar(alpha * mi / (vi.squareRoot() + eps))
                            }
                        }
                    }
                }
            }
        }
    }

    func power(_ x: Double, _ y: Double) -> Double {
        var result = 1.0, base = x, n = Int(y)
        while n > 0 {
            if n & 1 == 1 { result *= base }
            base *= base
            n >>= 1
        }
        return result
    }
}

/// An optimizer saved between two steps and restored into a fresh one with the same settings
/// takes the same next steps: its step count and moments are all it carries.
@Suite struct OptimizerCheckpointTests {
    static func gradients(_ k: Int) -> [Tensor<Float>] {
        var rng = Philox(seed: UInt64(k))
        return [Tensor<Float>.randomNormal(shape: [3, 2], using: &rng), Tensor<Float>.randomNormal(shape: [4], using: &rng)]
    }

    func expectResumesExactly<O: Optimizer>(_ make: () -> O) throws {
        var original = make()
        var parameters = [Tensor<Float>(shape: [3, 2], repeating: 0.5), Tensor<Float>(shape: [4], repeating: -0.25)]
        for k in 0..<3 { original.update(&parameters, gradients: Self.gradients(k)) }
        var state = TrainingState()
        original.save(into: &state, prefix: "opt")
        var restored = make()
        try restored.restore(from: state, prefix: "opt")
        #expect(restored.step == 3)
        var copy = parameters
        for k in 3..<6 {
            original.update(&parameters, gradients: Self.gradients(k))
            restored.update(&copy, gradients: Self.gradients(k))
        }
        #expect(parameters.flatMap(\.scalars).map(\.bitPattern) == copy.flatMap(\.scalars).map(\.bitPattern))
        var empty = make()
        #expect(throws: TrainingStateError.self) { try empty.restore(from: TrainingState(), prefix: "opt") }
    }

    @Test func sgdWithMomentum() throws {
        try expectResumesExactly { SGD(schedule: .exponentialDecay(initial: 0.1, rate: 0.9, decaySteps: 2, staircase: false), momentum: 0.9) }
    }

    @Test func adam() throws { try expectResumesExactly { Adam(learningRate: 0.01) } }
}
