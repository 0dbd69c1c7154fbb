import Datasets
import Foundation
import TensorCore
import Testing

@Suite struct SyntheticTests {
    /// Least-squares slope and intercept of y on x.
    func leastSquares(_ x: [Double], _ y: [Double]) -> (slope: Double, intercept: Double) {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        return (sxy / sxx, my - sxy / sxx * mx)
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func noisyLineFitsThePapersLine(seed: UInt64) {
        var rng = Philox(seed: seed)
        let line = Synthetic.noisyLine(count: 400, rng: &rng)
        let x = line.features.scalars
        #expect(line.count == 400 && line.features.shape == [400, 1] && line.labels.isEmpty)
        #expect(x.allSatisfy { (0...1).contains($0) })
        let fit = leastSquares(x, line.targets)
        #expect(abs(fit.slope - 0.55) < 0.05)
        #expect(abs(fit.intercept - 0.20) < 0.03)
        let residuals = zip(x, line.targets).map { $1 - (0.55 * $0 + 0.20) }
        #expect(residuals.allSatisfy { abs($0) <= 0.1 })
    }

    @Test func noisySineStatistics() {
        var rng = Philox(seed: 1)
        let sine = Synthetic.noisySine(count: 4000, rng: &rng)
        let x = sine.features.scalars
        #expect(x.allSatisfy { (0...(2 * Double.pi)).contains($0) })
        let residuals = zip(x, sine.targets).map { $1 - sin($0) }
        #expect(residuals.allSatisfy { abs($0) <= 0.2 })
        let variance = residuals.map { $0 * $0 }.reduce(0, +) / Double(residuals.count)
        #expect(abs(variance - 0.04 / 3) < 0.0015)  // U(−0.2, 0.2): σ² = 0.0133
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func gaussianBlobs(seed: UInt64) {
        var rng = Philox(seed: seed)
        let blobs = Synthetic.gaussianBlobs(count: 600, rng: &rng)
        let f = blobs.features.scalars
        #expect(blobs.features.shape == [600, 2] && blobs.labelHistogram() == [300, 300])
        #expect(f.min() == 0 && f.allSatisfy { (0...1).contains($0) })
        #expect(blobs.columnRanges().allSatisfy { $0.min == 0 && $0.max == 1 })
        // Well separated: the nearest-class-mean rule gets almost every point right.
        var means = [[0.0, 0.0], [0.0, 0.0]]
        for i in 0..<600 { means[blobs.labels[i]][0] += f[2 * i] / 300; means[blobs.labels[i]][1] += f[2 * i + 1] / 300 }
        let correct = (0..<600).filter { i in
            let d = means.map { pow(f[2 * i] - $0[0], 2) + pow(f[2 * i + 1] - $0[1], 2) }
            return (d[0] < d[1] ? 0 : 1) == blobs.labels[i]
        }.count
        #expect(correct >= 594)
        // Rows are shuffled: the first 500 hold both classes.
        #expect(Set(blobs.labels.prefix(500)).count == 2)
    }

    @Test func spiralsShape() {
        var rng = Philox(seed: 4)
        let spirals = Synthetic.spirals(count: 600, rng: &rng)
        #expect(spirals.features.shape == [600, 2] && spirals.labelHistogram() == [200, 200, 200])
        let f = spirals.features.scalars
        for i in 0..<600 {
            let r = (f[2 * i] * f[2 * i] + f[2 * i + 1] * f[2 * i + 1]).squareRoot()
            #expect(abs(r - Double(i % 200) / 199) < 1e-12)  // radius = i/(n−1), exactly
        }
        var r2 = Philox(seed: 4)
        #expect(Synthetic.spirals(count: 7, arms: 2, rng: &r2).labelHistogram() == [4, 3])
    }

    @Test func generatorsAreDeterministicPerSeed() {
        func draw(_ seed: UInt64) -> [[Double]] {
            var rng = Philox(seed: seed)
            return [Synthetic.gaussianBlobs(count: 50, rng: &rng).features.scalars,
                    Synthetic.spirals(count: 30, rng: &rng).features.scalars,
                    Synthetic.noisyLine(count: 20, rng: &rng).targets,
                    Synthetic.noisySine(count: 20, rng: &rng).targets]
        }
        #expect(draw(9) == draw(9))
        #expect(draw(9) != draw(10))
    }
}
