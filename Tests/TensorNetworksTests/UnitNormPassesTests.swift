import Testing
import TensorCore
@testable import TensorNetworks
import _TestSupport

/// The authors' local solver (``UnitNormPasses``, TNML `cgrad`) against a literal transcription
/// of their code on a dense least-squares problem, and wired into the two-site sweep.
@Suite struct UnitNormPassesTests {
    /// min ½‖F·B − Y‖² with F [12, 5] and Y [12] drawn at random.
    struct Dense {
        var f: [[Double]], y: [Double]

        init(seed: UInt64) {
            var rng = Philox(seed: seed)
            f = (0..<12).map { _ in (0..<5).map { _ in rng.nextNormal() } }
            y = (0..<12).map { _ in rng.nextNormal() }
        }

        func apply(_ b: [Double]) -> [Double] { f.map { row in zip(row, b).reduce(0) { $0 + $1.0 * $1.1 } } }
        func adjoint(_ e: [Double]) -> [Double] { (0..<5).map { j in zip(f, e).reduce(0) { $0 + $1.0[j] * $1.1 } } }
        func residual(_ b: [Double]) -> [Double] { adjoint(zip(y, apply(b)).map { $0 - $1 }) }
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    static func scaled(_ v: [Double], _ s: Double) -> [Double] { v.map { $0 * s } }

    /// fixedL.cc `cgrad`, line by line, with λ = 0: p·A·p as Σₙ |p·vₙ|² = ‖F·p‖².
    static func authorsCgrad(_ problem: Dense, _ start: [Double], passes: Int) -> [Double] {
        var b = start
        var r = problem.residual(b)
        var p = r
        for pass in 1...passes {
            let pAp = norm(problem.apply(p)) * norm(problem.apply(p))
            let a = norm(r) * norm(r) / pAp
            b = zip(b, p).map { $0 + a * $1 }
            b = scaled(b, 1 / norm(b))                       // B.scaleTo(1.)
            if pass == passes { break }
            let nr = problem.residual(b)
            let beta = (norm(nr) / norm(r)) * (norm(nr) / norm(r))
            r = scaled(nr, 1 / norm(nr))                     // r.scaleTo(1.)
            p = zip(r, p).map { $0 + beta * $1 }
            p = scaled(p, 1 / norm(p))                       // p.scaleTo(1.)
        }
        return b
    }

    @Test(arguments: [1, 2, 4, 6])
    func matchesTheAuthorsCodeOnADenseProblem(passes: Int) {
        let problem = Dense(seed: 7)
        var rng = Philox(seed: 8)
        let start = (0..<5).map { _ in rng.nextNormal() }
        var bond = Tensor<Double>(shape: [5], scalars: start)
        UnitNormPasses.solve(
            &bond, passes: passes,
            residual: { Tensor(shape: [5], scalars: problem.residual($0.scalars)) },
            operator: { Tensor(shape: [5], scalars: problem.adjoint(problem.apply($0.scalars))) })
        let expected = Self.authorsCgrad(problem, start, passes: passes)
        for (got, want) in zip(bond.scalars, expected) { expectClose(got, want, relativeTolerance: 1e-12, absoluteTolerance: 1e-14) }
        expectClose(Self.norm(bond.scalars), 1, relativeTolerance: 1e-14)
        // The first pass is a steepest-descent step with exact line search, then unit norm: it
        // lowers the cost of the step's direction-scaled B, not necessarily of the rescaled one.
        if passes == 1 {
            let r = problem.residual(start)
            let a = Self.norm(r) * Self.norm(r) / (Self.norm(problem.apply(r)) * Self.norm(problem.apply(r)))
            let step = zip(start, r).map { $0 + a * $1 }
            for (got, want) in zip(bond.scalars, Self.scaled(step, 1 / Self.norm(step))) { expectClose(got, want, relativeTolerance: 1e-12) }
        }
    }

    @Test func zeroPassesLeaveTheBondAlone() {
        var bond = Tensor<Double>(shape: [2], scalars: [3, 4])
        UnitNormPasses.solve(&bond, passes: 0, residual: { $0 }, operator: { $0 })
        #expect(bond.scalars == [3, 4])
    }

    /// In a sweep (per-input normalization): the updated bond has unit norm and the costs the
    /// update reports are those of the bonds before and after, contracted from scratch.
    @Test func aSweepWithTheAuthorsSolverReportsTheCostsOfItsBonds() throws {
        try BLASThreadsLock.withLock {
            let setup = PerInputSweepTests()
            let (mps, inputs, labels, features) = setup.problem(seed: 43, sites: 7, count: 50, labelCount: 3)
            let sweeper = try TwoSiteSweeper(
                mps: mps, features: features, labels: labels,
                options: SweepOptions(truncation: Truncation(maxBondDimension: 4), conjugateGradientSteps: 3, chunkSize: 16,
                                      normalization: .perInput, solver: .tnml),
                rescaleOutputs: true)
            let before = sweeper.bondTensor(site: 0)
            let (bond, costBefore, costAfter) = try sweeper.optimizeBond(site: 0)
            expectClose(Double(bond.norm()), 1, relativeTolerance: 1e-12)
            let cores = sweeper.mps.cores
            expectClose(costBefore, setup.normalizedCost(bond: before, site: 0, cores: cores, inputs: inputs, labels: labels),
                        relativeTolerance: 1e-9)
            expectClose(costAfter, setup.normalizedCost(bond: bond, site: 0, cores: cores, inputs: inputs, labels: labels),
                        relativeTolerance: 1e-9)
        }
    }
}
