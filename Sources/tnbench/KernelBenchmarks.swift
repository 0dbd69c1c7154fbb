import CBLAS
import NeuralLayers
import TensorCore
import TensorNetworks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The measuring side of `tnbench kernels`: what is timed, how, and how many flops each kernel
// does. The command (KernelsCommand.swift) chooses thread counts and precisions and prints.

// MARK: - Flop counts

/// Floating-point operations of each benchmarked kernel (a multiply-add counts 2).
///
/// The formulas are the ones the library itself counts (``TwoSiteSweeper/flops``), so that
/// a suite's reported GFLOP/s and this benchmark's are comparable.
enum KernelFlops {
    /// `C ← op(A)·op(B) (+ C)` with op(A) m×k and op(B) k×n: 2·m·n·k.
    static func gemm(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }

    /// ``Environment/absorbLeft(_:core:features:site:rows:)`` on n inputs with a [Dₗ, d, Dᵣ]
    /// core: the GEMM `[n, Dₗ]·[Dₗ, d·Dᵣ]` (2·n·Dₗ·d·Dᵣ) and the feature contraction
    /// `Σ_s φ_s·T[i, s, r]` (2·n·d·Dᵣ).
    static func absorbLeft(inputs n: Int, left dl: Int, physical d: Int, right dr: Int) -> Double {
        gemm(m: n, n: d * dr, k: dl) + 2 * Double(n) * Double(d) * Double(dr)
    }

    /// `batch` products `[m, k]·[k, n]`.
    static func batched(batch: Int, m: Int, n: Int, k: Int) -> Double { Double(batch) * gemm(m: m, n: n, k: k) }
}

// MARK: - Timing

func monotonicSeconds() -> Double { MonotonicClock.seconds() }

/// How a kernel is timed: `warmUps` untimed calls, then `repetitions` timings, each of enough
/// back-to-back calls to last at least `minimumSeconds` (so a 2 µs kernel is not timed by one
/// clock read pair); a timing is its total divided by its calls.
struct TimingPlan: Sendable {
    var repetitions: Int
    var warmUps: Int
    var minimumSeconds: Double
    /// Timed half-sweeps of the end-to-end sweeper kernel (each ~1 s).
    var sweepRepetitions: Int

    static let standard = TimingPlan(repetitions: 11, warmUps: 3, minimumSeconds: 0.05, sweepRepetitions: 3)
    static let quick = TimingPlan(repetitions: 3, warmUps: 1, minimumSeconds: 0.005, sweepRepetitions: 1)
}

/// Seconds per call: the best and the median over the repetitions.
struct Timing {
    var best: Double
    var median: Double
    var repetitions: Int
    var callsPerRepetition: Int

    init(samples: [Double], callsPerRepetition: Int) {
        precondition(!samples.isEmpty, "a timing needs at least one sample")
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        best = sorted[0]
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        repetitions = samples.count
        self.callsPerRepetition = callsPerRepetition
    }
}

/// Times `body` by `plan`; the calls per repetition are calibrated on the last warm-up call.
func measure(_ plan: TimingPlan, _ body: () -> Void) -> Timing {
    var once = 0.0
    for _ in 0..<Swift.max(plan.warmUps, 1) {
        let start = monotonicSeconds()
        body()
        once = monotonicSeconds() - start
    }
    let calls = Swift.max(1, Int((plan.minimumSeconds / Swift.max(once, 1e-9)).rounded(.up)))
    var samples: [Double] = []
    samples.reserveCapacity(plan.repetitions)
    for _ in 0..<Swift.max(plan.repetitions, 1) {
        let start = monotonicSeconds()
        for _ in 0..<calls { body() }
        samples.append((monotonicSeconds() - start) / Double(calls))
    }
    return Timing(samples: samples, callsPerRepetition: calls)
}

/// Keeps a result alive so the optimizer cannot drop the call that made it.
@inline(never) func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

// MARK: - Results

/// One row of the kernel table (and one object of `--json`).
struct KernelResult: Codable, Sendable {
    /// What ran, e.g. `gemm`, `cblas_gemm (direct)`, `bond forward gemm`, `TwoSiteSweeper.sweepRight`.
    var kernel: String
    var shape: String
    /// `float32` or `float64`.
    var precision: String
    /// BLAS threads (for the sweeper with several workers: the workers, BLAS then runs 1 each).
    var threads: Int
    /// Floating-point operations per call.
    var flops: Double
    var gflopsBest: Double
    var gflopsMedian: Double
    /// Best rate relative to direct `cblas_?gemm` at 1024³ with the same threads and precision.
    var percentOfCeiling: Double?
    var repetitions: Int
    var callsPerRepetition: Int
    var secondsPerCallBest: Double

    enum CodingKeys: String, CodingKey {
        case kernel, shape, precision, threads, flops, repetitions
        case gflopsBest = "gflops_best", gflopsMedian = "gflops_median"
        case percentOfCeiling = "percent_of_ceiling", callsPerRepetition = "calls_per_repetition"
        case secondsPerCallBest = "seconds_per_call_best"
    }

    init(kernel: String, shape: String, precision: String, threads: Int, flops: Double, timing: Timing) {
        self.kernel = kernel
        self.shape = shape
        self.precision = precision
        self.threads = threads
        self.flops = flops
        gflopsBest = flops / timing.best / 1e9
        gflopsMedian = flops / timing.median / 1e9
        repetitions = timing.repetitions
        callsPerRepetition = timing.callsPerRepetition
        secondsPerCallBest = timing.best
    }
}

// MARK: - The direct reference

/// OpenBLAS called directly, without TensorCore in between: the reference rate ("OpenBLAS's
/// own rate") that `TensorCore.gemm` is judged against. This is the one `cblas_*` call outside
/// `TensorCore/LinearAlgebra/`, on purpose: it must not go through the wrapper it measures.
protocol DirectBLAS: BLASScalar {
    /// Row-major `C ← A·B` with A m×k, B k×n, all dense.
    static func directGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, b: UnsafePointer<Self>, c: UnsafeMutablePointer<Self>)
}

extension Float: DirectBLAS {
    static func directGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}

extension Double: DirectBLAS {
    static func directGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>, c: UnsafeMutablePointer<Double>) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a, blasint(k), b, blasint(n), 0, c, blasint(n))
    }
}

// MARK: - Buffers

/// A raw buffer of random scalars in [−1, 1) for GEMM operands; freed with the object.
final class ScratchBuffer<Scalar: BLASScalar> {
    let pointer: UnsafeMutablePointer<Scalar>
    let count: Int

    init(count: Int, using rng: inout Philox) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        for i in 0..<count { pointer[i] = Scalar(2 * rng.nextUniform() - 1) }
    }

    deinit { pointer.deallocate() }
}

// MARK: - The kernels

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

    private var precision: String { Scalar.precisionName }

    private func rng(_ name: String) -> Philox {
        Philox(seed: RandomKey.derive("kernels", precision, name))
    }

    private func result(_ kernel: String, _ shape: String, flops: Double, _ body: () -> Void) -> KernelResult {
        progress("\(kernel) \(shape) \(precision) × \(threads) thread(s)")
        return KernelResult(kernel: kernel, shape: shape, precision: precision, threads: threads, flops: flops,
                            timing: measure(plan, body))
    }

    /// Everything, in table order: the reference first (it is the ceiling of the rest).
    func run(sweeps: Bool) throws -> [KernelResult] {
        var results = largeGEMM()
        results += absorptionGEMMs()
        results += bondGEMMs()
        results += batchedProducts()
        results.append(absorbLeft())
        results += convolutionGEMMs()
        results += convolutionLayers()
        results += mpoLayers()
        results += try canonicalizations()
        if sweeps {
            results += try sweeperBondUpdates()
            results += try bondGradientSweeps()
        }
        return results
    }

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

    /// LeNet-5's three convolutions on a batch of 100 MNIST images (Gao et al.'s CNN): 5×5
    /// kernels, 1 → 6 SAME on 28×28, 6 → 16 VALID on 14×14, 16 → 120 VALID on 5×5.
    static var lenetConvolutions: [(name: String, input: [Int], outputChannels: Int, padding: Padding)] {
        [("conv1", [100, 28, 28, 1], 6, .same), ("conv2", [100, 14, 14, 6], 16, .valid),
         ("conv3", [100, 5, 5, 16], 120, .valid)]
    }

    /// The three GEMMs of each LeNet-5 convolution as `Conv2D` calls them, with the patch matrix
    /// P `[B·Ho·Wo, K]` (K = 25·cIn), the kernel matrix W `[K, cOut]` and the output gradient
    /// G `[B·Ho·Wo, cOut]`: forward `P·W`, kernel gradient (transposed) `Gᵀ·P`, patch gradient
    /// `G·Wᵀ`.
    func convolutionGEMMs() -> [KernelResult] {
        var results: [KernelResult] = []
        for conv in Self.lenetConvolutions {
            let layer = Conv2D<Scalar>(kernel: Tensor(zeros: [5, 5, conv.input[3], conv.outputChannels]), bias: nil,
                                       padding: conv.padding)
            let output = layer.outputShape(forInput: conv.input)
            let (rows, k, n) = (output[0] * output[1] * output[2], 25 * conv.input[3], conv.outputChannels)
            var random = rng("conv gemm \(conv.name)")
            let patches = ScratchBuffer<Scalar>(count: rows * k, using: &random)
            let kernel = ScratchBuffer<Scalar>(count: k * n, using: &random)
            let gradient = ScratchBuffer<Scalar>(count: rows * n, using: &random)
            let flops = KernelFlops.gemm(m: rows, n: n, k: k)
            results.append(result("\(conv.name) forward gemm", "[\(rows), \(k)]·[\(k), \(n)]", flops: flops) {
                gemm(transposeA: false, transposeB: false, m: rows, n: n, k: k, alpha: 1,
                     a: patches.pointer, lda: k, b: kernel.pointer, ldb: n, beta: 0, c: gradient.pointer, ldc: n)
            })
            results.append(result("\(conv.name) kernel-gradient gemm", "[\(rows), \(n)]ᵀ·[\(rows), \(k)]", flops: flops) {
                gemm(transposeA: true, transposeB: false, m: n, n: k, k: rows, alpha: 1,
                     a: gradient.pointer, lda: n, b: patches.pointer, ldb: k, beta: 0, c: kernel.pointer, ldc: k)
            })
            results.append(result("\(conv.name) patch-gradient gemm", "[\(rows), \(n)]·[\(k), \(n)]ᵀ", flops: flops) {
                gemm(transposeA: false, transposeB: true, m: rows, n: k, k: n, alpha: 1,
                     a: gradient.pointer, lda: n, b: kernel.pointer, ldb: n, beta: 0, c: patches.pointer, ldc: k)
            })
        }
        return results
    }

    /// Each LeNet-5 convolution (with bias) end to end: `Conv2D.forward` (im2col, bias, GEMM)
    /// and `Conv2D.backward` with the input gradient (two GEMMs, the bias sums, col2im), rated
    /// by the layer's own flop count; the gap to the GEMM rows above is the memory movement.
    func convolutionLayers() -> [KernelResult] {
        var results: [KernelResult] = []
        for conv in Self.lenetConvolutions {
            var random = rng("conv layer \(conv.name)")
            let layer = Conv2D<Scalar>(kernelHeight: 5, kernelWidth: 5, inputChannels: conv.input[3],
                                       outputChannels: conv.outputChannels, padding: conv.padding,
                                       standardDeviation: 0.1, using: &random)
            let x = Tensor<Scalar>.randomUniform(shape: conv.input, in: 0..<1, using: &random)
            let (y, cache) = layer.forward(x)
            let g = Tensor<Scalar>.randomUniform(shape: y.shape, in: -1..<1, using: &random)
            let flops = layer.flops(inputShape: conv.input)
            let shape = "\(conv.input) ⋆ 5×5→\(conv.outputChannels) \(conv.padding)"
            results.append(result("\(conv.name) Conv2D.forward", shape, flops: flops.forward) {
                consume(layer.forward(x))
            })
            results.append(result("\(conv.name) Conv2D.backward", shape, flops: flops.parameterGradient + flops.inputGradient) {
                consume(layer.backward(g, cache: cache, needsInputGradient: true))
            })
        }
        return results
    }

    /// Gao et al.'s MPO layers on a batch of 100 — MPO-FC2's first layer M_{4,7,7,4}^{4,4,4,4}(D)
    /// at D = 2, 4, 16 and MPO-LeNet-5's 400→120 layer — in both contraction orders: the forward
    /// pass and the backward pass to the core gradients (the first layer needs no input
    /// gradient), rated by ``MPOLinear``'s own flop counts. The order the layer picks by itself
    /// is the one with fewer flops; these rows show whether it is also the faster one.
    func mpoLayers() -> [KernelResult] {
        var results: [KernelResult] = []
        let layers: [(name: String, input: [Int], output: [Int], bond: Int)] = [
            ("mpo_fc2 layer 1", [4, 7, 7, 4], [4, 4, 4, 4], 2), ("mpo_fc2 layer 1", [4, 7, 7, 4], [4, 4, 4, 4], 4),
            ("mpo_fc2 layer 1", [4, 7, 7, 4], [4, 4, 4, 4], 16), ("mpo_lenet5 conv3", [2, 10, 10, 2], [2, 5, 6, 2], 4),
        ]
        for spec in layers {
            var random = rng("mpo layer \(spec.name) \(spec.bond)")
            let base = MPOLinear<Scalar>(inputModes: spec.input, outputModes: spec.output, bondDimension: spec.bond,
                                         bias: true, using: &random)
            let x = Tensor<Scalar>.randomUniform(shape: [100, base.inputSize], in: 0..<1, using: &random)
            let g = Tensor<Scalar>.randomUniform(shape: [100, base.units], in: -1..<1, using: &random)
            let chosen = base.contraction(batch: 100)
            for contraction in MPOLinear<Scalar>.Contraction.allCases {
                var layer = base
                layer.contraction = contraction
                let (_, cache) = layer.forward(x)
                let flops = layer.flops(inputShape: x.shape, contraction: contraction)
                let shape = "[100, \(base.inputSize)] D=\(spec.bond) \(contraction.rawValue)\(contraction == chosen ? " (chosen)" : "")"
                results.append(result("\(spec.name) MPOLinear.forward", shape, flops: flops.forward) {
                    consume(layer.forward(x))
                })
                results.append(result("\(spec.name) MPOLinear.backward", shape, flops: flops.parameterGradient) {
                    consume(layer.backward(g, cache: cache, needsInputGradient: false))
                })
            }
        }
        return results
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
                let report = try sweeper.trainEpoch(features: features, labels: labels, batches: batches)
                flops.append(report.flops)
                seconds.append(report.seconds)
                rates.append(report.flops / report.seconds)
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
