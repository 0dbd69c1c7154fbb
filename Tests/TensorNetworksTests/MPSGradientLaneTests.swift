import CKernels
import Testing
import TensorCore
import _TestSupport
@testable import TensorNetworks

/// The lane path of the gradient-descent engine (MPSGradientEngine+Lanes.swift, LaneKernels.c):
/// its kernels against naïve loops, its gradients against the Double engine (which never takes
/// it), and its independence of a sample's place in the batch.
@Suite struct MPSGradientLaneTests {
    /// A random problem with the label on site 0, in Double (the reference) and in Float.
    struct Problem {
        var cores: [Tensor<Double>], features: Tensor<Double>, labels: [Int]
        var bonds: [Int] { [1] + cores.map { $0.shape.last! } }
        var floatCores: [Tensor<Float>] { cores.map { $0.converted(to: Float.self) } }
        var floatFeatures: Tensor<Float> { features.converted(to: Float.self) }
    }

    static func problem(
        sites: Int, bond: Int, labels: Int = 10, labelSite: Int = 0, samples: Int = 40, seed: UInt64 = 3, scale: Double = 1
    ) -> Problem {
        var rng = Philox(seed: seed, stream: UInt64(bond))
        let shapes = NearIdentityInitialization.shapes(siteCount: sites, bondDimension: bond, physical: 2, labelCount: labels,
                                                       labelSite: labelSite)
        // Scaled so that the outputs stay of order one along the chain (times `scale` per core).
        let cores = shapes.map { shape in
            Tensor<Double>.randomNormal(shape: shape, mean: 0, standardDeviation: scale / Double(shape[0] * 2).squareRoot(), using: &rng)
        }
        let pixels = Tensor<Double>.randomUniform(shape: [samples, sites], using: &rng)
        let features: Tensor<Double> = FeatureMap.trigonometric.siteFeatures(pixels, as: Double.self)
        return Problem(cores: cores, features: features, labels: (0..<samples).map { _ in rng.nextInt(below: labels) })
    }

    @Test func enginesTakeTheLanePathOnlyWhereItApplies() {
        let bonds = [1, 2, 4, 24, 4, 2, 1]
        func lanes<S: BLASScalar>(_: S.Type, _ bonds: [Int], label: Int = 0, _ numerics: ContractionNumerics = .plain) -> Bool {
            MPSGradientEngine<S>(bondDimensions: bonds, physicalDimension: 2, labelCount: 10, labelSite: label,
                                 batchCapacity: 32, numerics: numerics).laneBuffers != nil
        }
        #expect(lanes(Float.self, bonds))
        #expect(lanes(Float.self, bonds, .logscaled))
        #expect(!lanes(Double.self, bonds))
        #expect(lanes(Float.self, bonds, label: 3))
        #expect(lanes(Float.self, bonds, label: 5, .logscaled))
        #expect(!lanes(Double.self, bonds, label: 3))
        #expect(!lanes(Float.self, [1, 2, 4, 25, 4, 2, 1]))
        #expect(!lanes(Float.self, [1, 2, 4, 25, 4, 2, 1], label: 3))
    }

    /// Loss, logits and every core gradient of the Float lane path against the Double engine on
    /// the same (Float-representable) cores and features, at bonds that fill one and two vector
    /// widths and batches that fill part of a vector, one and several: within float32 rounding
    /// (relative 2e-4 of each core's largest gradient entry; the sums run over at most 48 terms).
    ///
    /// The label on the first core, inside the chain (site 4 of 9) and on the last core.
    @Test(arguments: ContractionNumerics.allCases, [
        (3, 1, 0), (3, 17, 0), (10, 5, 0), (10, 16, 0), (10, 40, 0), (24, 17, 0), (24, 40, 0),
        (3, 1, 4), (3, 17, 4), (10, 5, 4), (10, 40, 4), (24, 17, 4), (10, 16, 8), (10, 16, 1),
    ])
    func lanePathMatchesTheDoubleEngine(numerics: ContractionNumerics, shape: (bond: Int, batchSize: Int, labelSite: Int)) {
        let (bond, batchSize, labelSite) = shape
        let p = Self.problem(sites: 9, bond: bond, labelSite: labelSite)
        let reference = Problem(cores: p.floatCores.map { $0.converted(to: Double.self) },
                                features: p.floatFeatures.converted(to: Double.self), labels: p.labels)
        let batch = Array((0..<batchSize).map { ($0 * 7) % p.labels.count })
        let lane = MPSGradientEngine<Float>(bondDimensions: p.bonds, physicalDimension: 2, labelCount: 10,
                                            labelSite: labelSite, batchCapacity: 40, numerics: numerics)
        let exact = MPSGradientEngine<Double>(bondDimensions: p.bonds, physicalDimension: 2, labelCount: 10,
                                              labelSite: labelSite, batchCapacity: 40, numerics: numerics)
        #expect(lane.laneBuffers != nil)
        var g32 = p.floatCores.map { Tensor<Float>(zeros: $0.shape) }
        var g64 = reference.cores.map { Tensor<Double>(zeros: $0.shape) }
        let e32 = lane.lossAndGradient(cores: p.floatCores, features: p.floatFeatures, labels: p.labels, batch: batch, gradients: &g32)
        let e64 = exact.lossAndGradient(cores: reference.cores, features: reference.features, labels: p.labels, batch: batch, gradients: &g64)
        #expect(e32.isFinite && e64.isFinite)
        #expect(abs(e32.loss - e64.loss) <= 1e-5 * Swift.max(1, abs(e64.loss)), "loss \(e32.loss) vs \(e64.loss)")
        for j in g64.indices {
            let exactScalars = g64[j].scalars, laneScalars = g32[j].scalars
            let scale = exactScalars.map { abs($0) }.max()!
            for i in exactScalars.indices {
                #expect(abs(Double(laneScalars[i]) - exactScalars[i]) <= 2e-4 * scale + 1e-30,
                        "core \(j) entry \(i): \(laneScalars[i]) vs \(exactScalars[i]) (largest \(scale))")
            }
        }
        let samples = Array(0..<p.labels.count)
        let l32 = lane.logits(cores: p.floatCores, features: p.floatFeatures, samples: samples)
        let l64 = exact.logits(cores: reference.cores, features: reference.features, samples: samples)
        let largest = l64.map { abs($0) }.max()!
        for i in l64.indices { #expect(abs(l32[i] - l64[i]) <= 2e-5 * largest, "logit \(i): \(l32[i]) vs \(l64[i])") }
    }

    /// Log-scaled, a chain of 300 cores, each scaled by 0.4, whose outputs (below 2^−200) and gradients lie far below
    /// float32's range: the lane path keeps them, and its logits and gradients (as exact
    /// Doubles: mantissa·2^exponent) match the log-scaled Double engine's within float32 rounding.
    /// The label on the first core and in the middle (site 150).
    @Test(arguments: [0, 150])
    func logScaledLanesSurviveUnderflow(labelSite: Int) {
        let p = Self.problem(sites: 300, bond: 6, labelSite: labelSite, samples: 8, seed: 5, scale: 0.4)
        let reference = Problem(cores: p.floatCores.map { $0.converted(to: Double.self) },
                                features: p.floatFeatures.converted(to: Double.self), labels: p.labels)
        let lane = MPSGradientEngine<Float>(bondDimensions: p.bonds, physicalDimension: 2, labelCount: 10,
                                            labelSite: labelSite, batchCapacity: 8, numerics: .logscaled)
        let exact = MPSGradientEngine<Double>(bondDimensions: p.bonds, physicalDimension: 2, labelCount: 10,
                                              labelSite: labelSite, batchCapacity: 8, numerics: .logscaled)
        #expect(lane.laneBuffers != nil)
        let samples = Array(0..<8)
        let l32 = lane.logits(cores: p.floatCores, features: p.floatFeatures, samples: samples)
        let l64 = exact.logits(cores: reference.cores, features: reference.features, samples: samples)
        let largest = l64.map { abs($0) }.max()!
        #expect(largest > 0 && largest < 0x1p-200, "the chain should underflow float32: largest logit \(largest)")
        for i in l64.indices { #expect(abs(l32[i] - l64[i]) <= 1e-4 * largest, "logit \(i): \(l32[i]) vs \(l64[i])") }
        // Logits this small give a uniform softmax, and every gradient is of the logits' order
        // (∂f/∂A_j = f/A_j in scale), below float32's range: finite, and equal to the Double
        // engine's gradients rounded to float32 (zero or subnormal) within float32 rounding.
        var g32 = p.floatCores.map { Tensor<Float>(zeros: $0.shape) }
        var g64 = reference.cores.map { Tensor<Double>(zeros: $0.shape) }
        let e32 = lane.lossAndGradient(cores: p.floatCores, features: p.floatFeatures, labels: p.labels, batch: samples, gradients: &g32)
        let e64 = exact.lossAndGradient(cores: reference.cores, features: reference.features, labels: p.labels, batch: samples, gradients: &g64)
        #expect(e32.isFinite && e64.isFinite)
        #expect(abs(e32.loss - e64.loss) <= 1e-6 * e64.loss)
        for j in g64.indices {
            let rounded = g64[j].scalars.map { Float($0) }, laneScalars = g32[j].scalars
            let scale = rounded.map { abs($0) }.max()!
            for i in rounded.indices {
                #expect(laneScalars[i].isFinite && abs(laneScalars[i] - rounded[i]) <= 1e-3 * scale + Float.leastNonzeroMagnitude,
                        "core \(j) entry \(i): \(laneScalars[i]) vs \(rounded[i])")
            }
        }
    }

    /// The lane rescalings give, column by column, the bits and exponents the row kernels give
    /// row by row: zero, non-finite, tiny, huge and in-range samples, widths 1, 10, 24.
    @Test func laneRescalingsMatchTheRowKernels() {
        var rng = Philox(seed: 41)
        let lanes = 80, n = 70
        for width in [1, 10, 24] {
            var columns = [[Float]]()
            for b in 0..<n {
                var column = Tensor<Float>.randomNormal(shape: [width], using: &rng).scalars
                let scale: Float = [1, 0x1p-40, 0x1p-140, 0x1p30, 0x1p100, 0x1p-16, 0x1p15][b % 7]
                column = column.map { $0 * scale }
                if b == 3 { column = [Float](repeating: 0, count: width) }
                if b == 5 { column[width - 1] = .nan }
                if b == 9 { column[0] = .infinity }
                columns.append(column)
            }
            var rows = columns.flatMap { $0 }                       // [n][width]
            var laneBlock = [Float](repeating: -3, count: width * lanes)  // [width][lanes]
            for b in 0..<n { for i in 0..<width { laneBlock[i * lanes + b] = columns[b][i] } }
            var rowExponents = (0..<n).map { Int64($0) }, laneExponents = rowExponents + [Int64](repeating: 0, count: lanes - n)
            tnb_normalize_rows_f32(&rows, n, width, &rowExponents)
            tnb_lane_normalize_f32(&laneBlock, width, lanes, n, &laneExponents)
            #expect(Array(laneExponents[0..<n]) == rowExponents)
            for b in 0..<n {
                for i in 0..<width {
                    #expect(laneBlock[i * lanes + b].bitPattern == rows[b * width + i].bitPattern, "normalize [\(b), \(i)]")
                }
            }
            for i in 0..<width { #expect(laneBlock[(i * lanes + n)..<((i + 1) * lanes)].allSatisfy { $0 == -3 }) }
            // Shifts beyond the normal halves (−400: the lane zeroed) in every block of 64 lanes,
            // and shifts all within [−252, 254] (the vector path), down to subnormal results.
            for pattern in [[0, -3, -40, -150, -400, 7, -1], [0, -3, -40, -150, -252, 7, -1, 254, -251, -127]] {
                let shifts = (0..<n).map { Int64(pattern[$0 % pattern.count]) }
                var scaledRows = [Float](repeating: 0, count: n * width), scaledLanes = [Float](repeating: -3, count: width * lanes)
                tnb_scale_rows_f32(rows, &scaledRows, n, width, shifts)
                tnb_lane_scale_f32(laneBlock, &scaledLanes, width, lanes, n, shifts)
                for b in 0..<n {
                    for i in 0..<width {
                        #expect(scaledLanes[i * lanes + b].bitPattern == scaledRows[b * width + i].bitPattern,
                                "scale \(pattern[b % pattern.count]) [\(b), \(i)]")
                    }
                }
            }
        }
        // Every lane's largest magnitude of exponent −15…15 (the vector test's early exit): the
        // rows and exponents stay as they are, as the row kernel leaves them.
        let width = 10
        var block = [Float](repeating: 0, count: width * lanes)
        for i in block.indices {
            let magnitude: Float = i % 2 == 0 ? 0x1p-10 : -0x1p9
            block[i] = Float(1 + i % 13) * magnitude
        }
        let before = block
        var rowsInRange = [Float]()
        for b in 0..<n { for i in 0..<width { rowsInRange.append(block[i * lanes + b]) } }
        var exponents = (0..<lanes).map { Int64($0) }, rowExponents = (0..<n).map { Int64($0) }
        tnb_lane_normalize_f32(&block, width, lanes, n, &exponents)
        tnb_normalize_rows_f32(&rowsInRange, n, width, &rowExponents)
        #expect(block.map { $0.bitPattern } == before.map { $0.bitPattern })
        #expect(Array(exponents[0..<n]) == rowExponents && rowExponents == (0..<n).map { Int64($0) })
    }

    /// The fused step before a gradient GEMM (`tnb_lane_common_scale_f32`) gives the common
    /// exponent and the bits of the largest exponent sum followed by `tnb_lane_scale_f32`; with
    /// every lane already at the common exponent it writes nothing and says so.
    @Test func laneCommonScaleIsTheLargestExponentThenTheLaneScale() {
        var rng = Philox(seed: 43)
        let lanes = 48, n = 37, width = 10
        let rows = Tensor<Float>.randomNormal(shape: [width * lanes], using: &rng).scalars
        let e1 = (0..<lanes).map { Int64(($0 * 37) % 300) - 150 }, e2 = (0..<lanes).map { Int64(($0 * 11) % 40) - 20 }
        let largest = (0..<n).map { e1[$0] + e2[$0] }.max()!
        let shifts = (0..<n).map { e1[$0] + e2[$0] - largest }
        var expected = [Float](repeating: -7, count: width * lanes)
        tnb_lane_scale_f32(rows, &expected, width, lanes, n, shifts)
        var fused = [Float](repeating: -7, count: width * lanes), scratch = [Int64](repeating: 0, count: lanes)
        var common: Int64 = 0
        #expect(tnb_lane_common_scale_f32(rows, &fused, width, lanes, n, e1, e2, &scratch, &common) == 1)
        #expect(common == largest)
        #expect(fused.map(\.bitPattern) == expected.map(\.bitPattern))
        // Without e2, and every lane at one exponent: nothing written, the common exponent returned.
        let same = [Int64](repeating: -42, count: lanes)
        var untouched = [Float](repeating: -7, count: width * lanes)
        #expect(tnb_lane_common_scale_f32(rows, &untouched, width, lanes, n, same, nil, &scratch, &common) == 0)
        #expect(common == -42)
        #expect(untouched.allSatisfy { $0 == -7 })
    }

    /// A sample's logits are the same bits whichever lane it takes and whatever shares its batch,
    /// the label on the first core or inside the chain.
    @Test(arguments: [0, 6])
    func aSamplesLogitsDoNotDependOnItsLane(labelSite: Int) {
        let p = Self.problem(sites: 12, bond: 10, labelSite: labelSite)
        let engine = MPSGradientEngine<Float>(bondDimensions: p.bonds, physicalDimension: 2, labelCount: 10,
                                              labelSite: labelSite, batchCapacity: 40, numerics: .plain)
        #expect(engine.laneBuffers != nil)
        let all = engine.logits(cores: p.floatCores, features: p.floatFeatures, samples: Array(0..<40))
        for sample in [0, 13, 39] {
            let alone = engine.logits(cores: p.floatCores, features: p.floatFeatures, samples: [sample])
            let elsewhere = engine.logits(cores: p.floatCores, features: p.floatFeatures,
                                          samples: [5, 6, 7, sample, 1])
            #expect(alone == Array(all[(sample * 10)..<(sample * 10 + 10)]))
            #expect(elsewhere[30..<40] == all[(sample * 10)..<(sample * 10 + 10)])
        }
    }

    /// The label inside a long chain, with BLAS on two threads: the lane path's two chains and two
    /// sweeps run concurrently (``MPSGradientEngine/workers(batch:)``), on one thread in turn.
    /// Loss, gradients and logits: the same bits.
    @Test(arguments: ContractionNumerics.allCases)
    func concurrentLaneChainsGiveTheSequentialBits(numerics: ContractionNumerics) {
        let p = Self.problem(sites: 70, bond: 24, labels: 4, labelSite: 34, samples: 40, seed: 9, scale: 0.6)
        let e = MPSGradientEngine<Float>(bondDimensions: p.bonds, physicalDimension: 2, labelCount: 4, labelSite: 34,
                                         batchCapacity: 32, numerics: numerics)
        #expect(e.laneBuffers != nil)
        let batch = Array(4..<36)
        #expect(e.flopsPerTrainingBatch(batch.count) >= MPSGradientEngine<Float>.concurrentLaneChainsMinimumFlops)
        func run(_ threads: Int) -> [Double] {
            withBLASThreads(threads) {
                #expect(e.workers(batch: batch.count) == threads)
                var gradients: [Tensor<Float>] = []
                let result = e.lossAndGradient(cores: p.floatCores, features: p.floatFeatures, labels: p.labels, batch: batch,
                                               gradients: &gradients)
                #expect(result.isFinite)
                let logits = e.logits(cores: p.floatCores, features: p.floatFeatures, samples: Array(0..<40))
                return [result.loss] + gradients.flatMap(\.scalars).map { Double($0) } + logits
            }
        }
        let (one, two) = (run(1), run(2))
        #expect(one.count == two.count && one.count > 70_000)
        #expect(one.contains { $0 != 0 })
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
    }

    /// The two kernels against naïve Double loops at every left bond they take (1…24), with
    /// d = 1, 2, 3 and right bonds 1, 7, 24, on 32 lanes: within float32 rounding of sums of at
    /// most 72 terms: |error| ≤ (72 + 1)·2⁻²⁴·Σ|terms| < 5e-6·Σ|terms|. Out-of-range shapes are refused with nothing written.
    @Test(arguments: [1, 2, 3])
    func laneKernelsMatchNaiveLoops(physical d: Int) {
        var rng = Philox(seed: 29, stream: UInt64(d))
        let lanes = 32
        #expect(tnb_lane_kernels_max_bond() == 24)
        for dl in 1...24 {
            for dr in [1, 7, 24] {
                let a = Tensor<Float>.randomNormal(shape: [dl * d * dr], using: &rng).scalars
                let phi = Tensor<Float>.randomNormal(shape: [d * lanes], using: &rng).scalars
                let rows = Tensor<Float>.randomNormal(shape: [dr * lanes], using: &rng).scalars
                let x = Tensor<Float>.randomNormal(shape: [dl * lanes], using: &rng).scalars
                var z = [Float](repeating: .nan, count: d * dr * lanes), out = [Float](repeating: .nan, count: dl * lanes)
                var transferred = [Float](repeating: .nan, count: dr * lanes)
                #expect(tnb_lane_absorb_f32(a, dl, d, dr, phi, rows, lanes, &z, &out) == 0)
                #expect(tnb_lane_transfer_f32(a, dl, d, dr, phi, x, lanes, &transferred) == 0)
                for b in 0..<lanes {
                    for l in 0..<dl {
                        var sum = 0.0, magnitude = 0.0
                        for s in 0..<d {
                            for r in 0..<dr {
                                let zv = Double(phi[s * lanes + b]) * Double(rows[r * lanes + b])
                                #expect(z[(s * dr + r) * lanes + b] == phi[s * lanes + b] * rows[r * lanes + b])
                                sum += Double(a[(l * d + s) * dr + r]) * zv
                                magnitude += abs(Double(a[(l * d + s) * dr + r]) * zv)
                            }
                        }
                        #expect(abs(Double(out[l * lanes + b]) - sum) <= 5e-6 * magnitude + 1e-30, "absorb dl \(dl) dr \(dr) [\(l), \(b)]")
                    }
                    for r in 0..<dr {
                        var sum = 0.0, magnitude = 0.0
                        for s in 0..<d {
                            for l in 0..<dl {
                                let term = Double(phi[s * lanes + b]) * Double(a[(l * d + s) * dr + r]) * Double(x[l * lanes + b])
                                sum += term
                                magnitude += abs(term)
                            }
                        }
                        #expect(abs(Double(transferred[r * lanes + b]) - sum) <= 5e-6 * magnitude + 1e-30, "transfer dl \(dl) dr \(dr) [\(r), \(b)]")
                    }
                }
            }
        }
        var untouched = [Float](repeating: 7, count: 25 * 3 * lanes), alsoUntouched = untouched
        let a = [Float](repeating: 1, count: 25 * 3 * 3)
        let phi = [Float](repeating: 1, count: 3 * lanes), rows = [Float](repeating: 1, count: 25 * lanes)
        #expect(tnb_lane_absorb_f32(a, 25, 3, 3, phi, rows, lanes, &untouched, &alsoUntouched) == -1)
        #expect(tnb_lane_absorb_f32(a, 0, 3, 3, phi, rows, lanes, &untouched, &alsoUntouched) == -1)
        #expect(tnb_lane_transfer_f32(a, 3, 3, 3, phi, rows, 24, &untouched) == -1)
        #expect(untouched.allSatisfy { $0 == 7 } && alsoUntouched.allSatisfy { $0 == 7 })
    }
}
