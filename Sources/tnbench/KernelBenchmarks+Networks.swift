import CKernels
import TensorCore
import TensorNetworks

/// The whole-network kernels: tn4ml's gauge fixing and the two sweepers' updates end to end.
extension KernelBenchmarks {
    /// The gauge fixing tn4ml's training applies after every step (TN4ML suite): mixed canonical
    /// form of a 30-site, d = 3 MPS around site 15 (QR/LQ of each [D·d, D] core and the product
    /// absorbing its triangular factor) and the normalization.
    func canonicalizations(bondDimensions: [Int] = [50, 200]) throws -> [KernelResult] {
        try bondDimensions.map { bond in
            var random = rng("canonical-\(bond)")
            let mps: MPSClassifier<Scalar> = try TN4MLInitializer.mps(
                siteCount: 30, bondDimension: bond, labelSite: 15, labelCount: 2, featureMap: .polynomial(degree: 2),
                standardDeviation: 1e-2, using: &random)
            return result("MPS canonicalization", "L = 30, d = 3, D = \(bond), centre 15",
                          flops: mps.canonicalizationFlops(center: 15)) {
                var copy = mps
                try? copy.canonicalize(center: 15)
                copy.normalizeCenter(15)
                consume(copy)
            }
        }
    }

    /// One right half-sweep of `TwoSiteSweeper` (20 sites, 10,000 random inputs, m = 20,
    /// C = 10) after a warm-up sweep pair, with one worker (BLAS on `threads` threads) and, when
    /// `threads > 1`, with `threads` workers (BLAS on one thread each). Rate = the sweeper's own
    /// flop count over the half-sweep's time.
    func sweeperBondUpdates(sites: Int = 20, inputs n: Int = 10_000, maxBond: Int = 20) throws -> [KernelResult] {
        var results: [KernelResult] = []
        for workers in Set([1, threads]).sorted() {
            var random = rng("sweep \(sites) \(n) \(maxBond)")
            let dims = (0...sites).map { j in Swift.min(maxBond, 1 << Swift.min(j, sites - j, 30)) }
            let cores = (0..<sites).map { j in
                let shape = j == 0 ? [dims[j], physical, labelCount, dims[j + 1]] : [dims[j], physical, dims[j + 1]]
                return Tensor<Scalar>.randomNormal(shape: shape, using: &random)
            }
            let mps = MPSClassifier(cores: cores, labelSite: 0, labelCount: labelCount, featureMap: .trigonometric)
            let pixels = Tensor<Scalar>.randomUniform(shape: [n, sites], using: &random)
            let labels = (0..<n).map { _ in random.nextInt(below: labelCount) }
            let options = SweepOptions(truncation: Truncation(maxBondDimension: maxBond), workers: workers)
            progress("TwoSiteSweeper.sweepRight \(precision) × \(threads) thread(s), \(workers) worker(s)")
            let sweeper = try TwoSiteSweeper(
                mps: mps, features: FeatureMap.trigonometric.siteFeatures(pixels, as: Scalar.self), labels: labels,
                options: options, rescaleOutputs: true)
            try sweeper.sweepRight()
            try sweeper.sweepLeft()
            var rates: [Double] = [], seconds: [Double] = [], flops: [Double] = []
            for _ in 0..<Swift.max(plan.sweepRepetitions, 1) {
                let startFlops = sweeper.flops
                let start = monotonicSeconds()
                try sweeper.sweepRight()
                let elapsed = monotonicSeconds() - start
                flops.append(sweeper.flops - startFlops)
                seconds.append(elapsed)
                rates.append((sweeper.flops - startFlops) / elapsed)
                try sweeper.sweepLeft()
            }
            // Rates (not times) are ranked: a half-sweep's flops can differ slightly between
            // repetitions when a bond's rank changes.
            let ranked = Timing(samples: rates.map { 1 / $0 }, callsPerRepetition: 1)
            let meanFlops = flops.reduce(0, +) / Double(flops.count)
            var row = KernelResult(
                kernel: "TwoSiteSweeper.sweepRight", shape: "L=\(sites), N=\(n), m=\(maxBond), C=\(labelCount), workers=\(workers)",
                precision: precision, threads: threads, flops: meanFlops, timing: ranked)
            row.gflopsBest = 1 / ranked.best / 1e9
            row.gflopsMedian = 1 / ranked.median / 1e9
            row.secondsPerCallBest = seconds.min()!
            results.append(row)
        }
        return results
    }

    /// tn4ml's `Sweeps` on the breast-cancer classifier's shape (30 sites, d = 3, C = 2, label on
    /// site 15, batch 32): one mini-batch of ``BondGradientSweeper`` (58 pair steps: merge, loss
    /// and gradient, Adam, SVD split) after a warm-up batch, and the thin SVD of one [3D, 3D]
    /// merged matrix alone — the step's dominant cost. Rates use the sweeper's own flop count
    /// (the SVD's is ``BondGradientSweeper/svdFlops(rows:columns:)``, an estimate of ?gesdd's work).
    func bondGradientSweeps(sites: Int = 30, batch: Int = 32, bondDimensions: [Int] = [10, 50]) throws -> [KernelResult] {
        var results: [KernelResult] = []
        let map = FeatureMap.polynomial(degree: 2), d = map.dimension, classes = 2, labelSite = 15
        for bond in bondDimensions {
            var random = rng("bond gradient sweep \(sites) \(batch) \(bond)")
            var dims = [1]
            for j in 1..<sites {
                var left = 1, right = 1
                for _ in 0..<j { left = Swift.min(left * d, bond) }
                for _ in 0..<(sites - j) { right = Swift.min(right * d, bond) }
                dims.append(Swift.min(left, right))
            }
            dims.append(1)
            let cores = (0..<sites).map { j in
                let shape = j == labelSite ? [dims[j], d, classes, dims[j + 1]] : [dims[j], d, dims[j + 1]]
                return Tensor<Scalar>.randomNormal(
                    shape: shape, mean: 0, standardDeviation: Scalar(1 / Double(dims[j] * d).squareRoot()), using: &random)
            }
            let mps = MPSClassifier(cores: cores, labelSite: labelSite, labelCount: classes, featureMap: map)
            let pixels = Tensor<Scalar>.randomUniform(shape: [batch, sites], using: &random)
            let labels = (0..<batch).map { _ in random.nextInt(below: classes) }
            let features = map.siteFeatures(pixels, as: Scalar.self)
            progress("BondGradientSweeper batch D=\(bond) \(precision) × \(threads) thread(s)")
            let sweeper = try BondGradientSweeper(model: mps, batchCapacity: batch, learningRate: 1e-3)
            let batches = [Array(0..<batch)]
            _ = try sweeper.trainEpoch(features: features, labels: labels, batches: batches)
            var rates: [Double] = [], seconds: [Double] = [], flops: [Double] = []
            for _ in 0..<Swift.max(plan.sweepRepetitions, 1) {
                let (report, elapsed) = try MonotonicClock.timed {
                    try sweeper.trainEpoch(features: features, labels: labels, batches: batches)
                }
                flops.append(report.flops)
                seconds.append(elapsed)
                rates.append(report.flops / elapsed)
            }
            let ranked = Timing(samples: rates.map { 1 / $0 }, callsPerRepetition: 1)
            var row = KernelResult(
                kernel: "BondGradientSweeper batch", shape: "L=\(sites), d=\(d), C=\(classes), B=\(batch), D=\(bond)",
                precision: precision, threads: threads, flops: flops.reduce(0, +) / Double(flops.count), timing: ranked)
            row.gflopsBest = 1 / ranked.best / 1e9
            row.gflopsMedian = 1 / ranked.median / 1e9
            row.secondsPerCallBest = seconds.min()!
            results.append(row)

            let n = d * bond
            let merged = Tensor<Scalar>.randomUniform(shape: [n, n], in: -1..<1, using: &random)
            results.append(result("svd (gesdd)", "[\(n), \(n)]", flops: BondGradientSweeper<Scalar>.svdFlops(rows: n, columns: n)) {
                consume(try? merged.svd())
            })
        }
        return results
    }
}

/// The gradient-descent MPS engine (`MPSGradientEngine`), one training batch end to end.
extension KernelBenchmarks {
    /// One site's two chain products on a batch of 32, float32, D = 10 and 20 (d = 2): the lane
    /// kernels (`LaneKernels.c`: bond-major blocks, a sample per vector lane) against the
    /// row-major sequence they replace on the engine's lane path (the row kernel and an OpenBLAS
    /// GEMM, with the core transposed first where the engine does). Rate = 2·B·D·d·D each.
    func laneKernelSteps(batch: Int = 32) -> [KernelResult] {
        guard Scalar.self == Float.self else { return [] }
        var results: [KernelResult] = []
        for bond in [10, 20] {
            var random = rng("lane kernels \(bond)")
            let d = 2, w = d * bond, lanes = (batch + 15) / 16 * 16
            func buffer(_ count: Int) -> [Float] { Tensor<Float>.randomUniform(shape: [count], in: -1..<1, using: &random).scalars }
            let core = buffer(bond * w), phi = buffer(d * lanes), rows = buffer(bond * lanes)
            var z = [Float](repeating: 0, count: w * lanes), out = [Float](repeating: 0, count: bond * lanes)
            var scratch = [Float](repeating: 0, count: w * bond)
            let flops = 2 * Double(batch * bond * w)
            let shape = "[D, d, D] = [\(bond), \(d), \(bond)], B=\(batch)"
            results.append(result("chain step, lanes (absorb)", shape, flops: flops) {
                _ = tnb_lane_absorb_f32(core, bond, d, bond, phi, rows, lanes, &z, &out)
            })
            results.append(result("chain step, rows (outer + GEMM)", shape, flops: flops) {
                tnb_rows_outer_f32(&z, phi, rows, batch, d, bond)
                core.withUnsafeBufferPointer { a in
                    transpose(rows: bond, columns: w, a: a.baseAddress!, lda: w, into: &scratch, ldb: bond)
                }
                gemm(transposeA: false, transposeB: false, m: batch, n: bond, k: w, alpha: Float(1), a: z, lda: w,
                     b: scratch, ldb: bond, beta: 0, c: &out, ldc: bond)
            })
            results.append(result("adjoint step, lanes (transfer)", shape, flops: flops) {
                _ = tnb_lane_transfer_f32(core, bond, d, bond, phi, rows, lanes, &out)
            })
            results.append(result("adjoint step, rows (GEMM + sum)", shape, flops: flops) {
                gemm(transposeA: false, transposeB: false, m: batch, n: w, k: bond, alpha: Float(1), a: rows, lda: bond,
                     b: core, ldb: w, beta: 0, c: &z, ldc: w)
                tnb_contract_physical_f32(z, phi, &out, batch, d, bond)
            })
        }
        return results
    }

    /// One `lossAndGradient` call on a batch of 32, the batches running through a permutation of
    /// 12,000 random images (the ci tier's training set: a batch's features are not in cache, as in
    /// an epoch): Barratt et
    /// al.'s shape (L = 196, d = 2, C = 10, label on site 0, copy-node start with 20 dense cores;
    /// CopyNodeInit, RankRegularization) in both numerics at D = 10 and 20; the label in the
    /// middle (site 98, log-scaled; KnowledgeDistillation's layout at D = 10 and 20, and its
    /// students' own length, L = 784 with the label on site 392, at D = 10); and tn4ml's breast-cancer
    /// shape (L = 30, d = 3, C = 2, label on site 15, plain; TN4ML's engine) at D = 10 and 50.
    /// Rate = the engine's own count, 6·B·(parameters) (``MPSGradientEngine/flopsPerTrainingBatch(_:)``).
    struct GradientDescentShape {
        var sites: Int, map: FeatureMap, classes: Int, labelSite: Int, bond: Int, numerics: ContractionNumerics
    }

    func gradientDescentBatches(batch: Int = 32, samples n: Int = 12_000) -> [KernelResult] {
        var shapes: [GradientDescentShape] = []
        for numerics in ContractionNumerics.allCases {
            for bond in [10, 20] {
                shapes.append(GradientDescentShape(sites: 196, map: .trigonometric, classes: 10, labelSite: 0, bond: bond, numerics: numerics))
            }
        }
        for bond in [10, 20] {
            shapes.append(GradientDescentShape(sites: 196, map: .trigonometric, classes: 10, labelSite: 98, bond: bond, numerics: .logscaled))
        }
        shapes.append(GradientDescentShape(sites: 784, map: .polynomial(degree: 1), classes: 10, labelSite: 392, bond: 10,
                                           numerics: .logscaled))
        for bond in [10, 50] {
            shapes.append(GradientDescentShape(sites: 30, map: .polynomial(degree: 2), classes: 2, labelSite: 15, bond: bond, numerics: .plain))
        }
        return shapes.map { shape in
            var random = rng("gradient descent \(shape.sites) \(shape.labelSite) \(shape.bond) \(shape.numerics)")
            let d = shape.map.dimension
            var dims = [1]
            for j in 1..<shape.sites {
                var left = 1, right = 1
                for _ in 0..<j { left = Swift.min(left * d, shape.bond) }
                for _ in 0..<(shape.sites - j) { right = Swift.min(right * d, shape.bond) }
                dims.append(Swift.min(left, right))
            }
            dims.append(1)
            var cores: [Tensor<Scalar>] = []
            if shape.labelSite == 0 && d == 2 {
                let start = CopyNodeInitialization(
                    denseSites: CopyNodeInitialization.randomDenseSites(count: 20, siteCount: shape.sites, using: &random),
                    vector: .damped)
                cores = start.mps(Scalar.self, siteCount: shape.sites, bondDimension: shape.bond, labelCount: shape.classes,
                                  featureMap: shape.map, using: &random).cores
                dims = [1] + cores.map { $0.shape.last! }
            } else {
                cores = (0..<shape.sites).map { j in
                    let coreShape = j == shape.labelSite
                        ? [dims[j], d, shape.classes, dims[j + 1]] : [dims[j], d, dims[j + 1]]
                    return Tensor<Scalar>.randomNormal(
                        shape: coreShape, mean: 0, standardDeviation: Scalar(1 / Double(dims[j] * d).squareRoot()),
                        using: &random)
                }
            }
            let pixels = Tensor<Scalar>.randomUniform(shape: [n, shape.sites], using: &random)
            let features = shape.map.siteFeatures(pixels, as: Scalar.self)
            let labels = (0..<n).map { _ in random.nextInt(below: shape.classes) }
            var order = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
            let batches = stride(from: 0, to: n - batch + 1, by: batch).map { Array(order[$0..<($0 + batch)]) }
            var next = 0
            let engine = MPSGradientEngine<Scalar>(
                bondDimensions: dims, physicalDimension: d, labelCount: shape.classes, labelSite: shape.labelSite,
                batchCapacity: batch, numerics: shape.numerics)
            var gradients = cores.map { Tensor<Scalar>(zeros: $0.shape) }
            let description = "L=\(shape.sites), d=\(d), C=\(shape.classes), B=\(batch), D=\(shape.bond), "
                + "label \(shape.labelSite), \(shape.numerics.rawValue)"
            return result("MPSGradientEngine batch", description, flops: engine.flopsPerTrainingBatch(batch)) {
                consume(engine.lossAndGradient(cores: cores, features: features, labels: labels, batch: batches[next],
                                               gradients: &gradients))
                next = (next + 1) % batches.count
            }
        }
    }
}
