import Testing
import TensorCore
@testable import TensorNetworks
import _TestSupport

/// Sweeps with every input's environments scaled to unit norm (``EnvironmentNormalization/perInput``),
/// partial half-sweeps, and the data-built starting MPS.
@Suite struct PerInputSweepTests {
    let map = FeatureMap.trigonometric

    func problem(seed: UInt64, sites: Int, count: Int, labelCount: Int)
        -> (MPSClassifier<Double>, [[Double]], [Int], Tensor<Double>)
    {
        var rng = Philox(seed: seed)
        var cores: [Tensor<Double>] = [Tensor.randomNormal(shape: [1, 2, labelCount, 1], using: &rng)]
        for _ in 1..<sites { cores.append(Tensor.randomNormal(shape: [1, 2, 1], mean: 1, standardDeviation: 0.1, using: &rng)) }
        let mps = MPSClassifier(cores: cores, labelSite: 0, labelCount: labelCount, featureMap: map)
        let inputs = (0..<count).map { _ in (0..<sites).map { _ in rng.nextUniform() } }
        let labels = (0..<count).map { _ in rng.nextInt(below: labelCount) }
        let pixels = Tensor<Double>(shape: [count, sites], scalars: inputs.flatMap { $0 })
        return (mps, inputs, labels, map.siteFeatures(pixels, as: Double.self))
    }

    /// ½ Σ (f̂ − y)² / N with f̂ = f / (‖L_j‖·‖R_{j+2}‖), every vector contracted by explicit loops.
    func normalizedCost(bond: Tensor<Double>, site j: Int, cores: [Tensor<Double>], inputs: [[Double]], labels: [Int]) -> Double {
        var total = 0.0
        for (x, label) in zip(inputs, labels) {
            func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            let scale = norm(NaiveChain.leftVector(cores, upTo: j, x: x, map: map))
                * norm(NaiveChain.rightVector(cores, downTo: j + 2, x: x, map: map))
            for (l, f) in NaiveChain.outputs(bond: bond, site: j, cores: cores, x: x, map: map).enumerated() {
                let y = l == label ? 1.0 : 0.0
                total += 0.5 * (f / scale - y) * (f / scale - y)
            }
        }
        return total / Double(inputs.count)
    }

    /// Each bond's cost before its update, from the cached (per-input normalized) environments,
    /// equals the normalized cost of the stored cores contracted from scratch, through a right
    /// and a left half-sweep with truncation; and after the first update the local solve lowers it.
    @Test(arguments: [1, 2])
    func cachedNormalizedEnvironmentsFollowTheStoredModel(workers: Int) throws {
        try BLASThreadsLock.withLock {
            let (mps, inputs, labels, features) = problem(seed: 41, sites: 9, count: 60, labelCount: 3)
            let sweeper = try TwoSiteSweeper(
                mps: mps, features: features, labels: labels,
                options: SweepOptions(truncation: Truncation(maxBondDimension: 4), chunkSize: 16, workers: workers,
                                      normalization: .perInput),
                rescaleOutputs: true)
            var expected = normalizedCost(bond: sweeper.bondTensor(site: 0), site: 0, cores: sweeper.mps.cores,
                                          inputs: inputs, labels: labels)
            var updates = 0
            let check = { (update: BondUpdate) in
                expectClose(update.costBefore, expected, relativeTolerance: 1e-9, "bond \(update.site) \(update.direction)")
                #expect(update.costAfter <= update.costBefore * (1 + 1e-12))
                updates += 1
                // The next bond in this direction (or the turn at the chain's end).
                let label = sweeper.mps.labelSite
                let next = update.direction == .right ? (label < 8 ? label : label - 1) : (label > 0 ? label - 1 : 0)
                expected = normalizedCost(bond: sweeper.bondTensor(site: next), site: next, cores: sweeper.mps.cores,
                                          inputs: inputs, labels: labels)
            }
            try sweeper.updateBonds(Array(0..<8), direction: .right, each: check)
            try sweeper.updateBonds(Array((0..<8).reversed()), direction: .left, each: check)
            #expect(updates == 16)
            // The cores are exact isometries: per-input normalization never rescales them.
            for j in 1..<9 {
                let core = sweeper.mps.cores[j]
                let a = core.reshaped([core.shape[0], core.shape[1] * core.shape[2]])
                let gram = a.matmul(a, transposeOther: true)
                for r in 0..<gram.shape[0] { for c in 0..<gram.shape[1] {
                    expectClose(gram[r, c], r == c ? 1 : 0, absoluteTolerance: 1e-12, "core \(j) is a right isometry")
                } }
            }
        }
    }

    /// A product-state start over 196 sites in single precision: the norms the canonicalization
    /// carries into the label core (≈ √2 per site) used to overflow Float (cost 7e59, then NaN on
    /// real MNIST); every cost now stays finite and the first bond's cost is of order one.
    @Test func longProductStartStaysInRangeInSinglePrecision() throws {
        var rng = Philox(seed: 59)
        let (sites, n, c) = (196, 200, 10)
        var cores: [Tensor<Float>] = [Tensor.randomNormal(shape: [1, 2, c, 1], using: &rng)]
        for _ in 1..<sites { cores.append(Tensor.randomNormal(shape: [1, 2, 1], mean: 1, standardDeviation: 0.1, using: &rng)) }
        let mps = MPSClassifier(cores: cores, labelSite: 0, labelCount: c, featureMap: map)
        // White borders (x = 0) as in MNIST, random ink inside.
        let pixels = Tensor<Float>(shape: [n, sites]) { p in
            for i in 0..<n { for j in 0..<sites {
                p[i * sites + j] = j < 20 || j >= sites - 20 ? 0 : Float(rng.nextUniform())
            } }
        }
        let labels = (0..<n).map { _ in rng.nextInt(below: c) }
        let features: Tensor<Float> = map.siteFeatures(pixels)
        let sweeper = try TwoSiteSweeper(
            mps: mps, features: features, labels: labels,
            options: SweepOptions(truncation: Truncation(maxBondDimension: 4), normalization: .perInput),
            rescaleOutputs: true)
        var first: Double?
        var allFinite = true
        try sweeper.updateBonds(Array(0..<(sites - 1)), direction: .right) { update in
            if first == nil { first = update.costBefore }
            let finite = update.costBefore.isFinite && update.costAfter.isFinite && update.truncationError.isFinite
            allFinite = allFinite && finite
        }
        #expect(allFinite)
        let start = try #require(first)
        #expect(start < 10, "first bond's cost \(start)")
    }

    /// Normalized outputs differ from the raw ones by one positive factor per input, so they
    /// predict the same classes.
    @Test func normalizedOutputsAreRawOutputsScaledPerInput() throws {
        let (mps, _, _, features) = problem(seed: 43, sites: 10, count: 40, labelCount: 4)
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: Array(repeating: 0, count: 40),
                                         options: SweepOptions(truncation: Truncation(maxBondDimension: 3)))
        try sweeper.sweepRight(stoppingAt: 5)
        let model = sweeper.mps
        let raw = model.evaluate(features: features), normalized = model.normalizedOutputs(features: features)
        for n in 0..<40 {
            let ratio = raw[n, 0] / normalized[n, 0]
            #expect(ratio > 0)
            for l in 1..<4 { expectClose(raw[n, l], ratio * normalized[n, l], relativeTolerance: 1e-10, absoluteTolerance: 1e-14) }
        }
        let argmax = (0..<40).map { n in (0..<4).max { raw[n, $0] < raw[n, $1] }! }
        #expect(model.predict(features: features) == argmax)
    }

    /// Stopping a half-sweep part-way and resuming it gives bit-for-bit the same model.
    @Test(arguments: [EnvironmentNormalization.shared, .perInput])
    func partialHalfSweepsCompose(normalization: EnvironmentNormalization) throws {
        let (mps, _, labels, features) = problem(seed: 47, sites: 8, count: 30, labelCount: 3)
        let options = SweepOptions(truncation: Truncation(maxBondDimension: 3), normalization: normalization)
        let whole = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options)
        let parts = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options)
        try whole.sweepRight()
        try whole.sweepLeft(stoppingAt: 3)
        try parts.sweepRight(stoppingAt: 4)
        #expect(parts.mps.labelSite == 4)
        try parts.sweepRight()
        try parts.sweepLeft(stoppingAt: 5)
        try parts.sweepLeft(stoppingAt: 3)
        #expect(parts.mps.labelSite == 3)
        for (a, b) in zip(parts.mps.cores, whole.mps.cores) {
            #expect(a.shape == b.shape)
            #expect(a.withUnsafeBufferPointer { Array($0) } == b.withUnsafeBufferPointer { Array($0) })
        }
    }

    /// The data-built start: right isometries everywhere but the label core; the first core
    /// built (the last site) is the leading eigenvector of Σ φφᵀ there; and on two well-separated
    /// classes it classifies every training input before any sweep.
    @Test func principalSubspacesStartFromTheData() throws {
        var rng = Philox(seed: 53)
        let (sites, n, c) = (7, 80, 2)
        let labels = (0..<n).map { $0 % c }
        // Class 0 pale (pixels near 0.15), class 1 dark (near 0.85), with noise.
        let pixels = Tensor<Double>(shape: [n, sites]) { p in
            for i in 0..<n { for j in 0..<sites {
                p[i * sites + j] = min(1, max(0, (labels[i] == 0 ? 0.15 : 0.85) + 0.1 * rng.nextNormal()))
            } }
        }
        let features: Tensor<Double> = map.siteFeatures(pixels, as: Double.self)
        let mps = try MPSClassifier.principalSubspaces(features: features, labels: labels, labelCount: c,
                                                       maxBondDimension: 3, featureMap: map)
        #expect(mps.labelSite == 0 && mps.bondDimensions.max()! <= 3)
        for j in 1..<sites {
            let core = mps.cores[j]
            let a = core.reshaped([core.shape[0], core.shape[1] * core.shape[2]])
            let gram = a.matmul(a, transposeOther: true)
            for r in 0..<gram.shape[0] { for q in 0..<gram.shape[1] {
                expectClose(gram[r, q], r == q ? 1 : 0, absoluteTolerance: 1e-12, "core \(j) is a right isometry")
            } }
        }
        // Site L−1 sees the raw features: its first row is the top eigenvector of G = Σ φφᵀ.
        var g = [[0.0, 0.0], [0.0, 0.0]]
        for i in 0..<n { for s in 0..<2 { for t in 0..<2 { g[s][t] += features[sites - 1, i, s] * features[sites - 1, i, t] } } }
        let mean = (g[0][0] + g[1][1]) / 2, gap = ((g[0][0] - g[1][1]) * (g[0][0] - g[1][1]) / 4 + g[0][1] * g[0][1]).squareRoot()
        let top = mean + gap
        let last = mps.cores[sites - 1]  // [k, 2, 1]
        let v = [last[0, 0, 0], last[0, 1, 0]]
        for s in 0..<2 { expectClose(g[s][0] * v[0] + g[s][1] * v[1], top * v[s], relativeTolerance: 1e-10, absoluteTolerance: 1e-10) }
        let predicted = mps.predict(features: features)
        #expect(predicted == labels)
    }
}
