import Testing
import TensorCore
@testable import Datasets

@Suite struct PixelGaussianTests {
    /// Three 1×3 images: a constant pixel, a varying one, an always-ink one.
    private let images = ImageSet(pixels: Tensor(shape: [3, 1, 3], scalars: [0, 0.2, 1, 0, 0.4, 1, 0, 0.6, 1]),
                                  labels: [0, 1, 2], classCount: 10)

    @Test func fitsPerPixelMeanAndPopulationStandardDeviation() {
        let g = PixelGaussian(fittedTo: images)
        #expect(g.rows == 1 && g.columns == 3)
        let mean = g.mean.scalars, sd = g.standardDeviation.scalars
        #expect(abs(mean[0]) < 1e-7 && abs(mean[1] - 0.4) < 1e-6 && abs(mean[2] - 1) < 1e-6)
        // Population σ of {0.2, 0.4, 0.6}: √(0.08/3).
        #expect(abs(Double(sd[1]) - (0.08 / 3).squareRoot()) < 1e-6)
        #expect(sd[0] == 0 && abs(sd[2]) < 1e-3)
    }

    /// Samples stay in [0, 1], constant pixels stay at their value, the varying pixel has the
    /// fitted mean and spread (it is far from the clip), and the draw is reproducible per seed.
    @Test func samplesAreClippedSeededAndDistributedAsFitted() {
        let g = PixelGaussian(mean: Tensor(shape: [1, 3], scalars: [0, 0.5, 0.95]),
                              standardDeviation: Tensor(shape: [1, 3], scalars: [0, 0.1, 0.5]))
        var rng = Philox(seed: 11)
        let s = g.sample(count: 4_000, using: &rng)
        #expect(s.count == 4_000 && s.rows == 1 && s.columns == 3 && s.labels.allSatisfy { $0 == 0 })
        let x = s.pixels.scalars
        #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
        let first = stride(from: 0, to: x.count, by: 3).map { x[$0] }
        let second = stride(from: 1, to: x.count, by: 3).map { Double(x[$0]) }
        let third = stride(from: 2, to: x.count, by: 3).map { x[$0] }
        #expect(first.allSatisfy { $0 == 0 })
        let mean = second.reduce(0, +) / Double(second.count)
        let sd = (second.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(second.count)).squareRoot()
        #expect(abs(mean - 0.5) < 0.01 && abs(sd - 0.1) < 0.01, "mean \(mean), sd \(sd)")
        #expect(third.contains(1) && third.contains { $0 < 0.9 }, "the wide pixel is clipped at 1 and still spreads")
        var again = Philox(seed: 11)
        #expect(g.sample(count: 4_000, using: &again).pixels.scalars == x)
    }
}
