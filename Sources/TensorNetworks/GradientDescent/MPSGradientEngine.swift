import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Direct gradient descent through a whole MPS classifier: batched forward and backward passes
/// over all cores at once, with softmax cross-entropy (or, for distillation, the KL divergence
/// from target distributions, ``TrainingTargets``) on the outputs f^ℓ.
///
/// The label leg sits on any core k = ``labelSite``: on the first (W = A₀^ℓ A₁ … A_{L−1}, the
/// layout of Barratt et al., described below) or in the chain (tn4ml and TorchMPS put it in the
/// middle). For k > 0 the cores left of k are contracted from the left the same way:
/// Λ₀ = 1, Λ_{j+1}[b, r] = Σ_s φ_s·(Λ_j·A_j)[b, s, r]; the logits are
/// f[b, ℓ] = Σ_{s,r} (Λ_k·A_k)[b, s, ℓ, r]·Z_k[b, s, r]; and the backward pass runs two adjoint
/// sweeps away from the label core, one to each end (the left one mirrors the right one).
///
/// **Forward.** Right environments R_L = 1, R_j[b, l] = Σ_{s,r} A_j[l, s, r]·φ_s(x_bj)·R_{j+1}[b, r]:
/// per site one product Z_j = φ_j ⊙ R_{j+1} ([B, d·D_{j+1}]) and one GEMM R_j = Z_j·A_jᵀ. All Z_j are
/// kept for the backward pass. Logits f[b, ℓ] = Σ_{s,r} Z₀[b, s, r]·A₀[0, s, ℓ, r] (d GEMMs).
///
/// **Backward.** With g = ∂loss/∂f = (softmax(f) − onehot)/B, U[b, s, ℓ] = φ_s(x_b0)·g[b, ℓ]:
/// ∂A₀ = Uᵀ·R₁ (one GEMM) and the adjoint X₁ = U·A₀; then for j = 1…L−1, ∂A_j = X_jᵀ·Z_j
/// (one GEMM [D_j, B]·[B, d·D_{j+1}]) and X_{j+1}[b, r] = Σ_s φ_s·(X_j·A_j)[b, s, r] (one GEMM).
/// This works because f is linear in every core: contracting g into the output leg first turns
/// the backward pass into a second left-to-right sweep.
///
/// Work per batch: 6·B·(parameter count) flops (2 forward, 4 backward) — ``flopsPerTrainingBatch(_:)``.
/// All buffers are allocated once, at initialization, for up to `batchCapacity` samples. Training
/// features are also kept once more, sample-major [N, L, d], made on the first training batch:
/// a random batch then reads one contiguous row per sample instead of one cache line per sample
/// and site (the gather was the engine's largest cost on MNIST-sized sets).
///
/// Two ways through the chain. In float32 with bonds of at most 24 (CopyNodeInit and
/// RankRegularization, the label on the first core; KnowledgeDistillation's students, the label
/// in the middle), the lane path (MPSGradientEngine+Lanes.swift): bond-major blocks with a sample
/// per vector lane, each site's step of a chain or a sweep one C kernel. Otherwise (Double, as
/// TN4ML's engine; larger bonds) the row path described above, on sample-major blocks, where a
/// product with a transposed core is an explicit transpose and a plain GEMM
/// (``product(_:count:timesTransposeOf:into:)``).
///
/// The engine is a reference type holding scratch memory; use one per thread.
public final class MPSGradientEngine<Scalar: BLASScalar> {
    public let bondDimensions: [Int]
    public let physicalDimension: Int
    public let labelCount: Int
    public let batchCapacity: Int
    public let numerics: ContractionNumerics
    /// The core carrying the label leg.
    public let labelSite: Int
    /// When set, the loss sees the unit logits f/‖f‖ instead of f (tn4ml's classifier loss
    /// normalizes each sample's output vector before the softmax); the gradient is carried
    /// through the normalization. Off by default.
    public var normalizesLogits = false
    public var siteCount: Int { bondDimensions.count - 1 }
    /// How many threads run the two chains of a label core inside the chain on a batch of `n`:
    /// the forward chains from both ends, and the backward sweeps to both ends. Two when BLAS
    /// has more than one thread, each chain has at least ``concurrentChainsMinimumSites`` cores
    /// and the batch's work, ``flopsPerTrainingBatch(_:)``, is at least
    /// ``concurrentChainsMinimumFlops`` (on the lane path ``concurrentLaneChainsMinimumFlops``);
    /// each chain then runs BLAS on one thread. Each product is the call of the sequential order
    /// either way, so the numbers do not depend on it.
    func workers(batch n: Int) -> Int {
        let shorterChain = Swift.min(labelSite, siteCount - 1 - labelSite)
        let minimumFlops = laneBuffers == nil ? Self.concurrentChainsMinimumFlops : Self.concurrentLaneChainsMinimumFlops
        let concurrent = BLASRuntime.threadCount > 1 && shorterChain >= Self.concurrentChainsMinimumSites
            && flopsPerTrainingBatch(n) >= minimumFlops
        return concurrent ? 2 : 1
    }

    /// The lane path's ``concurrentChainsMinimumFlops``: its chains take about half the row
    /// path's time, so the hand-off weighs twice as much. `tnbench kernels --only
    /// gradient-descent` (the distillation's layout at L = 196, label on site 98, log-scaled),
    /// concurrent on 2 threads against in turn on 1: 14% *slower* at D = 10 (7.6 MFLOP a batch),
    /// 29% faster at D = 20 (30 MFLOP). The students themselves (L = 784) do 30 MFLOP a batch at
    /// D = 10.
    static var concurrentLaneChainsMinimumFlops: Double { 12e6 }

    /// The work of a batch from which its two chains run concurrently. `tnbench kernels --only
    /// gradient-descent` on 2 threads against 1 (the label in the middle): 15–25% faster at
    /// L = 196, D = 10 (7.5 MFLOP a batch), 45–55% at D = 20; 20% *slower* at tn4ml's L = 30,
    /// D = 10 (1.7 MFLOP), where handing a chain to another thread (about 20 µs) is a third of
    /// the batch.
    static var concurrentChainsMinimumFlops: Double { 4e6 }

    /// The shortest chain worth a thread of its own. The per-site products of a chain are small
    /// and cost mostly their calls, so a long chain amortizes the hand-off: `tnbench ab` of ci
    /// jobs (2 threads), concurrent against in turn, gave KnowledgeDistillation's students
    /// (L = 784, label on site 392, D = 10) epochs ×0.69 [0.60, 0.80] (99% interval), while
    /// TN4ML's (L = 30, label on site 15) came out ×1.07 [1.04, 1.09] slower at D = 20 without
    /// gauge fixing, although `tnbench kernels` rated the same shape faster in a tight loop.
    static var concurrentChainsMinimumSites: Int { 32 }

    // Scratch memory (raw, allocated once); internal for the backward pass (MPSGradientEngine+Backward.swift).
    let phi: UnsafeMutablePointer<Scalar>          // [L, cap, d]
    let z: UnsafeMutablePointer<Scalar>            // per site j: [cap, d·D_{j+1}]
    let zOffsets: [Int]
    let right: UnsafeMutablePointer<Scalar>        // per bond j = 1…L: [cap, D_j]
    let rightOffsets: [Int]
    let rightExponents: UnsafeMutablePointer<Int>  // [(L + 1), cap]: R_j = R̂_j·2^ρ
    let logits: UnsafeMutablePointer<Scalar>       // [cap, C]
    let outputGradient: UnsafeMutablePointer<Scalar> // U: [cap, d·C]
    let adjoints: UnsafeMutablePointer<Scalar>     // X_j per bond j = k+1…L−1 (as `right`): [cap, D_j]
    let adjointExponents: UnsafeMutablePointer<Int> // [(L + 1), cap]: X_j = X̂_j·2^ξ
    let shifts: UnsafeMutablePointer<Int>          // [cap]: per-row powers of two of a rescaling
    let scaled: UnsafeMutablePointer<Scalar>       // [cap, Dmax]
    let product: UnsafeMutablePointer<Scalar>      // [cap, d·Dmax]
    let probabilities: UnsafeMutablePointer<Double> // [cap, C]
    let logitGradient: UnsafeMutablePointer<Double> // [cap, C]: ∂loss_b/∂f_b of the last forward pass
    let logitExponents: UnsafeMutablePointer<Int>  // [cap]: f = f̂·2^e
    // Label site k > 0 only.
    let left: UnsafeMutablePointer<Scalar>         // per bond j = 0…k: [cap, D_j]
    let leftOffsets: [Int]
    let leftExponents: UnsafeMutablePointer<Int>   // [(k + 1), cap]: Λ_j = Λ̂_j·2^λ
    let labelProduct: UnsafeMutablePointer<Scalar> // Λ_k·A_k: [cap, d·C·D_{k+1}]
    let labelAdjoint: UnsafeMutablePointer<Scalar> // [cap, d·C·D_{k+1}]
    let leftAdjoint: UnsafeMutablePointer<Scalar>  // Y: [cap, Dmax]
    let leftAdjointNext: UnsafeMutablePointer<Scalar> // [cap, Dmax]
    let leftAdjointExponents: UnsafeMutablePointer<Int> // [cap]
    let leftShifts: UnsafeMutablePointer<Int>      // [cap]: the left sweep's own `shifts`
    let leftScaled: UnsafeMutablePointer<Scalar>   // [cap, Dmax]: the left sweep's own `scaled`
    /// A core transposed, [d·D_{j+1}(·C), D_j], for ``product(_:count:timesTransposeOf:into:)``.
    let coreTranspose: UnsafeMutablePointer<Scalar>
    /// The lane path's buffers, when this engine takes it (MPSGradientEngine+Lanes.swift).
    let laneBuffers: LaneBuffers?
    let maxBond: Int
    /// The last training features and their sample-major copy (``sampleMajor(_:)``).
    private var sampleMajorFeatures: (source: Tensor<Scalar>, copy: Tensor<Scalar>)?
    private let allocations: [(UnsafeMutableRawPointer)]

    /// - Parameters:
    ///   - bondDimensions: D₀ … D_L of the model (D₀ = D_L = 1).
    ///   - labelSite: the core with the label leg (default: the first).
    ///   - batchCapacity: the largest batch that will be passed.
    public init(
        bondDimensions: [Int], physicalDimension: Int, labelCount: Int, labelSite: Int = 0, batchCapacity: Int,
        numerics: ContractionNumerics
    ) {
        precondition(bondDimensions.count >= 2 && bondDimensions.first == 1 && bondDimensions.last == 1,
                     "bond dimensions must run D₀ = 1 … D_L = 1, got \(bondDimensions)")
        precondition(batchCapacity >= 1, "batch capacity must be positive")
        precondition(labelSite >= 0 && labelSite < bondDimensions.count - 1,
                     "label site \(labelSite) outside 0..<\(bondDimensions.count - 1)")
        self.labelSite = labelSite
        self.bondDimensions = bondDimensions
        self.physicalDimension = physicalDimension
        self.labelCount = labelCount
        self.batchCapacity = batchCapacity
        self.numerics = numerics
        let l = bondDimensions.count - 1, d = physicalDimension, cap = batchCapacity
        let dmax = bondDimensions.max()!
        maxBond = dmax
        var zo = [Int](), total = 0
        for j in 0..<l { zo.append(total); total += cap * d * bondDimensions[j + 1] }
        zOffsets = zo
        var raw = [UnsafeMutableRawPointer]()
        func alloc<T>(_ n: Int, _: T.Type) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(n, 1))
            raw.append(UnsafeMutableRawPointer(p))
            return p
        }
        z = alloc(total, Scalar.self)
        var ro = [Int](repeating: 0, count: l + 1)
        total = 0
        for j in 0...l { ro[j] = total; total += cap * bondDimensions[j] }
        rightOffsets = ro
        right = alloc(total, Scalar.self)
        phi = alloc(l * cap * d, Scalar.self)
        rightExponents = alloc((l + 1) * cap, Int.self)
        logits = alloc(cap * labelCount, Scalar.self)
        outputGradient = alloc(cap * d * labelCount, Scalar.self)
        adjoints = alloc(total, Scalar.self)
        adjointExponents = alloc((l + 1) * cap, Int.self)
        shifts = alloc(cap, Int.self)
        scaled = alloc(cap * dmax, Scalar.self)
        product = alloc(cap * d * dmax, Scalar.self)
        probabilities = alloc(cap * labelCount, Double.self)
        logitGradient = alloc(cap * labelCount, Double.self)
        logitExponents = alloc(cap, Int.self)
        let k = labelSite
        var lo = [Int](repeating: 0, count: k + 1)
        total = 0
        if k > 0 { for j in 0...k { lo[j] = total; total += cap * bondDimensions[j] } }
        leftOffsets = lo
        left = alloc(total, Scalar.self)
        leftExponents = alloc(k > 0 ? (k + 1) * cap : 0, Int.self)
        let labelWidth = k > 0 ? cap * d * labelCount * bondDimensions[k + 1] : 0
        labelProduct = alloc(labelWidth, Scalar.self)
        labelAdjoint = alloc(labelWidth, Scalar.self)
        leftAdjoint = alloc(k > 0 ? cap * dmax : 0, Scalar.self)
        leftAdjointNext = alloc(k > 0 ? cap * dmax : 0, Scalar.self)
        leftAdjointExponents = alloc(k > 0 ? cap : 0, Int.self)
        leftShifts = alloc(k > 0 ? cap : 0, Int.self)
        leftScaled = alloc(k > 0 ? cap * dmax : 0, Scalar.self)
        var largestCore = 0
        for j in 0..<l {
            largestCore = Swift.max(largestCore, bondDimensions[j] * d * bondDimensions[j + 1] * (j == k ? labelCount : 1))
        }
        coreTranspose = alloc(largestCore, Scalar.self)
        laneBuffers = Self.usesLanes(bondDimensions: bondDimensions)
            ? LaneBuffers(bondDimensions: bondDimensions, physicalDimension: d, labelCount: labelCount, labelSite: k,
                          batchCapacity: cap)
            : nil
        allocations = raw
    }

    deinit { for p in allocations { p.deallocate() } }

    /// Floating-point operations of one training step (forward and backward) on `batch` samples.
    public func flopsPerTrainingBatch(_ batch: Int) -> Double { 6 * Double(batch) * Double(parameterCount) }
    /// Floating-point operations of one forward pass on `count` samples.
    public func flopsPerForward(_ count: Int) -> Double { 2 * Double(count) * Double(parameterCount) }

    private var parameterCount: Int {
        var total = 0
        for j in 0..<siteCount {
            total += bondDimensions[j] * physicalDimension * bondDimensions[j + 1] * (j == labelSite ? labelCount : 1)
        }
        return total
    }

    // MARK: Public entry points

    /// Mean loss, accuracy and (unless `gradients` is nil) the gradient of the mean loss
    /// with respect to every core, for the samples `batch` (indices into the feature tensor).
    ///
    /// - Parameters:
    ///   - cores: the cores (the label core [D_k, d, C, D_{k+1}] at ``labelSite``, the others
    ///     [D_j, d, D_{j+1}]).
    ///   - features: [L, N, d] site-major features (``FeatureMap/siteFeatures(_:as:)``).
    ///   - targets: what every one of the N samples is fitted to.
    ///   - gradients: overwritten with ∂(mean loss)/∂core, same shapes as `cores`.
    /// - Returns: the batch's loss and accuracy; when `isFinite` is false the gradients are invalid.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @discardableResult
    public func lossAndGradient(
        cores: [Tensor<Scalar>], features: Tensor<Scalar>, targets: TrainingTargets, batch: [Int],
        gradients: inout [Tensor<Scalar>]
    ) -> BatchEvaluation {
        let evaluation = forward(cores: cores, features: features, targets: targets, batch: batch, wantGradient: true)
        guard evaluation.isFinite else { return evaluation }
        let ok = backward(cores: cores, count: batch.count, gradients: &gradients)
        var result = evaluation
        result.isFinite = ok
        return result
    }

    /// Mean cross-entropy against `labels`, accuracy and gradients: ``lossAndGradient(cores:features:targets:batch:gradients:)``
    /// with `.labels(labels)`.
    @discardableResult
    public func lossAndGradient(
        cores: [Tensor<Scalar>], features: Tensor<Scalar>, labels: [Int], batch: [Int],
        gradients: inout [Tensor<Scalar>]
    ) -> BatchEvaluation {
        lossAndGradient(cores: cores, features: features, targets: .labels(labels), batch: batch, gradients: &gradients)
    }

    /// Loss and accuracy only (no backward pass), over any number of samples, in chunks of the
    /// engine's capacity.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate(
        cores: [Tensor<Scalar>], features: Tensor<Scalar>, targets: TrainingTargets, samples: [Int]
    ) -> BatchEvaluation {
        var lossSum = 0.0, correct = 0, finite = true
        var start = 0
        while start < samples.count {
            let end = Swift.min(start + batchCapacity, samples.count)
            let chunk = Array(samples[start..<end])
            let e = forward(cores: cores, features: features, targets: targets, batch: chunk, wantGradient: false)
            correct += e.correct
            if e.isFinite { lossSum += e.loss * Double(chunk.count) } else { finite = false }
            start = end
        }
        return BatchEvaluation(
            loss: finite ? lossSum / Double(Swift.max(samples.count, 1)) : .infinity, correct: correct,
            count: samples.count, isFinite: finite)
    }

    /// Cross-entropy and accuracy against `labels` (no backward pass).
    public func evaluate(
        cores: [Tensor<Scalar>], features: Tensor<Scalar>, labels: [Int], samples: [Int]
    ) -> BatchEvaluation {
        evaluate(cores: cores, features: features, targets: .labels(labels), samples: samples)
    }

    /// The logits f^ℓ of `samples` as exact `Double`s (log-scaled mode: f̂·2^e), [count, C].
    public func logits(cores: [Tensor<Scalar>], features: Tensor<Scalar>, samples: [Int]) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(samples.count * labelCount)
        var start = 0
        let dummyLabels = TrainingTargets.labels([Int](repeating: 0, count: features.shape[1]))
        while start < samples.count {
            let end = Swift.min(start + batchCapacity, samples.count)
            let chunk = Array(samples[start..<end])
            _ = forward(cores: cores, features: features, targets: dummyLabels, batch: chunk, wantGradient: false)
            for b in 0..<chunk.count {
                for c in 0..<labelCount {
                    out.append(Self.scaled(Double(logits[b * labelCount + c]), logitExponents[b]))
                }
            }
            start = end
        }
        return out
    }

    // MARK: Forward

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func forward(
        cores: [Tensor<Scalar>], features: Tensor<Scalar>, targets: TrainingTargets, batch: [Int], wantGradient: Bool
    ) -> BatchEvaluation {
        let l = siteCount, d = physicalDimension, c = labelCount, n = batch.count, cap = batchCapacity
        let k = labelSite
        precondition(n >= 1 && n <= cap, "batch of \(n) exceeds the engine's capacity \(cap)")
        precondition(cores.count == l, "engine built for \(l) sites, model has \(cores.count)")
        precondition(features.rank == 3 && features.shape[0] == l && features.shape[2] == d,
                     "features must be [\(l), N, \(d)], got \(features.shape)")
        precondition(cores[k].shape == [bondDimensions[k], d, c, bondDimensions[k + 1]],
                     "label core must be [\(bondDimensions[k]), \(d), \(c), \(bondDimensions[k + 1])] on site \(k), got \(cores[k].shape)")

        if let lanes = laneBuffers {
            forwardLanes(lanes, cores: cores, features: features, batch: batch, wantGradient: wantGradient)
        } else {
            forwardChains(cores: cores, features: features, batch: batch, wantGradient: wantGradient)
        }

        // The loss in Double on the exact logits; ∂loss_b/∂f_b kept for the backward pass.
        var lossSum = 0.0, correct = 0, finite = true
        for b in 0..<n {
            var maxLogit = -Double.infinity, best = -1
            let v = probabilities + b * c
            for ell in 0..<c {
                let x = Self.scaled(Double(logits[b * c + ell]), logitExponents[b])
                v[ell] = x
                if !x.isFinite { finite = false }
                if x > maxLogit { maxLogit = x; best = ell }
            }
            let sample = batch[b]
            if finite && best == targets.targetClass(of: sample, classes: c) { correct += 1 }
            guard finite else { continue }
            // Unit logits u = f/‖f‖ (tn4ml): the loss sees u; ∂/∂f = (g_u − u·(u·g_u))/‖f‖ below.
            var logitNorm = 1.0
            if normalizesLogits {
                logitNorm = 0
                for ell in 0..<c { logitNorm += v[ell] * v[ell] }
                logitNorm = logitNorm.squareRoot()
                guard logitNorm > 0 && logitNorm.isFinite else { finite = false; continue }
                for ell in 0..<c { v[ell] /= logitNorm }
            }
            switch targets {
            case .labels(let labels):
                lossSum += Softmax.crossEntropy(v, count: c, label: labels[sample], gradient: logitGradient + b * c)
            case .distributions(let q, let temperature):
                lossSum += q.withUnsafeBufferPointer { qp in
                    Softmax.klDivergence(target: qp.baseAddress! + sample * c, logits: v, count: c,
                                         temperature: temperature, gradient: logitGradient + b * c)
                }
            }
            if normalizesLogits {
                let g = logitGradient + b * c
                var along = 0.0
                for ell in 0..<c { along += v[ell] * g[ell] }
                for ell in 0..<c { g[ell] = (g[ell] - v[ell] * along) / logitNorm }
            }
        }
        if !finite { return BatchEvaluation(loss: .infinity, correct: correct, count: n, isFinite: false) }
        let loss = lossSum / Double(n)
        return BatchEvaluation(loss: loss, correct: correct, count: n, isFinite: loss.isFinite)
    }

    /// The batch's features into `phi`, the chains towards the label core and the logits (the
    /// path of every engine but the lane path's, ``MPSGradientEngine/LaneBuffers``).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func forwardChains(cores: [Tensor<Scalar>], features: Tensor<Scalar>, batch: [Int], wantGradient: Bool) {
        let l = siteCount, d = physicalDimension, c = labelCount, n = batch.count, cap = batchCapacity
        let k = labelSite
        // Gather the batch's features: phi[j, b, s]. A training batch is drawn at random, so it is
        // gathered from the sample-major copy (a contiguous row per sample); evaluation reads
        // consecutive samples, which the site-major tensor already holds contiguously.
        if wantGradient {
            sampleMajor(features).withUnsafeBufferPointer { f in
                for b in 0..<n {
                    let src = f.baseAddress! + batch[b] * l * d
                    for j in 0..<l {
                        let dst = phi + j * cap * d + b * d
                        for s in 0..<d { dst[s] = src[j * d + s] }
                    }
                }
            }
        } else {
            features.withUnsafeBufferPointer { f in
                let total = features.shape[1]
                for j in 0..<l {
                    let src = f.baseAddress! + j * total * d
                    let dst = phi + j * cap * d
                    for b in 0..<n {
                        let i = batch[b]
                        for s in 0..<d { dst[b * d + s] = src[i * d + s] }
                    }
                }
            }
        }

        // The chains towards the label core: from the right end, and (k > 0) from the left end,
        // independent of each other, so concurrently when BLAS has threads to spare.
        if workers(batch: n) > 1 {
            ParallelWorkers.run(2) { worker in
                if worker == 0 { forwardRight(cores: cores, count: n) } else { forwardLeft(cores: cores, count: n) }
            }
        } else {
            forwardRight(cores: cores, count: n)
            if k > 0 { forwardLeft(cores: cores, count: n) }
        }

        let eRight = rightExponents + (k + 1) * cap
        if k == 0 {
            // Logits f̂[b, ℓ] = Σ_s Σ_r Z₀[b, s, r]·A₀[s, ℓ, r].
            let d1 = bondDimensions[1]
            cores[0].withUnsafeBufferPointer { a in
                for s in 0..<d {
                    gemm(transposeA: false, transposeB: true, m: n, n: c, k: d1, alpha: 1,
                         a: z + zOffsets[0] + s * d1, lda: d * d1, b: a.baseAddress! + s * c * d1, ldb: d1,
                         beta: s == 0 ? 0 : 1, c: logits, ldc: c)
                }
            }
            for b in 0..<n { logitExponents[b] = eRight[b] }
        } else {
            // M = Λ_k·A_k [n, d·C·D_{k+1}]; f̂[b, ℓ] = Σ_{s,r} M[b, s, ℓ, r]·Z_k[b, s, r].
            let dk = bondDimensions[k], dr = bondDimensions[k + 1], width = d * c * dr
            cores[k].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: false, m: n, n: width, k: dk, alpha: 1,
                     a: left + leftOffsets[k], lda: dk, b: a.baseAddress!, ldb: width, beta: 0, c: labelProduct, ldc: width)
            }
            let zk = z + zOffsets[k], eLeft = leftExponents + k * cap
            for b in 0..<n {
                let m = labelProduct + b * width, zb = zk + b * d * dr
                for ell in 0..<c {
                    var total: Scalar = 0
                    for s in 0..<d {
                        let ms = m + (s * c + ell) * dr, zs = zb + s * dr
                        for r in 0..<dr { total += ms[r] * zs[r] }
                    }
                    logits[b * c + ell] = total
                }
                logitExponents[b] = eLeft[b] + eRight[b]
            }
        }
    }

    /// The features sample-major, [N, L, d], made once from the site-major tensor [L, N, d] that
    /// training passes again and again (kept with it, and made anew when another tensor comes).
    func sampleMajor(_ features: Tensor<Scalar>) -> Tensor<Scalar> {
        if let cached = sampleMajorFeatures, cached.source.sharesStorage(with: features) { return cached.copy }
        let l = features.shape[0], total = features.shape[1], d = features.shape[2]
        sampleMajorFeatures = nil
        let copy = Tensor<Scalar>(shape: [total, l, d]) { out in
            features.withUnsafeBufferPointer { f in
                for j in 0..<l {
                    for i in 0..<total {
                        for s in 0..<d { out[(i * l + j) * d + s] = f[(j * total + i) * d + s] }
                    }
                }
            }
        }
        sampleMajorFeatures = (features, copy)
        return copy
    }

    /// R_L = 1, Z_j = φ_j ⊙ R_{j+1} and R_j = Z_j·A_jᵀ for j = L−1 … k+1, then Z_k.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func forwardRight(cores: [Tensor<Scalar>], count n: Int) {
        let l = siteCount, d = physicalDimension, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        let rl = right + rightOffsets[l]
        for b in 0..<n { rl[b] = 1; rightExponents[l * cap + b] = 0 }
        for j in stride(from: l - 1, through: k, by: -1) {
            let dr = bondDimensions[j + 1]
            let rNext = right + rightOffsets[j + 1]
            let zj = z + zOffsets[j]
            let pj = phi + j * cap * d
            // Z_j[b, s, r] = φ_s·R_{j+1}[b, r]
            RowKernels.outer(zj, phi: pj, rows: rNext, count: n, physical: d, width: dr)
            if j == k { break }
            let dl = bondDimensions[j]
            let rj = right + rightOffsets[j]
            product(zj, count: n, timesTransposeOf: cores[j], into: rj)
            let eIn = rightExponents + (j + 1) * cap, eOut = rightExponents + j * cap
            if logScaled {
                for b in 0..<n { eOut[b] = eIn[b] }
                RowKernels.normalizeRows(rj, count: n, width: dl, exponents: eOut)
            } else {
                for b in 0..<n { eOut[b] = 0 }
            }
        }
    }

    /// out = rows·Aᵀ [n, D_j] for `rows` [n, w] and a core A seen as the matrix [D_j, w]
    /// (w = d·D_{j+1}, times C on the label core). The core is first transposed into
    /// `coreTranspose` and the product is a plain one: OpenBLAS's transposed-operand path is
    /// 1.3–1.8× slower at these shapes, the copy included (``transpose(rows:columns:a:lda:into:ldb:)``).
    /// One scratch: its callers (the chain from the right end, the label core's backward pass,
    /// the left adjoint sweep) never run at the same time.
    @inline(__always)
    func product(
        _ rows: UnsafePointer<Scalar>, count n: Int, timesTransposeOf core: Tensor<Scalar>,
        into out: UnsafeMutablePointer<Scalar>
    ) {
        let dl = core.shape[0], w = core.count / Swift.max(dl, 1)
        core.withUnsafeBufferPointer { a in
            transpose(rows: dl, columns: w, a: a.baseAddress!, lda: w, into: coreTranspose, ldb: dl)
        }
        gemm(transposeA: false, transposeB: false, m: n, n: dl, k: w, alpha: 1,
             a: rows, lda: w, b: coreTranspose, ldb: dl, beta: 0, c: out, ldc: dl)
    }

    /// Λ₀ = 1, Λ_{j+1}[b, r] = Σ_s φ_s·(Λ_j·A_j)[b, s, r] for j < k (label site k > 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func forwardLeft(cores: [Tensor<Scalar>], count n: Int) {
        let d = physicalDimension, cap = batchCapacity, k = labelSite
        let logScaled = numerics == .logscaled
        for b in 0..<n { left[b] = 1; leftExponents[b] = 0 }
        for j in 0..<k {
            let dl = bondDimensions[j], dr = bondDimensions[j + 1]
            let lj = left + leftOffsets[j], lNext = left + leftOffsets[j + 1]
            cores[j].withUnsafeBufferPointer { a in
                gemm(transposeA: false, transposeB: false, m: n, n: d * dr, k: dl, alpha: 1,
                     a: lj, lda: dl, b: a.baseAddress!, ldb: d * dr, beta: 0, c: product, ldc: d * dr)
            }
            RowKernels.contractPhysical(product, phi: phi + j * cap * d, into: lNext, count: n, physical: d, width: dr)
            let eIn = leftExponents + j * cap, eOut = leftExponents + (j + 1) * cap
            if logScaled {
                for b in 0..<n { eOut[b] = eIn[b] }
                RowKernels.normalizeRows(lNext, count: n, width: dr, exponents: eOut)
            } else {
                for b in 0..<n { eOut[b] = 0 }
            }
        }
    }

}
