import Testing
import TensorCore
import _TestSupport
@testable import TensorNetworks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small random MPS classifier with the label on `labelSite`, d-dimensional features and random
/// data, in Double.
private func problem(
    sites: Int = 6, bond: Int = 3, labels: Int = 3, labelSite: Int, samples: Int = 6, map: FeatureMap = .polynomial(degree: 2),
    seed: UInt64 = 3, scale: Double = 0.7
) -> (mps: MPSClassifier<Double>, features: Tensor<Double>, labels: [Int]) {
    var rng = Philox(seed: seed, stream: 11)
    let d = map.dimension
    let bonds = [1] + [Int](repeating: bond, count: sites - 1) + [1]
    let cores = (0..<sites).map { j -> Tensor<Double> in
        let shape = j == labelSite ? [bonds[j], d, labels, bonds[j + 1]] : [bonds[j], d, bonds[j + 1]]
        return Tensor<Double>.randomNormal(shape: shape, mean: 0, standardDeviation: scale, using: &rng)
    }
    let pixels = Tensor<Double>.randomUniform(shape: [samples, sites], using: &rng)
    let y = (0..<samples).map { _ in rng.nextInt(below: labels) }
    let mps = MPSClassifier(cores: cores, labelSite: labelSite, labelCount: labels, featureMap: map)
    return (mps, map.siteFeatures(pixels, as: Double.self), y)
}

private func engine(_ mps: MPSClassifier<Double>, capacity: Int, numerics: ContractionNumerics) -> MPSGradientEngine<Double> {
    MPSGradientEngine(bondDimensions: mps.bondDimensions, physicalDimension: mps.physicalDimension,
                      labelCount: mps.labelCount, labelSite: mps.labelSite, batchCapacity: capacity, numerics: numerics)
}

/// Central finite differences of `loss` in every core entry, compared with `gradients`.
private func expectGradient(
    _ gradients: [Tensor<Double>], of loss: ([Tensor<Double>]) -> Double, at cores: [Tensor<Double>],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let h = 1e-6
    for j in cores.indices {
        for i in 0..<cores[j].count {
            var plus = cores, minus = cores
            plus[j].withUnsafeMutableBufferPointer { $0[i] += h }
            minus[j].withUnsafeMutableBufferPointer { $0[i] -= h }
            let numeric = (loss(plus) - loss(minus)) / (2 * h)
            expectClose(gradients[j].scalars[i], numeric, relativeTolerance: 1e-6, absoluteTolerance: 1e-9,
                        "core \(j) entry \(i)", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct MPSGradientLabelSiteTests {
    /// The logits with the label anywhere equal the classifier's own environment contraction.
    @Test(arguments: ContractionNumerics.allCases, [0, 1, 3, 5])
    func logitsMatchClassifierEvaluation(numerics: ContractionNumerics, labelSite: Int) {
        let p = problem(labelSite: labelSite)
        let logits = engine(p.mps, capacity: 4, numerics: numerics).logits(cores: p.mps.cores, features: p.features, samples: Array(0..<6))
        let expected = p.mps.evaluate(features: p.features)
        for i in 0..<logits.count {
            expectClose(logits[i], expected.scalars[i], relativeTolerance: 1e-12, absoluteTolerance: 1e-14)
        }
    }

    /// Cross-entropy gradients with the label in the chain and at either end, against finite differences.
    @Test(arguments: ContractionNumerics.allCases, [1, 3, 5])
    func crossEntropyGradientMatchesFiniteDifferences(numerics: ContractionNumerics, labelSite: Int) {
        let p = problem(labelSite: labelSite)
        let batch = [0, 2, 3, 5]
        let e = engine(p.mps, capacity: 4, numerics: numerics)
        var gradients: [Tensor<Double>] = []
        let result = e.lossAndGradient(cores: p.mps.cores, features: p.features, labels: p.labels, batch: batch, gradients: &gradients)
        #expect(result.isFinite)
        let loss = { (cores: [Tensor<Double>]) in e.evaluate(cores: cores, features: p.features, labels: p.labels, samples: batch).loss }
        expectClose(loss(p.mps.cores), result.loss, relativeTolerance: 1e-12)
        expectGradient(gradients, of: loss, at: p.mps.cores)
    }

    /// Cross-entropy of the unit logits f/‖f‖ (tn4ml's loss): the value from the formula, the gradient
    /// through the normalization against finite differences.
    @Test(arguments: ContractionNumerics.allCases)
    func unitLogitGradientMatchesFiniteDifferences(numerics: ContractionNumerics) {
        let p = problem(labelSite: 2)
        let batch = [0, 1, 3, 4]
        let e = engine(p.mps, capacity: 4, numerics: numerics)
        e.normalizesLogits = true
        var gradients: [Tensor<Double>] = []
        let result = e.lossAndGradient(cores: p.mps.cores, features: p.features, labels: p.labels, batch: batch, gradients: &gradients)
        #expect(result.isFinite)
        let logits = e.logits(cores: p.mps.cores, features: p.features, samples: batch)
        var expected = 0.0
        for (b, n) in batch.enumerated() {
            let f = Array(logits[(b * 3)..<(b * 3 + 3)]), norm = f.map { $0 * $0 }.reduce(0, +).squareRoot()
            let u = f.map { $0 / norm }, z = u.map { exp($0) }.reduce(0, +)
            expected += log(z) - u[p.labels[n]]
        }
        expectClose(result.loss, expected / 4, relativeTolerance: 1e-12)
        let loss = { (cores: [Tensor<Double>]) in e.evaluate(cores: cores, features: p.features, labels: p.labels, samples: batch).loss }
        expectGradient(gradients, of: loss, at: p.mps.cores)
    }

    /// The distillation loss (mean KL from target distributions, temperature 2) and its gradient.
    @Test(arguments: ContractionNumerics.allCases, [0, 2])
    func distillationGradientMatchesFiniteDifferences(numerics: ContractionNumerics, labelSite: Int) {
        let p = problem(sites: 5, labelSite: labelSite, map: .linear)
        var rng = Philox(seed: 9, stream: 1)
        let teacher = Tensor<Double>.randomNormal(shape: [6, 3], mean: 0, standardDeviation: 2, using: &rng)
        let q = Softmax.probabilities(logits: teacher, temperature: 2).scalars
        let targets = TrainingTargets.distributions(probabilities: q, temperature: 2)
        let batch = [1, 2, 4]
        let e = engine(p.mps, capacity: 3, numerics: numerics)
        var gradients: [Tensor<Double>] = []
        let result = e.lossAndGradient(cores: p.mps.cores, features: p.features, targets: targets, batch: batch, gradients: &gradients)
        #expect(result.isFinite)
        // The loss is the mean of the per-sample divergences of the student's softmax at T = 2.
        let logits = e.logits(cores: p.mps.cores, features: p.features, samples: batch)
        var expected = 0.0
        for (b, n) in batch.enumerated() {
            expected += Softmax.klDivergence(target: Array(q[(n * 3)..<(n * 3 + 3)]), logits: Array(logits[(b * 3)..<(b * 3 + 3)]), temperature: 2).value
        }
        expectClose(result.loss, expected / 3, relativeTolerance: 1e-12)
        let loss = { (cores: [Tensor<Double>]) in e.evaluate(cores: cores, features: p.features, targets: targets, samples: batch).loss }
        expectGradient(gradients, of: loss, at: p.mps.cores)
    }

    /// Log-scaled and plain contraction agree with the label in the middle of a long chain (Float).
    @Test func logScaledMatchesPlainInTheMiddle() {
        let p = problem(sites: 40, bond: 4, labels: 10, labelSite: 20, samples: 7, map: .trigonometric, seed: 5, scale: 0.5)
        let cores = p.mps.cores.map { $0.converted(to: Float.self) }
        let features = p.features.converted(to: Float.self)
        func make(_ numerics: ContractionNumerics) -> MPSGradientEngine<Float> {
            MPSGradientEngine(bondDimensions: p.mps.bondDimensions, physicalDimension: 2, labelCount: 10, labelSite: 20,
                              batchCapacity: 7, numerics: numerics)
        }
        let plain = make(.plain), scaled = make(.logscaled)
        let a = plain.logits(cores: cores, features: features, samples: Array(0..<7))
        let b = scaled.logits(cores: cores, features: features, samples: Array(0..<7))
        #expect(a.allSatisfy { $0.isFinite && $0 != 0 })
        for i in a.indices { expectClose(b[i], a[i], relativeTolerance: 1e-5, absoluteTolerance: 0) }
        var ga: [Tensor<Float>] = [], gb: [Tensor<Float>] = []
        let ra = plain.lossAndGradient(cores: cores, features: features, labels: p.labels, batch: Array(0..<7), gradients: &ga)
        let rb = scaled.lossAndGradient(cores: cores, features: features, labels: p.labels, batch: Array(0..<7), gradients: &gb)
        #expect(ra.isFinite && rb.isFinite)
        for j in ga.indices {
            let scale = Double(ga[j].scalars.map { abs($0) }.max()!)
            for i in 0..<ga[j].count {
                expectClose(Double(gb[j].scalars[i]), Double(ga[j].scalars[i]), relativeTolerance: 1e-4, absoluteTolerance: scale * 1e-5)
            }
        }
    }
}

extension MPSGradientLabelSiteTests {
    /// Where float32 underflows (outputs ≈ 1e-44 over 120 sites, label on site 60), log-scaled
    /// float32 reproduces the Double logits.
    @Test func logScaledSurvivesUnderflowInTheMiddle() {
        let p = problem(sites: 120, bond: 3, labels: 4, labelSite: 60, samples: 5, map: .trigonometric, seed: 8, scale: 0.25)
        let batch = Array(0..<5)
        let reference = MPSGradientEngine<Double>(bondDimensions: p.mps.bondDimensions, physicalDimension: 2, labelCount: 4,
                                                  labelSite: 60, batchCapacity: 5, numerics: .plain)
            .logits(cores: p.mps.cores, features: p.features, samples: batch)
        #expect(reference.allSatisfy { abs($0) < 1e-38 && $0 != 0 }, "outputs below float32's range: \(reference.prefix(3))")
        let cores = p.mps.cores.map { $0.converted(to: Float.self) }, features = p.features.converted(to: Float.self)
        let plain = floatEngine(p.mps, cores, .plain).logits(cores: cores, features: features, samples: batch)
        #expect(plain.allSatisfy { abs($0) < 1e-37 }, "float32 plain underflows: \(plain.prefix(3))")
        let logits = floatEngine(p.mps, cores, .logscaled).logits(cores: cores, features: features, samples: batch)
        for i in reference.indices { expectClose(logits[i], reference[i], relativeTolerance: 1e-3, absoluteTolerance: 0) }
    }

    /// A chain whose left half shrinks to ≈ 1e-45 and whose right half grows to ≈ 1e+35: the outputs and
    /// the gradients are in float32's range, the left environments are not. Log-scaled float32
    /// reproduces the Double gradients; plain float32 loses the left environments.
    @Test func logScaledGradientsSurviveAnUnderflowingHalf() {
        var p = problem(sites: 120, bond: 3, labels: 4, labelSite: 60, samples: 5, map: .trigonometric, seed: 8, scale: 1)
        for j in p.mps.cores.indices where j != 60 {
            let factor = j < 60 ? 0.1 : 2.1
            p.mps.cores[j] = p.mps.cores[j].map { $0 * factor }
        }
        let batch = Array(0..<5)
        let double = MPSGradientEngine<Double>(bondDimensions: p.mps.bondDimensions, physicalDimension: 2, labelCount: 4,
                                               labelSite: 60, batchCapacity: 5, numerics: .plain)
        let reference = double.logits(cores: p.mps.cores, features: p.features, samples: batch)
        var referenceGradients: [Tensor<Double>] = []
        double.lossAndGradient(cores: p.mps.cores, features: p.features, labels: p.labels, batch: batch, gradients: &referenceGradients)
        #expect(reference.allSatisfy { abs($0) > 1e-30 && abs($0) < 1e30 }, "outputs in float32's range: \(reference.prefix(3))")
        let cores = p.mps.cores.map { $0.converted(to: Float.self) }, features = p.features.converted(to: Float.self)
        let plain = floatEngine(p.mps, cores, .plain).logits(cores: cores, features: features, samples: batch)
        #expect(zip(plain, reference).contains { abs($0 - $1) > 1e-2 * abs($1) }, "plain float32 loses the left half")
        let scaled = floatEngine(p.mps, cores, .logscaled)
        let logits = scaled.logits(cores: cores, features: features, samples: batch)
        for i in reference.indices { expectClose(logits[i], reference[i], relativeTolerance: 1e-3, absoluteTolerance: 0) }
        var gradients: [Tensor<Float>] = []
        #expect(scaled.lossAndGradient(cores: cores, features: features, labels: p.labels, batch: batch, gradients: &gradients).isFinite)
        for j in gradients.indices {
            let reference = referenceGradients[j].scalars
            let size = reference.map { abs($0) }.max()!
            #expect(size > 1e-30 && size < 1e30, "core \(j): gradients in float32's range")
            for i in reference.indices {
                expectClose(Double(gradients[j].scalars[i]), reference[i], relativeTolerance: 1e-3, absoluteTolerance: size * 1e-3,
                            "core \(j) entry \(i)")
            }
        }
    }

    /// Chains of at least ``MPSGradientEngine/concurrentChainsMinimumSites`` cores and a batch of
    /// at least ``MPSGradientEngine/concurrentChainsMinimumFlops`` with BLAS on two threads run
    /// concurrently (the forward chains from both ends, the backward sweeps to both ends); on one
    /// thread in turn. Loss, gradients and logits: the same bits.
    @Test(arguments: ContractionNumerics.allCases)
    func concurrentChainsGiveTheSequentialBits(numerics: ContractionNumerics) {
        let p = problem(sites: 70, bond: 12, labels: 4, labelSite: 34, samples: 40, seed: 9, scale: 0.2)
        let e = engine(p.mps, capacity: 32, numerics: numerics)
        let batch = Array(4..<36)
        #expect(e.flopsPerTrainingBatch(batch.count) >= MPSGradientEngine<Double>.concurrentChainsMinimumFlops)
        func run(_ threads: Int) -> [Double] {
            withBLASThreads(threads) {
                #expect(e.workers(batch: batch.count) == threads)
                var gradients: [Tensor<Double>] = []
                let result = e.lossAndGradient(cores: p.mps.cores, features: p.features, labels: p.labels, batch: batch,
                                               gradients: &gradients)
                #expect(result.isFinite)
                let logits = e.logits(cores: p.mps.cores, features: p.features, samples: Array(0..<40))
                return [result.loss] + gradients.flatMap(\.scalars) + logits
            }
        }
        let (one, two) = (run(1), run(2))
        #expect(one.count == two.count && one.count > 25_000)
        #expect(one.withUnsafeBytes { Array($0) } == two.withUnsafeBytes { Array($0) })
    }

    private func floatEngine(_ mps: MPSClassifier<Double>, _ cores: [Tensor<Float>], _ numerics: ContractionNumerics) -> MPSGradientEngine<Float> {
        MPSGradientEngine(bondDimensions: mps.bondDimensions, physicalDimension: mps.physicalDimension, labelCount: mps.labelCount,
                          labelSite: mps.labelSite, batchCapacity: 5, numerics: numerics)
    }
}

@Suite struct FeatureMapTests {
    @Test func formulas() {
        let x = 0.3
        expectClose(FeatureMap.polynomial(degree: 2)(x), [1, 0.3, 0.09], relativeTolerance: 1e-15)
        expectClose(FeatureMap.trigonometric(x), [cos(Double.pi * 0.15), sin(Double.pi * 0.15)], relativeTolerance: 1e-15)
        expectClose(FeatureMap.linear(x), [0.7, 0.3], relativeTolerance: 1e-15)
        // Legendre: P₂(x) = (3x² − 1)/2, P₃(x) = (5x³ − 3x)/2.
        expectClose(FeatureMap.legendre(degree: 3)(x), [1, x, (3 * x * x - 1) / 2, (5 * x * x * x - 3 * x) / 2], relativeTolerance: 1e-14)
        // Gaussian RBF: normalized exp(−γ(x − c)²).
        let v = [0.0, 0.5, 1.0].map { exp(-4 * (x - $0) * (x - $0)) }
        let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        expectClose(FeatureMap.gaussianRBF(centers: [0, 0.5, 1], gamma: 4)(x), v.map { $0 / norm }, relativeTolerance: 1e-14)
        // Normalized: unit length, the same direction.
        let p = [1, x, x * x], pn = (1 + x * x + x * x * x * x).squareRoot()
        expectClose(FeatureMap.normalized(.polynomial(degree: 2))(x), p.map { $0 / pn }, relativeTolerance: 1e-15)
        #expect(FeatureMap.normalized(.legendre(degree: 3)).dimension == 4)
    }

    /// tn4ml's Fourier map is a Dirichlet kernel: φ(j/(p − 1)) is the j-th unit vector, and for p = 2
    /// it is [|cos(πx/2)|, |sin(πx/2)|].
    @Test(arguments: [2, 3, 5])
    func fourierIsAKernel(p: Int) {
        let map = FeatureMap.fourier(p)
        for j in 0..<p {
            let phi = map(Double(j) / Double(p - 1))
            for i in 0..<p { expectClose(phi[i], i == j ? 1 : 0, relativeTolerance: 0, absoluteTolerance: 1e-12) }
        }
        if p == 2 {
            let x = 0.37
            expectClose(map(x), [abs(cos(Double.pi * x / 2)), abs(sin(Double.pi * x / 2))], relativeTolerance: 1e-12, absoluteTolerance: 1e-15)
        }
    }

    @Test func siteFeaturesLayout() {
        let pixels = Tensor<Double>(shape: [2, 3], scalars: [0, 0.5, 1, 0.25, 0.75, 0.1])
        let f = FeatureMap.polynomial(degree: 2).siteFeatures(pixels, as: Double.self)
        #expect(f.shape == [3, 2, 3])
        expectClose(Array(f.scalars[((1 * 2 + 1) * 3)..<((1 * 2 + 1) * 3 + 3)]), [1, 0.75, 0.5625], relativeTolerance: 1e-15)
        #expect(!FeatureMap.fourier(1).isValid && !FeatureMap.gaussianRBF(centers: [], gamma: 1).isValid)
    }
}
