import Optimization
import Testing
import TensorCore
import _TestSupport
@testable import TensorNetworks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small random MPS classifier (label on site 0) and random data, in Double.
private func tinyProblem(
    sites: Int = 5, bond: Int = 3, labels: Int = 3, samples: Int = 6, seed: UInt64 = 1, scale: Double = 0.8
) -> (cores: [Tensor<Double>], features: Tensor<Double>, labels: [Int]) {
    var rng = Philox(seed: seed, stream: 7)
    let shapes = MatchedInitializer.uniformShapes(siteCount: sites, bondDimension: bond, physical: 2, labelCount: labels)
    let cores = shapes.map { Tensor<Double>.randomNormal(shape: $0, mean: 0, standardDeviation: scale, using: &rng) }
    let pixels = Tensor<Double>.randomUniform(shape: [samples, sites], using: &rng)
    let features: Tensor<Double> = FeatureMap.trigonometric.siteFeatures(pixels, as: Double.self)
    let y = (0..<samples).map { _ in rng.nextInt(below: labels) }
    return (cores, features, y)
}

private func engine(for cores: [Tensor<Double>], capacity: Int, numerics: ContractionNumerics) -> MPSGradientEngine<Double> {
    let bonds = [1] + cores.map { $0.shape.last! }
    return MPSGradientEngine(bondDimensions: bonds, physicalDimension: 2, labelCount: cores[0].shape[2],
                             batchCapacity: capacity, numerics: numerics)
}

/// The logits by a naïve full contraction, one sample at a time (the oracle).
private func naiveLogits(_ cores: [Tensor<Double>], _ features: Tensor<Double>, sample n: Int) -> [Double] {
    let l = cores.count, count = features.shape[1], c = cores[0].shape[2]
    let phi = features.scalars
    func f(_ j: Int, _ s: Int) -> Double { phi[(j * count + n) * 2 + s] }
    // right vector from the end
    var w = [1.0]
    for j in stride(from: l - 1, through: 1, by: -1) {
        let a = cores[j].scalars, dl = cores[j].shape[0], dr = cores[j].shape[2]
        var next = [Double](repeating: 0, count: dl)
        for a0 in 0..<dl { for s in 0..<2 { for r in 0..<dr { next[a0] += a[(a0 * 2 + s) * dr + r] * f(j, s) * w[r] } } }
        w = next
    }
    let a = cores[0].scalars, dr = cores[0].shape[3]
    return (0..<c).map { k in
        var t = 0.0
        for s in 0..<2 { for r in 0..<dr { t += a[(s * c + k) * dr + r] * f(0, s) * w[r] } }
        return t
    }
}

@Suite struct MPSGradientTests {
    @Test(arguments: ContractionNumerics.allCases)
    func forwardMatchesNaiveContraction(numerics: ContractionNumerics) {
        let p = tinyProblem(sites: 7, bond: 4, samples: 5)
        let e = engine(for: p.cores, capacity: 5, numerics: numerics)
        let logits = e.logits(cores: p.cores, features: p.features, samples: Array(0..<5))
        for n in 0..<5 {
            let expected = naiveLogits(p.cores, p.features, sample: n)
            for k in 0..<3 { expectClose(logits[n * 3 + k], expected[k], relativeTolerance: 1e-12, absoluteTolerance: 1e-14) }
        }
    }

    /// The batched gradient against central finite differences of the mean cross-entropy (Double).
    @Test(arguments: ContractionNumerics.allCases)
    func gradientMatchesFiniteDifferences(numerics: ContractionNumerics) {
        let p = tinyProblem()
        let batch = [0, 2, 3, 5]
        let e = engine(for: p.cores, capacity: 4, numerics: numerics)
        var gradients: [Tensor<Double>] = []
        let result = e.lossAndGradient(cores: p.cores, features: p.features, labels: p.labels, batch: batch, gradients: &gradients)
        #expect(result.isFinite)
        func loss(_ cores: [Tensor<Double>]) -> Double {
            e.evaluate(cores: cores, features: p.features, labels: p.labels, samples: batch).loss
        }
        expectClose(loss(p.cores), result.loss, relativeTolerance: 1e-12)
        let h = 1e-6
        for j in p.cores.indices {
            for i in 0..<p.cores[j].count {
                var plus = p.cores, minus = p.cores
                plus[j].withUnsafeMutableBufferPointer { $0[i] += h }
                minus[j].withUnsafeMutableBufferPointer { $0[i] -= h }
                let numeric = (loss(plus) - loss(minus)) / (2 * h)
                let analytic = gradients[j].scalars[i]
                expectClose(analytic, numeric, relativeTolerance: 1e-6, absoluteTolerance: 1e-9, "core \(j) entry \(i)")
            }
        }
    }

    /// With rank regularizers: gradients of (cross-entropy of the masked model + penalty) with
    /// respect to the raw cores and the soft bond dimensions.
    @Test(arguments: ContractionNumerics.allCases)
    func regularizedGradientMatchesFiniteDifferences(numerics: ContractionNumerics) {
        let p = tinyProblem()
        let batch = [1, 2, 4]
        var reg = RankRegularizer(bondCount: 4, maxBondDimension: 3, sharpness: 0.5, penaltyWeight: 0.3)
        reg.softDimensions = Tensor(shape: [4], scalars: [2.3, 1.7, 2.9, 2.2])
        let e = engine(for: p.cores, capacity: 3, numerics: numerics)
        var gradients: [Tensor<Double>] = []
        let r = e.lossAndGradient(cores: reg.maskedCores(p.cores), features: p.features, labels: p.labels,
                                  batch: batch, gradients: &gradients)
        #expect(r.isFinite)
        var softGradient = reg.backpropagate(cores: p.cores, gradients: &gradients)
        softGradient += reg.penalty(physicalDimension: 2, labelCount: 3).gradient
        func total(_ cores: [Tensor<Double>], _ s: Tensor<Double>) -> Double {
            var rr = reg
            rr.softDimensions = s
            return e.evaluate(cores: rr.maskedCores(cores), features: p.features, labels: p.labels, samples: batch).loss
                + rr.penalty(physicalDimension: 2, labelCount: 3).value
        }
        let h = 1e-6
        for j in p.cores.indices {
            for i in 0..<p.cores[j].count {
                var plus = p.cores, minus = p.cores
                plus[j].withUnsafeMutableBufferPointer { $0[i] += h }
                minus[j].withUnsafeMutableBufferPointer { $0[i] -= h }
                let numeric = (total(plus, reg.softDimensions) - total(minus, reg.softDimensions)) / (2 * h)
                expectClose(gradients[j].scalars[i], numeric, relativeTolerance: 1e-6, absoluteTolerance: 1e-9, "core \(j) entry \(i)")
            }
        }
        for i in 0..<4 {
            var plus = reg.softDimensions, minus = reg.softDimensions
            plus.withUnsafeMutableBufferPointer { $0[i] += h }
            minus.withUnsafeMutableBufferPointer { $0[i] -= h }
            let numeric = (total(p.cores, plus) - total(p.cores, minus)) / (2 * h)
            expectClose(softGradient.scalars[i], numeric, relativeTolerance: 1e-6, absoluteTolerance: 1e-9, "soft dimension \(i)")
        }
    }

    /// Log-scaled and plain contraction agree wherever plain is finite, in Float and Double.
    @Test(arguments: [(20, 4), (60, 3), (40, 6)])
    func logScaledMatchesPlain(sites: Int, bond: Int) {
        let p = tinyProblem(sites: sites, bond: bond, labels: 10, samples: 9, seed: UInt64(sites), scale: 0.5)
        let samples = Array(0..<9)
        let plain = engine(for: p.cores, capacity: 4, numerics: .plain).logits(cores: p.cores, features: p.features, samples: samples)
        let scaled = engine(for: p.cores, capacity: 4, numerics: .logscaled).logits(cores: p.cores, features: p.features, samples: samples)
        #expect(plain.allSatisfy { $0.isFinite && $0 != 0 })
        for i in plain.indices { expectClose(scaled[i], plain[i], relativeTolerance: 1e-12, absoluteTolerance: 0) }

        let coresF = p.cores.map { $0.converted(to: Float.self) }
        let featuresF = p.features.converted(to: Float.self)
        let bonds = [1] + coresF.map { $0.shape.last! }
        let scaledF = MPSGradientEngine<Float>(bondDimensions: bonds, physicalDimension: 2, labelCount: 10, batchCapacity: 9,
                                               numerics: .logscaled).logits(cores: coresF, features: featuresF, samples: samples)
        for i in plain.indices { expectClose(scaledF[i], plain[i], relativeTolerance: 1e-3, absoluteTolerance: 0) }
    }

    /// Where float32 underflows (a Glorot-matched MPS over 196 sites at D = 2), log-scaled float32
    /// still reproduces the Double logits.
    @Test func logScaledSurvivesUnderflow() {
        var rng = Philox(seed: 3, stream: 1)
        let mps: MPSClassifier<Double> = MatchedInitializer.mps(
            target: .glorot, siteCount: 196, bondDimension: 2, labelCount: 10, featureMap: .trigonometric, using: &rng)
        let pixels = Tensor<Double>.randomUniform(shape: [4, 196], using: &rng)
        let features: Tensor<Double> = FeatureMap.trigonometric.siteFeatures(pixels, as: Double.self)
        let samples = Array(0..<4)
        let reference = MPSGradientEngine<Double>(bondDimensions: mps.bondDimensions, physicalDimension: 2, labelCount: 10,
                                                  batchCapacity: 4, numerics: .logscaled)
            .logits(cores: mps.cores, features: features, samples: samples)
        let coresF = mps.cores.map { $0.converted(to: Float.self) }
        let featuresF = features.converted(to: Float.self)
        let plainF = MPSGradientEngine<Float>(bondDimensions: mps.bondDimensions, physicalDimension: 2, labelCount: 10,
                                              batchCapacity: 4, numerics: .plain).logits(cores: coresF, features: featuresF, samples: samples)
        let scaledF = MPSGradientEngine<Float>(bondDimensions: mps.bondDimensions, physicalDimension: 2, labelCount: 10,
                                               batchCapacity: 4, numerics: .logscaled).logits(cores: coresF, features: featuresF, samples: samples)
        #expect(reference.allSatisfy { abs($0) < 1e-30 && $0 != 0 }, "Glorot over 196 sites gives outputs ≪ 1: \(reference.prefix(3))")
        #expect(plainF.allSatisfy { $0 == 0 || abs($0) < 1e-37 }, "float32 plain underflows: \(plainF.prefix(3))")
        for i in reference.indices { expectClose(scaledF[i], reference[i], relativeTolerance: 1e-3, absoluteTolerance: 0) }
    }

    @Test(arguments: 2...10)
    func parameterCountMatchesClosedForm(bond: Int) {
        let closed = 388 * bond * bond + 22 * bond
        #expect(MPSClassifier<Float>.uniformParameterCount(siteCount: 196, bondDimension: bond, physical: 2, labelCount: 10) == closed)
        let shapes = MatchedInitializer.uniformShapes(siteCount: 196, bondDimension: bond, physical: 2, labelCount: 10)
        #expect(shapes.reduce(0) { $0 + $1.reduce(1, *) } == closed)
    }

    /// Truncated-and-absorbed regularizers give the outputs of the masked model with inference masks;
    /// with no truncation, those of the training masks.
    @Test(arguments: [[2.3, 1.7, 2.9, 2.2], [3.0, 3.0, 2.6, 2.9], [1.2, 1.0, 1.4, 3.0]])
    func absorbedRegularizersMatchMasked(soft: [Double]) {
        let p = tinyProblem(sites: 5, bond: 3, samples: 6, seed: 11)
        let mps = MPSClassifier(cores: p.cores, labelSite: 0, labelCount: 3, featureMap: .trigonometric)
        var reg = RankRegularizer(bondCount: 4, maxBondDimension: 3, penaltyWeight: 0.1)
        reg.softDimensions = Tensor(shape: [4], scalars: soft)
        let absorbed = reg.absorbed(into: mps)
        #expect(absorbed.bondDimensions == [1] + reg.hardDimensions() + [1])
        let samples = Array(0..<6)
        let masked = RankRegularizer.applying(masks: reg.inferenceMasks(), to: p.cores)
        let a = engine(for: absorbed.cores, capacity: 6, numerics: .plain).logits(cores: absorbed.cores, features: p.features, samples: samples)
        let m = engine(for: masked, capacity: 6, numerics: .plain).logits(cores: masked, features: p.features, samples: samples)
        for i in a.indices { expectClose(a[i], m[i], relativeTolerance: 1e-12, absoluteTolerance: 1e-15) }
        // The library's own evaluator agrees too.
        let viaClassifier = absorbed.evaluate(features: p.features).scalars
        for i in a.indices { expectClose(viaClassifier[i], a[i], relativeTolerance: 1e-12, absoluteTolerance: 1e-15) }
        if reg.hardDimensions().allSatisfy({ $0 == 3 }) {
            let training = reg.maskedCores(p.cores)
            let t = engine(for: training, capacity: 6, numerics: .plain).logits(cores: training, features: p.features, samples: samples)
            for i in a.indices { expectClose(a[i], t[i], relativeTolerance: 1e-12, absoluteTolerance: 1e-15) }
        }
    }

    /// Copy-node initialization: the network equals the dense sub-MPS times Π v·φ over the copy sites.
    @Test(arguments: CopyNodeVector.allCases)
    func copyNodeEqualsDenseSubnetworkTimesProduct(vector: CopyNodeVector) {
        var rng = Philox(seed: 5, stream: 2)
        let init_ = CopyNodeInitialization(denseSites: [0, 2, 4], vector: vector)
        let mps: MPSClassifier<Double> = init_.mps(siteCount: 7, bondDimension: 3, labelCount: 4, featureMap: .trigonometric, using: &rng)
        let pixels = Tensor<Double>.randomUniform(shape: [3, 7], using: &rng)
        let features: Tensor<Double> = FeatureMap.trigonometric.siteFeatures(pixels, as: Double.self)
        let logits = engine(for: mps.cores, capacity: 3, numerics: .plain).logits(cores: mps.cores, features: features, samples: [0, 1, 2])
        // Dense sub-MPS over sites 0, 2, 4 with the last right bond pinned to 0.
        var sub = [mps.cores[0], mps.cores[2], mps.cores[4]]
        sub[2] = Tensor(shape: [3, 2, 1]) { out in
            mps.cores[4].withUnsafeBufferPointer { a in for l in 0..<3 { for s in 0..<2 { out[l * 2 + s] = a[(l * 2 + s) * 3] } } }
        }
        let subFeatures = Tensor<Double>(shape: [3, 3, 2]) { out in
            features.withUnsafeBufferPointer { f in
                for (k, j) in [0, 2, 4].enumerated() { for i in 0..<6 { out[k * 6 + i] = f[j * 6 + i] } }
            }
        }
        let v = vector.components
        for n in 0..<3 {
            let dense = naiveLogits(sub, subFeatures, sample: n)
            var product = 1.0
            for j in [1, 3, 5, 6] { product *= v[0] * cos(.pi / 2 * pixels[n, j]) + v[1] * sin(.pi / 2 * pixels[n, j]) }
            for k in 0..<4 { expectClose(logits[n * 4 + k], dense[k] * product, relativeTolerance: 1e-12, absoluteTolerance: 1e-15) }
        }
    }

    @Test(arguments: VarianceTarget.allCases)
    func matchedVarianceReproducesTarget(target: VarianceTarget) {
        // V·log Var(A) + E·log D = log σ²_target (eq. 7 with eq. 9).
        let logTarget = target.logVariance(logFanIn: 196 * log(2.0), fanOut: 10)
        let logVar = MatchedInitializer.logCoreVariance(logTargetVariance: logTarget, bondDimension: 6, nodes: 196, edges: 195)
        expectClose(196 * logVar + 195 * log(6.0), logTarget, relativeTolerance: 1e-12)
        // Empirically: Var(W) over random draws of a 3-node chain (D = 2) ≈ target.
        var rng = Philox(seed: 9, stream: 0)
        let smallTarget = target.logVariance(logFanIn: 3 * log(2.0), fanOut: 2)
        var sumSquares = 0.0
        let draws = 4000
        for _ in 0..<draws {
            let mps: MPSClassifier<Double> = MatchedInitializer.mps(
                target: target, siteCount: 3, bondDimension: 2, labelCount: 2, featureMap: .trigonometric, using: &rng)
            // W[ℓ; s0 s1 s2] at s = (0, 1, 0), ℓ = 1.
            let a0 = mps.cores[0], a1 = mps.cores[1], a2 = mps.cores[2]
            var w = 0.0
            for r in 0..<2 { for q in 0..<2 { w += a0[0, 0, 1, r] * a1[r, 1, q] * a2[q, 0, 0] } }
            sumSquares += w * w
        }
        expectClose(sumSquares / Double(draws), exp(smallTarget), relativeTolerance: 0.15)
    }

    @Test func adamFirstStepIsSignTimesLearningRate() {
        var opt = Adam(learningRate: 0.01)
        var params = [Tensor<Double>(shape: [3], scalars: [1, 2, 3])]
        opt.update(&params, gradients: [Tensor(shape: [3], scalars: [0.5, -2, 1e-12])])
        // Step 1: α = lr·√(1−β₂)/(1−β₁), m = 0.1g, v = 0.001g² → Δ = α·0.1g/(√0.001|g| + ε).
        let alpha = 0.01 * (0.001).squareRoot() / 0.1
        let expected = [0.5, -2, 1e-12].map { g in alpha * 0.1 * g / ((0.001).squareRoot() * abs(g) + 1e-7) }
        for i in 0..<3 { expectClose(params[0].scalars[i], [1.0, 2, 3][i] - expected[i], relativeTolerance: 1e-12) }
    }

    /// A few Adam steps on a tiny problem lower the training loss, in both numerics.
    @Test(arguments: ContractionNumerics.allCases)
    func trainerLowersLoss(numerics: ContractionNumerics) {
        let p = tinyProblem(sites: 6, bond: 3, samples: 8, seed: 4, scale: 0.6)
        let mps = MPSClassifier(cores: p.cores, labelSite: 0, labelCount: 3, featureMap: .trigonometric)
        let trainer = MPSGradientTrainer(model: mps, numerics: numerics, batchSize: 8, optimizer: Adam(learningRate: 0.05))
        let before = trainer.evaluate(features: p.features, labels: p.labels, samples: Array(0..<8)).loss
        for _ in 0..<30 { _ = trainer.trainEpoch(features: p.features, labels: p.labels, batches: [Array(0..<8)]) }
        let after = trainer.evaluate(features: p.features, labels: p.labels, samples: Array(0..<8)).loss
        #expect(after < before * 0.5, "loss \(before) → \(after)")
    }

    /// The epoch's gradient norm is the RMS over its batches of ‖∂L/∂W‖, each batch's gradient
    /// computed afresh by the engine at the cores that batch saw; off unless asked for.
    @Test func trainerMeasuresTheRootMeanSquareGradientNorm() {
        let p = tinyProblem(sites: 6, bond: 3, samples: 7, seed: 11, scale: 0.7)
        let mps = MPSClassifier(cores: p.cores, labelSite: 0, labelCount: 3, featureMap: .trigonometric)
        let trainer = MPSGradientTrainer(model: mps, numerics: .plain, batchSize: 4, optimizer: Adam(learningRate: 0.05))
        let batches = [[0, 1, 2, 3], [4, 5, 6]]
        _ = trainer.trainEpoch(features: p.features, labels: p.labels, batches: batches)
        #expect(trainer.lastEpochGradientNorm == nil)
        trainer.measuresGradientNorm = true
        let e = engine(for: p.cores, capacity: 4, numerics: .plain)
        var cores = trainer.model.cores
        var squares: [Double] = []
        var adam = trainer.optimizer
        for batch in batches {
            var gradients: [Tensor<Double>] = []
            _ = e.lossAndGradient(cores: cores, features: p.features, labels: p.labels, batch: batch, gradients: &gradients)
            squares.append(gradients.reduce(0) { $0 + $1.squaredNorm() })
            adam.update(&cores, gradients: gradients)
        }
        _ = trainer.trainEpoch(features: p.features, labels: p.labels, batches: batches)
        expectClose(trainer.lastEpochGradientNorm ?? .nan, ((squares[0] + squares[1]) / 2).squareRoot(), relativeTolerance: 1e-12)
    }

    /// The trainer's logits are the inference model's outputs (against the naïve contraction,
    /// in chunks smaller than the sample count too), and their row-wise arg max is the class
    /// its evaluation counts: a caller scoring the logits gets evaluation's accuracy.
    @Test(arguments: ContractionNumerics.allCases, [2, 500])
    func trainerLogitsAreWhatEvaluationCounts(numerics: ContractionNumerics, chunkSize: Int) {
        let p = tinyProblem(sites: 6, bond: 3, samples: 7, seed: 9, scale: 0.7)
        let mps = MPSClassifier(cores: p.cores, labelSite: 0, labelCount: 3, featureMap: .trigonometric)
        let trainer = MPSGradientTrainer(model: mps, numerics: numerics, batchSize: 4, optimizer: Adam(learningRate: 0.05))
        _ = trainer.trainEpoch(features: p.features, labels: p.labels, batches: [[0, 1, 2, 3], [4, 5, 6]])
        let samples = [6, 0, 3, 1, 5]
        let logits = trainer.logits(features: p.features, samples: samples, chunkSize: chunkSize)
        #expect(logits.shape == [samples.count, 3])
        for (row, n) in samples.enumerated() {
            let oracle = naiveLogits(trainer.inferenceModel.cores, p.features, sample: n)
            for k in 0..<3 { expectClose(logits[row, k], oracle[k], relativeTolerance: 1e-10, absoluteTolerance: 1e-12) }
        }
        let evaluation = trainer.evaluate(features: p.features, labels: p.labels, samples: samples, chunkSize: chunkSize)
        let predicted = logits.argmaxRows()
        #expect(zip(predicted, samples).filter { $0 == p.labels[$1] }.count == evaluation.correct)
    }

    /// A trainer restored from a checkpoint — built afresh from another start — takes the same
    /// steps as the saved one: cores, both Adams and the soft dimensions are its whole state.
    @Test(arguments: [false, true])
    func restoredTrainerContinuesBitForBit(regularized: Bool) throws {
        let p = tinyProblem(sites: 6, bond: 3, samples: 8, seed: 4, scale: 0.6)
        func trainer(_ cores: [Tensor<Double>]) -> MPSGradientTrainer<Double> {
            let mps = MPSClassifier(cores: cores, labelSite: 0, labelCount: 3, featureMap: .trigonometric)
            let regularizer = regularized ? RankRegularizer(bondCount: 5, maxBondDimension: 3, penaltyWeight: 1e-3) : nil
            return MPSGradientTrainer(model: mps, regularizer: regularizer, numerics: .plain, batchSize: 4, optimizer: Adam(learningRate: 0.05))
        }
        let batches = [[0, 1, 2, 3], [4, 5, 6, 7]]
        let original = trainer(p.cores)
        for _ in 0..<3 { _ = original.trainEpoch(features: p.features, labels: p.labels, batches: batches) }
        var state = TrainingState()
        original.save(into: &state)
        let restored = trainer(tinyProblem(sites: 6, bond: 3, samples: 8, seed: 5, scale: 0.6).cores)
        try restored.restore(from: state)
        for _ in 0..<3 {
            let a = original.trainEpoch(features: p.features, labels: p.labels, batches: batches)
            let b = restored.trainEpoch(features: p.features, labels: p.labels, batches: batches)
            #expect(a.loss?.bitPattern == b.loss?.bitPattern)
        }
        #expect(original.model.cores.flatMap(\.scalars).map(\.bitPattern) == restored.model.cores.flatMap(\.scalars).map(\.bitPattern))
        #expect(original.regularizer?.softDimensions.scalars == restored.regularizer?.softDimensions.scalars)
        let other = MPSGradientTrainer(
            model: MPSClassifier(cores: tinyProblem(sites: 5).cores, labelSite: 0, labelCount: 3, featureMap: .trigonometric),
            numerics: .plain, batchSize: 4)
        #expect { try other.restore(from: state) } throws: { "\($0)" == "checkpoint: 6 cores saved for a model of 5" }
    }
}

/// A training batch is gathered from a sample-major copy of the features that the engine keeps
/// with the tensor it was made from: the copy must give the numbers the site-major gather gives,
/// and another features tensor must replace it, not be read through it.
@Suite struct MPSGradientGatherTests {
    @Test(arguments: ContractionNumerics.allCases)
    func trainingGatherMatchesEvaluationGather(numerics: ContractionNumerics) {
        let p = tinyProblem(sites: 7, bond: 3, samples: 11, seed: 9)
        let e = engine(for: p.cores, capacity: 5, numerics: numerics)
        var gradients: [Tensor<Double>] = []
        for batch in [[3, 0, 10, 7, 7], [1], [9, 8, 2, 4]] {
            let trained = e.lossAndGradient(cores: p.cores, features: p.features, labels: p.labels, batch: batch,
                                            gradients: &gradients)
            let evaluated = e.evaluate(cores: p.cores, features: p.features, labels: p.labels, samples: batch)
            #expect(trained.loss.bitPattern == evaluated.loss.bitPattern, "batch \(batch)")
            #expect(trained.correct == evaluated.correct)
        }
    }

    @Test func anotherFeaturesTensorReplacesTheCopy() {
        let p = tinyProblem(sites: 6, bond: 3, samples: 8, seed: 2)
        let q = tinyProblem(sites: 6, bond: 3, samples: 8, seed: 3)
        let batch = [5, 1, 6]
        let e = engine(for: p.cores, capacity: 4, numerics: .plain)
        var first: [Tensor<Double>] = [], second: [Tensor<Double>] = [], fresh: [Tensor<Double>] = []
        e.lossAndGradient(cores: p.cores, features: p.features, labels: p.labels, batch: batch, gradients: &first)
        let reused = e.lossAndGradient(cores: p.cores, features: q.features, labels: p.labels, batch: batch, gradients: &second)
        let alone = engine(for: p.cores, capacity: 4, numerics: .plain)
            .lossAndGradient(cores: p.cores, features: q.features, labels: p.labels, batch: batch, gradients: &fresh)
        #expect(reused.loss.bitPattern == alone.loss.bitPattern)
        #expect(second.flatMap(\.scalars).map(\.bitPattern) == fresh.flatMap(\.scalars).map(\.bitPattern))
        #expect(second.flatMap(\.scalars) != first.flatMap(\.scalars))
    }
}
