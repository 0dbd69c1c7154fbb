import Testing
import TensorCore
@testable import TensorNetworks
import _TestSupport

/// The batched environment steps against explicit loops, for plain and label-carrying
/// environments (`copies` rows per input), over several cache blocks, a range of inputs that does
/// not start at 0, and any number of workers.
@Suite struct EnvironmentTests {
    /// [sites, count, d] features, a [D_l, d, D_r] core and `copies` environment rows per input.
    struct Case {
        let features: Tensor<Double>, core: Tensor<Double>, left: Tensor<Double>, right: Tensor<Double>
        let rows: Range<Int>, copies: Int, site: Int
    }

    func makeCase(count: Int, rows: Range<Int>, copies: Int, dl: Int, dr: Int, seed: UInt64) -> Case {
        var rng = Philox(seed: seed)
        let (sites, d) = (3, 2)
        return Case(
            features: Tensor.randomNormal(shape: [sites, count, d], using: &rng),
            core: Tensor.randomNormal(shape: [dl, d, dr], using: &rng),
            left: Tensor.randomNormal(shape: [rows.count * copies, dl], using: &rng),
            right: Tensor.randomNormal(shape: [rows.count * copies, dr], using: &rng),
            rows: rows, copies: copies, site: 1)
    }

    /// V'[i, r] = Σ_{l,s} V[i, l]·φ_s(x_{i/copies})·A[l, s, r] by loops.
    func naiveLeft(_ c: Case) -> [Double] {
        let (dl, d, dr) = (c.core.shape[0], c.core.shape[1], c.core.shape[2])
        var out = [Double](repeating: 0, count: c.left.shape[0] * dr)
        for i in 0..<c.left.shape[0] {
            let input = c.rows.lowerBound + i / c.copies
            for r in 0..<dr { for l in 0..<dl { for s in 0..<d {
                out[i * dr + r] += c.left[i, l] * c.features[c.site, input, s] * c.core[l, s, r]
            } } }
        }
        return out
    }

    /// W'[i, l] = Σ_{s,r} A[l, s, r]·φ_s(x_{i/copies})·W[i, r] by loops.
    func naiveRight(_ c: Case) -> [Double] {
        let (dl, d, dr) = (c.core.shape[0], c.core.shape[1], c.core.shape[2])
        var out = [Double](repeating: 0, count: c.right.shape[0] * dl)
        for i in 0..<c.right.shape[0] {
            let input = c.rows.lowerBound + i / c.copies
            for l in 0..<dl { for r in 0..<dr { for s in 0..<d {
                out[i * dl + l] += c.core[l, s, r] * c.features[c.site, input, s] * c.right[i, r]
            } } }
        }
        return out
    }

    func largestRelativeError(_ a: Tensor<Double>, _ b: [Double]) -> Double {
        let scale = b.map(abs).max() ?? 1
        return zip(Array(a.scalars), b).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [1, 3])
    func stepsMatchExplicitLoopsOverSeveralBlocks(copies: Int) {
        // 2·40 columns a row: a block holds 32768 / (copies·80) inputs, so 2,000 inputs span several.
        let (dl, dr) = (5, 40)
        let blockInputs = Environment.blockInputs(copies: copies, width: 2 * dr)
        let c = makeCase(count: 2_100, rows: 7..<2_007, copies: copies, dl: dl, dr: dr, seed: 11)
        #expect(c.rows.count > 2 * blockInputs, "the case spans \(c.rows.count / blockInputs) blocks")
        let referenceLeft = naiveLeft(c), referenceRight = naiveRight(c)
        var first: (Tensor<Double>, Tensor<Double>)?
        for workers in [1, 2, 3] {
            let left = Environment.absorbLeft(c.left, core: c.core, features: c.features, site: c.site, rows: c.rows,
                                              copies: copies, workers: workers)
            let right = Environment.absorbRight(c.right, core: c.core, features: c.features, site: c.site, rows: c.rows,
                                                copies: copies, workers: workers)
            #expect(left.shape == [c.rows.count * copies, dr] && right.shape == [c.rows.count * copies, dl])
            // Sums of at most d·D_l = 10 or d·D_r = 80 products of unit normals in double precision.
            #expect(largestRelativeError(left, referenceLeft) < 1e-13, "workers \(workers)")
            #expect(largestRelativeError(right, referenceRight) < 1e-13, "workers \(workers)")
            if let (l, r) = first {
                #expect(Array(left.scalars) == Array(l.scalars), "workers \(workers) against 1: the same numbers")
                #expect(Array(right.scalars) == Array(r.scalars), "workers \(workers) against 1: the same numbers")
            } else {
                first = (left, right)
            }
        }
    }

    @Test func anEmptyRangeGivesAnEmptyEnvironment() {
        let c = makeCase(count: 4, rows: 2..<2, copies: 2, dl: 3, dr: 4, seed: 5)
        let left = Environment.absorbLeft(c.left, core: c.core, features: c.features, site: c.site, rows: c.rows,
                                          copies: 2, workers: 2)
        let right = Environment.absorbRight(c.right, core: c.core, features: c.features, site: c.site, rows: c.rows,
                                            copies: 2, workers: 2)
        #expect(left.shape == [0, 4] && right.shape == [0, 3])
    }

    @Test func workersLeaveTheBLASThreadCountAsTheyFoundIt() {
        let c = makeCase(count: 3_000, rows: 0..<3_000, copies: 1, dl: 4, dr: 40, seed: 3)
        let before = BLASRuntime.threadCount
        _ = Environment.absorbLeft(c.left, core: c.core, features: c.features, site: c.site, rows: c.rows, workers: 2)
        #expect(BLASRuntime.threadCount == before)
    }
}
