import Testing
import TensorCore
import _TestSupport
@testable import TensorNetworks

@Suite struct NearIdentityInitializationTests {
    /// Shapes and parameter count for the label on an end, inside, and at the last site.
    @Test(arguments: [0, 3, 6])
    func shapesPutTheLabelLegWhereAsked(labelSite: Int) {
        let shapes = NearIdentityInitialization.shapes(siteCount: 7, bondDimension: 4, physical: 2, labelCount: 3, labelSite: labelSite)
        #expect(shapes.count == 7)
        #expect(shapes[labelSite].count == 4 && shapes[labelSite][2] == 3)
        #expect(shapes.enumerated().allSatisfy { $0.offset == labelSite || $0.element.count == 3 })
        #expect(shapes.first![0] == 1 && shapes.last!.last! == 1)
        let count = NearIdentityInitialization.parameterCount(siteCount: 7, bondDimension: 4, physical: 2, labelCount: 3,
                                                              labelSite: labelSite)
        #expect(count == shapes.reduce(0) { $0 + $1.reduce(1, *) })
        // 784 sites, label in the middle: 2·D (ends) + 782·2·D² + 10·2·D² − 2·D² (the label core replaces one bulk core).
        let d = 10
        #expect(NearIdentityInitialization.parameterCount(siteCount: 784, bondDimension: d, physical: 2, labelCount: 10, labelSite: 392)
                == 2 * 2 * d + 781 * 2 * d * d + 10 * 2 * d * d)
    }

    /// Without noise every class's output is exactly 1 for any input: Σ_s φ_s(x)·A[:, s, :] = I.
    @Test(arguments: [0, 4, 8])
    func noiselessModelIsTheIdentityOnEveryInput(labelSite: Int) {
        var rng = Philox(seed: 3)
        let model: MPSClassifier<Double> = NearIdentityInitialization(noiseStandardDeviation: 0).mps(
            siteCount: 9, bondDimension: 3, labelCount: 4, labelSite: labelSite, featureMap: .polynomial(degree: 1), using: &rng)
        let pixels = Tensor<Double>.randomUniform(shape: [5, 9], using: &rng)
        let outputs = model.evaluate(features: FeatureMap.polynomial(degree: 1).siteFeatures(pixels, as: Double.self))
        #expect(outputs.shape == [5, 4])
        #expect(outputs.scalars.allSatisfy { abs($0 - 1) < 1e-12 }, "\(outputs.scalars)")
    }

    /// The noise has the requested spread and is drawn from the caller's generator (same seed,
    /// same cores; another seed, other cores).
    @Test func noiseIsSeededAndOfTheRequestedSize() {
        func draw(_ seed: UInt64) -> MPSClassifier<Double> {
            var rng = Philox(seed: seed)
            return NearIdentityInitialization(noiseStandardDeviation: 0.01).mps(
                siteCount: 6, bondDimension: 8, labelCount: 10, labelSite: 3, featureMap: .polynomial(degree: 1), using: &rng)
        }
        let a = draw(1), b = draw(1), c = draw(2)
        #expect(a.cores.map(\.scalars) == b.cores.map(\.scalars))
        #expect(a.cores.map(\.scalars) != c.cores.map(\.scalars))
        // Bulk core 2: the x-slot (s = 1) is pure noise.
        let core = a.cores[2].scalars, dl = 8, dr = 8
        let noise = (0..<dl).flatMap { l in (0..<dr).map { r in core[(l * 2 + 1) * dr + r] } }
        let rms = (noise.reduce(0) { $0 + $1 * $1 } / Double(noise.count)).squareRoot()
        #expect(rms > 0.007 && rms < 0.013, "rms \(rms)")
    }
}
