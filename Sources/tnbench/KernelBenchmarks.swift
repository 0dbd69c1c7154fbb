import ArgumentParser
import TensorCore
import TensorNetworks

// What `tnbench kernels` times: the kernels' driver and the GEMM family (the large reference
// GEMM, the MPS suites' small GEMMs, batched products, environment absorption). Layers are in
// KernelBenchmarks+Layers.swift, whole network updates in KernelBenchmarks+Networks.swift; how
// timing works in KernelMeasurement.swift.

// MARK: - The kernels

/// The groups of rows `tnbench kernels --only` selects.
enum KernelGroup: String, CaseIterable, ExpressibleByArgument {
    /// The MPS suites' small GEMMs, batched products and `Environment.absorbLeft`.
    case smallGEMMs = "small-gemms"
    /// LeNet-5's im2col GEMMs and its Conv2D layers.
    case convolutions
    /// Gao et al.'s MPO layers in both contraction orders, FC2 and MPO-FC2 training steps.
    case mpoLayers = "mpo-layers"
    /// tn4ml's gauge fixing.
    case canonicalization
    /// The gradient-descent MPS engine's training batch.
    case gradientDescent = "gradient-descent"
    /// The two sweepers end to end (and the SVD beside them).
    case sweeps
}

/// The kernels of `tnbench kernels` for one precision at the current BLAS thread count.
///
/// Randomness is keyed by (kernels, precision, kernel), so every run times the same operands.
struct KernelBenchmarks<Scalar: DirectBLAS> {
    var plan: TimingPlan
    var threads: Int
    /// Reports progress (one line per kernel) somewhere other than the table.
    var progress: (String) -> Void

    let physical = 2
    let labelCount = 10

    var precision: String { Scalar.precisionName }

    func rng(_ name: String) -> Philox {
        Philox(seed: RandomKey.derive("kernels", precision, name))
    }

    func result(_ kernel: String, _ shape: String, flops: Double, _ body: () -> Void) -> KernelResult {
        progress("\(kernel) \(shape) \(precision) × \(threads) thread(s)")
        return KernelResult(kernel: kernel, shape: shape, precision: precision, threads: threads, flops: flops,
                            timing: measure(plan, body))
    }

    /// Everything (or the groups in `only`), in table order: the reference first (it is the
    /// ceiling of the rest, so it is always timed).
    func run(sweeps: Bool, only: Set<KernelGroup>? = nil) throws -> [KernelResult] {
        func wanted(_ group: KernelGroup) -> Bool { only?.contains(group) ?? true }
        var results = largeGEMM()
        if wanted(.smallGEMMs) {
            results += absorptionGEMMs()
            results += bondGEMMs()
            results += batchedProducts()
            results.append(absorbLeft())
        }
        if wanted(.convolutions) {
            results += convolutionGEMMs()
            results += convolutionLayers()
            results += lenetTrainingSteps()
        }
        if wanted(.mpoLayers) {
            results += mpoLayers()
            results += fc2TrainingSteps()
        }
        if wanted(.canonicalization) { results += try canonicalizations() }
        if wanted(.gradientDescent) { results += laneKernelSteps() + gradientDescentBatches() }
        if sweeps && wanted(.sweeps) {
            results += try sweeperBondUpdates()
            results += try bondGradientSweeps()
        }
        return results
    }

    /// 1024³ through `cblas_?gemm` directly and through `TensorCore.gemm`.
    func largeGEMM(size n: Int = 1024) -> [KernelResult] {
        var random = rng("gemm")
        let a = ScratchBuffer<Scalar>(count: n * n, using: &random)
        let b = ScratchBuffer<Scalar>(count: n * n, using: &random)
        let c = ScratchBuffer<Scalar>(count: n * n, using: &random)
        let flops = KernelFlops.gemm(m: n, n: n, k: n)
        let shape = "[\(n), \(n)]·[\(n), \(n)]"
        let direct = result("cblas_gemm (direct)", shape, flops: flops) {
            Scalar.directGEMM(m: n, n: n, k: n, a: a.pointer, b: b.pointer, c: c.pointer)
        }
        let ours = result("gemm", shape, flops: flops) {
            gemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1, a: a.pointer, lda: n,
                 b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n)
        }
        return [direct, ours]
    }

    /// The GEMM of `Environment.absorbLeft`: `[B, D]·[D, d·D]`.
    func absorptionGEMMs(batches: [Int] = [32, 1024], bondDimensions: [Int] = [10, 20]) -> [KernelResult] {
        var results: [KernelResult] = []
        for bond in bondDimensions {
            for batch in batches {
                var random = rng("absorb \(batch) \(bond)")
                let width = physical * bond
                let v = ScratchBuffer<Scalar>(count: batch * bond, using: &random)
                let core = ScratchBuffer<Scalar>(count: bond * width, using: &random)
                let t = ScratchBuffer<Scalar>(count: batch * width, using: &random)
                results.append(result(
                    "absorb gemm", "[\(batch), \(bond)]·[\(bond), \(width)]",
                    flops: KernelFlops.gemm(m: batch, n: width, k: bond)
                ) {
                    gemm(transposeA: false, transposeB: false, m: batch, n: width, k: bond, alpha: 1,
                         a: v.pointer, lda: bond, b: core.pointer, ldb: width, beta: 0, c: t.pointer, ldc: width)
                })
            }
        }
        return results
    }

    /// The two GEMMs of a `BondProblem` pass over one chunk: forward `T = A·B` with A
    /// [chunk, D·d] and B [D·d, C·d·D], and adjoint `G += Aᵀ·Z` with Z [chunk, C·d·D].
    func bondGEMMs(chunk: Int = 1024, bondDimensions: [Int] = [10, 20, 40]) -> [KernelResult] {
        var results: [KernelResult] = []
        for bond in bondDimensions {
            var random = rng("bond \(chunk) \(bond)")
            let rowA = bond * physical, rowT = labelCount * physical * bond
            let a = ScratchBuffer<Scalar>(count: chunk * rowA, using: &random)
            let bondTensor = ScratchBuffer<Scalar>(count: rowA * rowT, using: &random)
            let t = ScratchBuffer<Scalar>(count: chunk * rowT, using: &random)
            let flops = KernelFlops.gemm(m: chunk, n: rowT, k: rowA)
            results.append(result("bond forward gemm", "[\(chunk), \(rowA)]·[\(rowA), \(rowT)]", flops: flops) {
                gemm(transposeA: false, transposeB: false, m: chunk, n: rowT, k: rowA, alpha: 1,
                     a: a.pointer, lda: rowA, b: bondTensor.pointer, ldb: rowT, beta: 0, c: t.pointer, ldc: rowT)
            })
            results.append(result("bond adjoint gemm", "[\(chunk), \(rowA)]ᵀ·[\(chunk), \(rowT)]", flops: flops) {
                gemm(transposeA: true, transposeB: false, m: rowA, n: rowT, k: chunk, alpha: 1,
                     a: a.pointer, lda: rowA, b: t.pointer, ldb: rowT, beta: 1, c: bondTensor.pointer, ldc: rowT)
            })
        }
        return results
    }

    /// `batch` tiny products `[D, D]·[D, d]` through `Tensor.batchedMatmul` (one gemm call
    /// each) against the same products as one GEMM `[D, D]·[D, batch·d]` (the matrix shared, as
    /// an MPS core is shared by all inputs, and the right factors side by side).
    func batchedProducts(batch: Int = 1024, bondDimensions: [Int] = [10, 20]) -> [KernelResult] {
        var results: [KernelResult] = []
        for bond in bondDimensions {
            var random = rng("batched \(batch) \(bond)")
            let shared = Tensor<Scalar>.randomUniform(shape: [bond, bond], in: -1..<1, using: &random)
            let stacked = Tensor<Scalar>(shape: [batch, bond, bond]) { out in
                shared.withUnsafeBufferPointer { s in
                    for i in 0..<batch { (out.baseAddress! + i * s.count).initialize(from: s.baseAddress!, count: s.count) }
                }
            }
            let right = Tensor<Scalar>.randomUniform(shape: [batch, bond, physical], in: -1..<1, using: &random)
            let sideBySide = Tensor<Scalar>.randomUniform(shape: [bond, batch * physical], in: -1..<1, using: &random)
            let flops = KernelFlops.batched(batch: batch, m: bond, n: physical, k: bond)
            results.append(result("batchedMatmul", "\(batch) × [\(bond), \(bond)]·[\(bond), \(physical)]", flops: flops) {
                consume(stacked.batchedMatmul(right))
            })
            results.append(result("matmul (one gemm)", "[\(bond), \(bond)]·[\(bond), \(batch * physical)]", flops: flops) {
                consume(shared.matmul(sideBySide))
            })
        }
        return results
    }

    /// `Environment.absorbLeft` on 10,000 inputs at D = 20: the GEMM and the feature contraction.
    func absorbLeft(inputs n: Int = 10_000, bond: Int = 20) -> KernelResult {
        var random = rng("absorbLeft \(n) \(bond)")
        let v = Tensor<Scalar>.randomUniform(shape: [n, bond], in: -1..<1, using: &random)
        let core = Tensor<Scalar>.randomUniform(shape: [bond, physical, bond], in: -1..<1, using: &random)
        let pixels = Tensor<Scalar>.randomUniform(shape: [n, 1], using: &random)
        let features = FeatureMap.trigonometric.siteFeatures(pixels, as: Scalar.self)
        return result(
            "Environment.absorbLeft", "N=\(n), [\(bond), \(physical), \(bond)]",
            flops: KernelFlops.absorbLeft(inputs: n, left: bond, physical: physical, right: bond)
        ) {
            consume(Environment.absorbLeft(v, core: core, features: features, site: 0, rows: 0..<n))
        }
    }

}
