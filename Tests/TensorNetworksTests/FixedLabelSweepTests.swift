import Testing
import TensorCore
@testable import TensorNetworks
import _TestSupport

/// Sweeps with the label fixed on one core (``LabelPlacement/fixed``, the authors' TNML code):
/// the local problem of a bond without the label leg, the environments that carry the label,
/// splits that leave the label where it is, checkpoints, and moving the label of a start.
@Suite struct FixedLabelSweepTests {
    let map = FeatureMap.trigonometric
    let sites = 9, labelSite = 4, labelCount = 3, count = 40

    /// A random chain of 9 sites, its label core on site 4 (or `label`), and 40 labelled inputs.
    func fixture(seed: UInt64, bond: Int = 3, label: Int? = nil) -> (MPSClassifier<Double>, [[Double]], [Int], Tensor<Double>) {
        let labelSite = label ?? self.labelSite
        var rng = Philox(seed: seed)
        let dims: [Int] = (0...sites).map { j in min(bond, 1 << min(j, sites - j)) }
        let cores = (0..<sites).map { j in
            let shape = j == labelSite ? [dims[j], 2, labelCount, dims[j + 1]] : [dims[j], 2, dims[j + 1]]
            return Tensor<Double>.randomNormal(shape: shape, standardDeviation: 0.7, using: &rng)
        }
        let mps = MPSClassifier(cores: cores, labelSite: labelSite, labelCount: labelCount, featureMap: map)
        let inputs = (0..<count).map { _ in (0..<sites).map { _ in rng.nextUniform() } }
        let labels = (0..<count).map { _ in rng.nextInt(below: labelCount) }
        let pixels = Tensor<Double>(shape: [count, sites], scalars: inputs.flatMap { $0 })
        return (mps, inputs, labels, map.siteFeatures(pixels, as: Double.self))
    }

    /// The cores with the label core replaced by its slice at `label` (a plain [Dl, d, Dr] core).
    func sliced(_ cores: [Tensor<Double>], label: Int, at site: Int) -> [Tensor<Double>] {
        var cores = cores
        let core = cores[site], (dl, d, dr) = (core.shape[0], core.shape[1], core.shape[3])
        cores[site] = Tensor(shape: [dl, d, dr]) { out in
            for l in 0..<dl { for s in 0..<d { for r in 0..<dr { out[(l * d + s) * dr + r] = core[l, s, label, r] } } }
        }
        return cores
    }

    /// ½ Σ (f̂ − y)² / N at bond (j, j+1) with f̂ = f / (‖Lⱼ(x)‖·‖Rⱼ₊₂(x)‖), where the environment
    /// on the label's side is the [C, D] matrix of the label's slices and its norm Frobenius's;
    /// every vector by ``NaiveChain``'s explicit loops.
    func normalizedCost(site j: Int, cores: [Tensor<Double>], inputs: [[Double]], labels: [Int]) -> Double {
        let slices = (0..<labelCount).map { sliced(cores, label: $0, at: labelSite) }
        func norm(_ vectors: [[Double]]) -> Double { vectors.joined().reduce(0) { $0 + $1 * $1 }.squareRoot() }
        var total = 0.0
        for (x, label) in zip(inputs, labels) {
            let leftNorm = j > labelSite
                ? norm(slices.map { NaiveChain.leftVector($0, upTo: j, x: x, map: map) })
                : norm([NaiveChain.leftVector(cores, upTo: j, x: x, map: map)])
            let rightNorm = j + 2 <= labelSite
                ? norm(slices.map { NaiveChain.rightVector($0, downTo: j + 2, x: x, map: map) })
                : norm([NaiveChain.rightVector(cores, downTo: j + 2, x: x, map: map)])
            for l in 0..<labelCount {
                let f = NaiveChain.leftVector(slices[l], upTo: sites, x: x, map: map)[0] / (leftNorm * rightNorm)
                let y = l == label ? 1.0 : 0.0
                total += 0.5 * (f - y) * (f - y)
            }
        }
        return total / Double(inputs.count)
    }

    /// The bond problem without the label leg: its negative gradient is the cost's derivative
    /// (central differences), its operator is F*F (⟨P, F*F·P⟩ = ‖F·P‖², the cost of P against zero
    /// targets), and a pass does not depend on workers or chunks.
    @Test func labelInEnvironmentProblemIsItsCostsDerivative() {
        var rng = Philox(seed: 5)
        let (n, dn, d, c, df) = (30, 3, 2, 4, 5)
        let features = Tensor<Double>.randomUniform(shape: [3, n, d], using: &rng)
        let targets = Tensor<Double>.randomUniform(shape: [n, c], using: &rng)
        let near = Tensor<Double>.randomNormal(shape: [n, dn], using: &rng)
        let far = Tensor<Double>.randomNormal(shape: [n, c * df], using: &rng)
        let bond = Tensor<Double>.randomNormal(shape: [dn, d, d, df], using: &rng)
        func problem(_ targets: Tensor<Double>, workers: Int = 1, chunk: Int = 1000) -> LabelInEnvironmentBondProblem<Double> {
            LabelInEnvironmentBondProblem(features: features, targets: targets, near: near, nearSite: 2, far: far, farSite: 0,
                                          chunkSize: chunk, workers: workers)
        }
        let p = problem(targets)
        let (residual, cost) = p.residual(of: bond)
        expectClose(p.cost(of: bond), cost, relativeTolerance: 1e-13)
        let direction = Tensor<Double>.randomNormal(shape: bond.shape, using: &rng)
        let h = 1e-5
        var plus = bond, minus = bond
        plus.add(direction, scaledBy: h)
        minus.add(direction, scaledBy: -h)
        let difference = (p.cost(of: plus) - p.cost(of: minus)) / (2 * h)
        expectClose(-residual.dot(direction) / Double(n), difference, relativeTolerance: 1e-7)

        let zero = problem(Tensor(zeros: [n, c]))
        expectClose(direction.dot(p.applyNormalOperator(direction)), 2 * Double(n) * zero.cost(of: direction), relativeTolerance: 1e-12)

        for (workers, chunk) in [(2, 7), (3, 4)] {
            let other = problem(targets, workers: workers, chunk: chunk)
            let (otherResidual, otherCost) = other.residual(of: bond)
            expectClose(otherResidual, residual, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
            expectClose(otherCost, cost, relativeTolerance: 1e-12)
            expectClose(other.applyNormalOperator(direction), p.applyNormalOperator(direction),
                        relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
        }
    }

    /// Bond by bond through a right and a left half-sweep: each bond's cost before its update,
    /// from the cached environments (those beyond the label carry it), equals the normalized cost
    /// of the stored cores contracted from scratch; the local solve lowers it; and the label
    /// stays on its core, the only core with four legs.
    @Test(arguments: [1, 2])
    func cachedLabelEnvironmentsFollowTheStoredModel(workers: Int) throws {
        try BLASThreadsLock.withLock {
            let (mps, inputs, labels, features) = fixture(seed: 17)
            let sweeper = try TwoSiteSweeper(
                mps: mps, features: features, labels: labels,
                options: SweepOptions(truncation: Truncation(maxBondDimension: 4), conjugateGradientSteps: 2, chunkSize: 16,
                                      workers: workers, normalization: .perInput, label: .fixed),
                rescaleOutputs: true)
            #expect(sweeper.position == 0)
            let bonds = Array(0..<(sites - 1)).map { ($0, SweepDirection.right) }
                + Array(stride(from: sites - 2, through: 0, by: -1)).map { ($0, SweepDirection.left) }
            for (j, direction) in bonds {
                let expected = normalizedCost(site: j, cores: sweeper.mps.cores, inputs: inputs, labels: labels)
                try sweeper.updateBonds([j], direction: direction) { update in
                    expectClose(update.costBefore, expected, relativeTolerance: 1e-9, "bond \(j) \(direction)")
                    #expect(update.costAfter <= update.costBefore * (1 + 1e-12), "bond \(j) \(direction)")
                }
                #expect(sweeper.mps.labelSite == labelSite)
                #expect(sweeper.position == (direction == .right ? j + 1 : j))
                #expect(sweeper.mps.cores.enumerated().allSatisfy { $0.element.rank == ($0.offset == labelSite ? 4 : 3) })
            }
        }
    }

    /// With no truncation and no solver step, a sweep only splits the unchanged bond tensors:
    /// the stored function stays what it was (bonds may change, the label stays).
    @Test func exactSplitsLeaveTheFunctionUnchanged() throws {
        let (mps, _, labels, features) = fixture(seed: 3)
        let sweeper = try TwoSiteSweeper(
            mps: mps, features: features, labels: labels,
            options: SweepOptions(truncation: .none, conjugateGradientSteps: 0, normalization: .perInput, label: .fixed))
        let before = sweeper.mps.evaluate(features: features)
        try sweeper.sweepRight()
        try sweeper.sweepLeft()
        #expect(sweeper.mps.labelSite == labelSite)
        expectClose(sweeper.mps.evaluate(features: features), before, relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
    }

    /// A fixed-label sweeper saved between parts of a sweep (position and label apart) and
    /// restored into a fresh one continues with the same numbers bit for bit.
    @Test(arguments: [1, 2, 3])
    func restoredSweeperContinuesBitForBit(parts: Int) throws {
        let (mps, _, labels, features) = fixture(seed: 29)
        let options = SweepOptions(truncation: Truncation(maxBondDimension: 3), conjugateGradientSteps: 2,
                                   normalization: .perInput, label: .fixed)
        func move(_ sweeper: TwoSiteSweeper<Double>, _ part: Int) throws -> EpochReport {
            switch part % 4 {
            case 0: try sweeper.sweepRight(stoppingAt: 2)
            case 1: try sweeper.sweepRight()
            case 2: try sweeper.sweepLeft(stoppingAt: 6)
            default: try sweeper.sweepLeft()
            }
        }
        let original = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options, rescaleOutputs: true)
        for part in 0..<parts { _ = try move(original, part) }
        var state = TrainingState()
        original.save(into: &state)
        let resumed = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: options, rescaleOutputs: true)
        try resumed.restore(from: state)
        #expect(resumed.position == original.position && resumed.mps.labelSite == labelSite)
        for part in parts..<(parts + 4) {
            let a = try move(original, part), b = try move(resumed, part)
            #expect(a.loss?.bitPattern == b.loss?.bitPattern && a.truncationError == b.truncationError, "part \(part)")
        }
        for (a, b) in zip(original.mps.cores, resumed.mps.cores) {
            #expect(a.shape == b.shape && a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        }
    }

    /// Keeping only every k-th environment that carries the label changes no number (cores and
    /// costs bit for bit, with one worker or two), and holds fewer of them at every bond.
    @Test(arguments: [1, 2])
    func aStrideOnTheLabelEnvironmentsChangesNoNumber(workers: Int) throws {
        try BLASThreadsLock.withLock {
            let (mps, _, labels, features) = fixture(seed: 43)
            func train(every stride: Int?) throws -> ([Tensor<Double>], [UInt64], Int) {
                let sweeper = try TwoSiteSweeper(
                    mps: mps, features: features, labels: labels,
                    options: SweepOptions(truncation: Truncation(maxBondDimension: 3), conjugateGradientSteps: 2, workers: workers,
                                          normalization: .perInput, label: .fixed, labelEnvironmentStride: stride),
                    rescaleOutputs: true)
                var losses: [UInt64] = [], held = 0
                let count = { (update: BondUpdate) in
                    let carrying = sweeper.left.enumerated().filter { $0.offset > labelSite && $0.element != nil }.count
                        + sweeper.right.enumerated().filter { $0.offset <= labelSite && $0.element != nil }.count
                    held = max(held, carrying)
                    losses.append(update.costAfter.bitPattern)
                }
                for _ in 0..<2 {
                    try sweeper.updateBonds(Array(0..<(sites - 1)), direction: .right, each: count)
                    try sweeper.updateBonds(Array(Swift.stride(from: sites - 2, through: 0, by: -1)), direction: .left, each: count)
                }
                return (sweeper.mps.cores, losses, held)
            }
            let (allCores, allLosses, allHeld) = try train(every: nil)
            let (strideCores, strideLosses, strideHeld) = try train(every: 2)
            #expect(strideLosses == allLosses)
            for (a, b) in zip(allCores, strideCores) { #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern)) }
            #expect(strideHeld < allHeld, "held \(strideHeld) of \(allHeld)")
        }
    }

    /// A moving-label sweeper refuses a state whose position is not its label's.
    @Test func aMovingLabelRefusesAPositionApartFromTheLabel() throws {
        let (mps, _, labels, features) = fixture(seed: 31)
        let fixed = try TwoSiteSweeper(mps: mps, features: features, labels: labels, options: SweepOptions(
            truncation: .none, conjugateGradientSteps: 0, normalization: .perInput, label: .fixed))
        try fixed.sweepRight(stoppingAt: 2)
        var state = TrainingState()
        fixed.save(into: &state)
        let (start, _, _, _) = fixture(seed: 31, label: 0)
        let moving = try TwoSiteSweeper(mps: start, features: features, labels: labels,
                                        options: SweepOptions(truncation: .none, normalization: .perInput))
        #expect(throws: TrainingStateError.self) { try moving.restore(from: state) }
    }

    /// Moving a start's label right by SVDs without truncation keeps its function; with a bond
    /// cap it reports the weight it dropped.
    @Test func movingTheLabelKeepsTheFunction() throws {
        let (start, _, _, features) = fixture(seed: 37, label: 0)
        let outputs = start.evaluate(features: features)
        var exact = start
        let dropped = try exact.moveLabel(rightTo: 6, truncation: .none)
        #expect(exact.labelSite == 6 && dropped < 1e-20)
        expectClose(exact.evaluate(features: features), outputs, relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
        var capped = start
        let cut = try capped.moveLabel(rightTo: 6, truncation: Truncation(maxBondDimension: 1))
        #expect(capped.labelSite == 6 && cut > 0 && capped.bondDimensions[1...6].allSatisfy { $0 == 1 })
    }
}
