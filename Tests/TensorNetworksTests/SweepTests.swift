import Testing
import TensorCore
@testable import TensorNetworks
import _TestSupport

/// Reference computations by explicit loops, independent of `Environment`, the gauge and GEMM.
enum NaiveChain {
    /// The left vector of sites 0..<site for input n (ones before any site): Σ over the chain.
    static func leftVector(_ cores: [Tensor<Double>], upTo site: Int, x: [Double], map: FeatureMap) -> [Double] {
        var v = [1.0]
        for j in 0..<site {
            let core = cores[j], (dl, dr) = (core.shape[0], core.shape[2])
            let phi = map(x[j]), (p0, p1) = (phi[0], phi[1])
            var next = [Double](repeating: 0, count: dr)
            for l in 0..<dl { for r in 0..<dr { next[r] += v[l] * (p0 * core[l, 0, r] + p1 * core[l, 1, r]) } }
            v = next
        }
        return v
    }

    static func rightVector(_ cores: [Tensor<Double>], downTo site: Int, x: [Double], map: FeatureMap) -> [Double] {
        var w = [1.0]
        for j in stride(from: cores.count - 1, through: site, by: -1) {
            let core = cores[j], (dl, dr) = (core.shape[0], core.shape[2])
            let phi = map(x[j]), (p0, p1) = (phi[0], phi[1])
            var next = [Double](repeating: 0, count: dl)
            for l in 0..<dl { for r in 0..<dr { next[l] += (p0 * core[l, 0, r] + p1 * core[l, 1, r]) * w[r] } }
            w = next
        }
        return w
    }

    /// f^ℓ with the bond tensor B [Dl, d, C, d, Dr] standing for sites (j, j+1).
    static func outputs(bond: Tensor<Double>, site j: Int, cores: [Tensor<Double>], x: [Double], map: FeatureMap) -> [Double] {
        let v = leftVector(cores, upTo: j, x: x, map: map)
        let w = rightVector(cores, downTo: j + 2, x: x, map: map)
        let phiA = map(x[j]), phiB = map(x[j + 1])
        let (dl, c, dr) = (bond.shape[0], bond.shape[2], bond.shape[4])
        return (0..<c).map { label in
            var f = 0.0
            for l in 0..<dl { for s in 0..<2 { for t in 0..<2 { for r in 0..<dr {
                f += v[l] * phiA[s] * bond[l, s, label, t, r] * phiB[t] * w[r]
            } } } }
            return f
        }
    }

    static func cost(bond: Tensor<Double>, site j: Int, cores: [Tensor<Double>], inputs: [[Double]], labels: [Int], map: FeatureMap) -> Double {
        var total = 0.0
        for (x, label) in zip(inputs, labels) {
            for (l, f) in outputs(bond: bond, site: j, cores: cores, x: x, map: map).enumerated() {
                let y = l == label ? 1.0 : 0.0
                total += 0.5 * (f - y) * (f - y)
            }
        }
        return total / Double(inputs.count)
    }
}

/// ½ Σₙ Σ_ℓ (f^ℓ(xₙ) − yₙ^ℓ)² / N of a stored model, from its cores alone.
func quadraticCost(of mps: MPSClassifier<Double>, features: Tensor<Double>, labels: [Int]) -> Double {
    let outputs = mps.evaluate(features: features)
    var cost = 0.0
    for (n, label) in labels.enumerated() {
        for l in 0..<mps.labelCount { let y = l == label ? 1.0 : 0.0; cost += 0.5 * (outputs[n, l] - y) * (outputs[n, l] - y) }
    }
    return cost / Double(labels.count)
}

@Suite struct SweepTests {
    let sites = 6, labelCount = 3, bond = 3, count = 12
    let map = FeatureMap.trigonometric

    func fixture(seed: UInt64) -> (MPSClassifier<Double>, [[Double]], [Int], Tensor<Double>) {
        var rng = Philox(seed: seed)
        let dims: [Int] = (0...sites).map { (j: Int) -> Int in min(bond, 1 << min(j, sites - j)) }
        var cores: [Tensor<Double>] = []
        for j in 0..<sites {
            let shape: [Int] = j == 0 ? [dims[j], 2, labelCount, dims[j + 1]] : [dims[j], 2, dims[j + 1]]
            cores.append(Tensor<Double>.randomNormal(shape: shape, standardDeviation: 0.7, using: &rng))
        }
        let mps = MPSClassifier(cores: cores, labelSite: 0, labelCount: labelCount, featureMap: map)
        let inputs = (0..<count).map { _ in (0..<sites).map { _ in rng.nextUniform() } }
        let labels = (0..<count).map { _ in rng.nextInt(below: labelCount) }
        let pixels = Tensor<Double>(shape: [count, sites], scalars: inputs.flatMap { $0 })
        return (mps, inputs, labels, map.siteFeatures(pixels, as: Double.self))
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func canonicalizationLeavesTheFunctionUnchanged(seed: UInt64) throws {
        let (mps, _, labels, features) = fixture(seed: seed)
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: SweepOptions(truncation: .none))
        expectClose(sweeper.mps.evaluate(features: features), mps.evaluate(features: features),
                    relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
        // Cores right of the label are right-isometries up to a positive factor: A·Aᵀ = c·I.
        for j in 1..<sites {
            let core = sweeper.mps.cores[j]
            let a = core.reshaped([core.shape[0], -1])
            let gram = a.matmul(a, transposeOther: true)
            let scale = gram[0, 0]
            #expect(scale > 0)
            for p in 0..<gram.shape[0] { for q in 0..<gram.shape[1] {
                #expect(abs(gram[p, q] - (p == q ? scale : 0)) < 1e-10 * scale)
            } }
        }
    }

    /// The environment-cached bond problem gives the from-scratch cost, and its residual is
    /// −N·∇C, checked against central finite differences — at the first bond and, after two
    /// right moves (so with extended, rescaled left environments), at the third.
    @Test(arguments: [0, 2])
    func bondGradientMatchesFromScratchContractionAndFiniteDifferences(bondSite: Int) throws {
        let (mps, inputs, labels, features) = fixture(seed: 7)
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: SweepOptions(truncation: .none, conjugateGradientSteps: 1))
        for j in 0..<bondSite { _ = try sweeper.updateBond(site: j, direction: .right) }
        let bondTensor = sweeper.bondTensor(site: bondSite)
        let shape = bondTensor.shape
        let problem = BondProblem(
            features: features, targets: sweeper.targets, left: sweeper.left[bondSite]!, right: sweeper.right[bondSite + 2]!,
            site: bondSite, shape: (shape[0], shape[1], shape[2], shape[4]), chunkSize: 5)
        let (residual, cost) = problem.residual(of: bondTensor)
        let cores = sweeper.mps.cores
        let reference = NaiveChain.cost(bond: bondTensor, site: bondSite, cores: cores, inputs: inputs, labels: labels, map: map)
        expectClose(cost, reference, relativeTolerance: 1e-10)
        let h = 1e-5
        for flat in stride(from: 0, to: bondTensor.count, by: max(1, bondTensor.count / 17)) {
            var plus = bondTensor, minus = bondTensor
            plus.withUnsafeMutableBufferPointer { $0[flat] += h }
            minus.withUnsafeMutableBufferPointer { $0[flat] -= h }
            let derivative = (NaiveChain.cost(bond: plus, site: bondSite, cores: cores, inputs: inputs, labels: labels, map: map)
                - NaiveChain.cost(bond: minus, site: bondSite, cores: cores, inputs: inputs, labels: labels, map: map)) / (2 * h)
            expectClose(-residual.scalars[flat] / Double(count), derivative, relativeTolerance: 1e-6, absoluteTolerance: 1e-9)
        }
    }

    @Test func conjugateGradientsLowerTheLocalCost() throws {
        let (mps, _, labels, features) = fixture(seed: 11)
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: SweepOptions(truncation: .none, conjugateGradientSteps: 3))
        let (bond, before, after) = try sweeper.optimizeBond(site: 0)
        #expect(after < before)
        // The cost tracked from the CG scalars equals the cost recomputed at the new bond tensor.
        let shape = bond.shape
        let problem = BondProblem(
            features: features, targets: sweeper.targets, left: sweeper.left[0]!, right: sweeper.right[2]!,
            site: 0, shape: (shape[0], shape[1], shape[2], shape[4]), chunkSize: 4)
        expectClose(after, problem.cost(of: bond), relativeTolerance: 1e-9)
    }

    /// The split moves the label and changes the bond tensor by exactly the discarded weight:
    /// ‖B − B'‖² / ‖B‖² equals the reported truncation error (0 without truncation).
    @Test(arguments: [nil, 2, 1] as [Int?], [SweepDirection.right, .left])
    func splitChangesTheBondByTheDiscardedWeight(maxBond: Int?, direction: SweepDirection) throws {
        let (mps, _, labels, features) = fixture(seed: 5)
        let truncation = maxBond.map { Truncation(maxBondDimension: $0) } ?? .none
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: SweepOptions(truncation: truncation))
        var site = 0
        if direction == .left {
            try sweeper.sweepRight()
            site = sites - 2
        }
        let (bond, _, _) = try sweeper.optimizeBond(site: site)
        let (k, error) = try sweeper.split(bond, site: site, direction: direction)
        #expect(sweeper.mps.labelSite == (direction == .right ? site + 1 : site))
        let after = sweeper.bondTensor(site: site)
        let relative = Double((bond - after).squaredNorm() / bond.squaredNorm())
        expectClose(relative, error, relativeTolerance: 1e-8, absoluteTolerance: 1e-13)
        if maxBond == nil { #expect(error < 1e-13) } else { #expect(k <= maxBond!) }
    }

    /// After a half-sweep without truncation, the cost the sweeper tracked at its last bond is the
    /// cost of the stored MPS, evaluated from its cores alone — with or without a ridge term
    /// (the tracked value is the data cost; the penalty is taken out).
    @Test(arguments: [1, 2], [0, 0.05])
    func trackedCostIsTheStoredModelsCost(workers: Int, ridge: Double) throws {
        try BLASThreadsLock.withLock {
            let (mps, _, labels, features) = fixture(seed: 19)
            let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels,
                                             options: SweepOptions(truncation: .none, workers: workers, regularization: ridge),
                                             rescaleOutputs: true)
            func storedCost() -> Double { quadraticCost(of: sweeper.mps, features: features, labels: labels) }
            let right = try #require(try sweeper.sweepRight().loss)
            expectClose(storedCost(), right, relativeTolerance: 1e-9, "after the right half-sweep")
            let left = try #require(try sweeper.sweepLeft().loss)
            expectClose(storedCost(), left, relativeTolerance: 1e-9, "after the left half-sweep")
        }
    }

    /// With truncation, each bond's cost before its update (from the cached environments) is
    /// the stored model's cost after the previous update, on a longer chain with more inputs.
    @Test(arguments: [1, 2])
    func cachedEnvironmentsFollowTheStoredModel(workers: Int) throws {
        try BLASThreadsLock.withLock {
            var rng = Philox(seed: 29)
            let (sites, n, c) = (16, 300, 4)
            var cores: [Tensor<Double>] = [Tensor.randomNormal(shape: [1, 2, c, 1], using: &rng)]
            for _ in 1..<sites { cores.append(Tensor.randomNormal(shape: [1, 2, 1], mean: 1, standardDeviation: 0.1, using: &rng)) }
            let mps = MPSClassifier(cores: cores, labelSite: 0, labelCount: c, featureMap: map)
            let pixels = Tensor<Double>.randomUniform(shape: [n, sites], using: &rng)
            let labels = (0..<n).map { _ in rng.nextInt(below: c) }
            let features: Tensor<Double> = map.siteFeatures(pixels)
            let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels,
                                             options: SweepOptions(truncation: Truncation(maxBondDimension: 5), chunkSize: 64, workers: workers),
                                             rescaleOutputs: true)
            func storedCost() -> Double { quadraticCost(of: sweeper.mps, features: features, labels: labels) }
            var previous = storedCost()
            let check = { (update: BondUpdate) in
                expectClose(update.costBefore, previous, relativeTolerance: 1e-9, "bond \(update.site) \(update.direction)")
                previous = storedCost()
            }
            try sweeper.updateBonds(Array(0..<(sites - 1)), direction: .right, each: check)
            try sweeper.updateBonds(Array((0..<(sites - 1)).reversed()), direction: .left, each: check)
        }
    }

    /// Splitting the inputs over workers changes only the order of partial sums.
    @Test func workersAgreeWithOneThread() throws {
        try BLASThreadsLock.withLock {
            let (mps, _, labels, features) = fixture(seed: 17)
            func outputs(workers: Int) throws -> Tensor<Double> {
                let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels,
                                                 options: SweepOptions(truncation: Truncation(maxBondDimension: 3), chunkSize: 2, workers: workers))
                try sweeper.sweepRight()
                return sweeper.mps.evaluate(features: features)
            }
            expectClose(try outputs(workers: 2), try outputs(workers: 1), relativeTolerance: 1e-9, absoluteTolerance: 1e-11)
        }
    }

    /// Same seed, same numbers: a sweep is a pure function of its inputs.
    @Test func sweepsAreDeterministicAndReduceTheCost() throws {
        func train() throws -> (Tensor<Double>, [Double]) {
            let (mps, _, labels, features) = fixture(seed: 13)
            let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels,
                                             options: SweepOptions(truncation: Truncation(maxBondDimension: 3), conjugateGradientSteps: 2, chunkSize: 5))
            var costs: [Double] = []
            try sweeper.updateBonds(Array(0..<(sites - 1)), direction: .right) { costs.append($0.costAfter) }
            try sweeper.updateBonds(Array((0..<(sites - 1)).reversed()), direction: .left) { costs.append($0.costAfter) }
            return (sweeper.mps.evaluate(features: features), costs)
        }
        let (first, costs) = try train()
        let (second, _) = try train()
        #expect(first.scalars == second.scalars)
        #expect(costs.last! < costs.first!)
    }

    /// A part of a sweep reports what its bond updates did — their count, the cost after the
    /// last one, the largest truncation, their flops — and tells `progress` the fraction done
    /// after each update; the same updates run bond by bond give the same numbers.
    @Test func partOfASweepReportsItsBondUpdatesAndProgress() throws {
        let (mps, _, labels, features) = fixture(seed: 23)
        let options = SweepOptions(truncation: Truncation(maxBondDimension: 2), conjugateGradientSteps: 2)
        let reported = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options)
        let byBond = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options)
        var fractions: [Double] = []
        let flopsBefore = reported.flops
        let report = try reported.sweepRight(stoppingAt: 4) { fractions.append($0) }
        var updates: [BondUpdate] = []
        try byBond.updateBonds([0, 1, 2, 3], direction: .right) { updates.append($0) }
        #expect(fractions == [0.25, 0.5, 0.75, 1])
        #expect(report.steps == 4 && report.nonFiniteSteps == 0)
        #expect(report.loss == updates.last?.costAfter)
        #expect(report.truncationError == updates.map(\.truncationError).max())
        #expect((report.truncationError ?? 0) > 0, "m = 2 truncates")
        #expect(report.flops == reported.flops - flopsBefore && report.flops > 0)
        #expect(reported.mps.labelSite == 4)
        let left = try reported.sweepLeft()
        #expect(left.steps == 4 && reported.mps.labelSite == 0)
    }

    /// What `progress` throws (a cancellation) stops the sweep after the update it was told of.
    @Test func aThrowingProgressStopsTheSweep() throws {
        struct Stop: Error {}
        let (mps, _, labels, features) = fixture(seed: 29)
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: SweepOptions(truncation: .none))
        var calls = 0
        #expect(throws: Stop.self) {
            try sweeper.sweepRight { _ in
                calls += 1
                if calls == 2 { throw Stop() }
            }
        }
        #expect(calls == 2 && sweeper.mps.labelSite == 2)
    }
}

@Suite struct BondProblemTests {
    /// The pass gives the same cost and adjoint for any worker count and chunk size.
    @Test(arguments: [(1, 7), (2, 7), (3, 5), (2, 1000)])
    func passIsIndependentOfWorkersAndChunks(workers: Int, chunk: Int) {
        var rng = Philox(seed: 23)
        let (n, dl, d, c, dr, sites) = (50, 3, 2, 4, 5, 3)
        let features = Tensor<Double>.randomUniform(shape: [sites, n, d], using: &rng)
        let targets = Tensor<Double>.randomUniform(shape: [n, c], using: &rng)
        let left = Tensor<Double>.randomNormal(shape: [n, dl], using: &rng)
        let right = Tensor<Double>.randomNormal(shape: [n, dr], using: &rng)
        let bond = Tensor<Double>.randomNormal(shape: [dl, d, c, d, dr], using: &rng)
        func solve(_ workers: Int, _ chunk: Int) -> (Tensor<Double>, Double, Tensor<Double>, Double) {
            let problem = BondProblem(features: features, targets: targets, left: left, right: right,
                                      site: 1, shape: (dl, d, c, dr), chunkSize: chunk, workers: workers)
            let (residual, cost) = problem.residual(of: bond)
            return (residual, cost, problem.applyNormalOperator(bond), problem.cost(of: bond))
        }
        let reference = solve(1, n)
        let other = solve(workers, chunk)
        expectClose(other.0, reference.0, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        expectClose(other.1, reference.1, relativeTolerance: 1e-12)
        expectClose(other.2, reference.2, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        expectClose(other.3, reference.3, relativeTolerance: 1e-12)
    }
}

/// A sweeper saved between two parts of a sweep and restored into a fresh one over the same
/// inputs (its environments recomputed) goes on with the same numbers, bit for bit.
@Suite struct SweeperCheckpointTests {
    /// Saved after `parts` quarter moves (label: 0 → 3 → 5 → 3 → 0 …), resumed for the rest.
    @Test(arguments: [1, 2, 3, 4])
    func restoredSweeperContinuesBitForBit(parts: Int) throws {
        let (mps, _, labels, features) = SweepTests().fixture(seed: 11)
        let options = SweepOptions(truncation: Truncation(maxBondDimension: 3), conjugateGradientSteps: 2, normalization: .perInput)
        func move(_ sweeper: TwoSiteSweeper<Double>, _ part: Int) throws -> EpochReport {
            switch part % 4 {
            case 0: try sweeper.sweepRight(stoppingAt: 3)
            case 1: try sweeper.sweepRight()
            case 2: try sweeper.sweepLeft(stoppingAt: 3)
            default: try sweeper.sweepLeft()
            }
        }
        let original = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options, rescaleOutputs: true)
        for part in 0..<parts { _ = try move(original, part) }
        var state = TrainingState()
        original.save(into: &state)

        // A fresh sweeper as a resumed job builds it: from the same start, then restored.
        let resumed = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options, rescaleOutputs: true)
        try resumed.restore(from: state)
        #expect(resumed.mps.labelSite == original.mps.labelSite && resumed.flops == original.flops)
        for part in parts..<(parts + 5) {
            let a = try move(original, part), b = try move(resumed, part)
            #expect(a.loss?.bitPattern == b.loss?.bitPattern && a.truncationError == b.truncationError, "part \(part)")
        }
        for (a, b) in zip(original.mps.cores, resumed.mps.cores) {
            #expect(a.shape == b.shape && a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        }
    }

    @Test func aStateOfAnotherChainOrNormalizationIsRefused() throws {
        let (mps, _, labels, features) = SweepTests().fixture(seed: 11)
        let sweeper = try TwoSiteSweeper(mps: mps, features: features, labels: labels,
                                         options: SweepOptions(truncation: .none, normalization: .perInput))
        var state = TrainingState()
        sweeper.save(into: &state)
        state.set("sweeper/sites", count: 7)
        #expect { try sweeper.restore(from: state) } throws: { "\($0)" == "checkpoint: 7 sites saved for a chain of 6" }
        let shared = try TwoSiteSweeper(mps: mps, features: features, labels: labels,
                                        options: SweepOptions(truncation: .none, normalization: .shared))
        #expect { try shared.restore(from: state) } throws: { "\($0)".contains("only with per-input environment normalization") }
    }
}
