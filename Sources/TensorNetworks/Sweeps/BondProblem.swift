import Dispatch
import TensorCore

/// The local least-squares problem of one bond: f^ℓ(xₙ) = aₙᵀ B^ℓ bₙ with aₙ = Lₙ ⊗ φ(xₙⱼ) and
/// bₙ = φ(xₙ,ⱼ₊₁) ⊗ Rₙ, cost ½ Σₙ ‖f(xₙ) − yₙ‖² / N.
///
/// The linear map F: B ↦ [f^ℓ(xₙ)] and its adjoint F*: E ↦ Σₙ aₙ ⊗ Eₙ ⊗ bₙ are applied chunk by
/// chunk: for a chunk of n inputs, one GEMM T = A·B ([n, Dₗd]·[Dₗd, C·dDᵣ]), a weighted sum
/// f = Σ_q T[·, ℓ, q]·b[·, q], then Z = E ⊗ b and one GEMM G += Aᵀ·Z. The workspace is allocated
/// once per problem and reused by every pass.
///
/// With `workers > 1` the inputs are split into that many contiguous ranges processed
/// concurrently, each with its own workspace and accumulator (BLAS should then run one thread
/// per call); the partial results are added in worker order, so a pass is deterministic for a
/// given worker count.
final class BondProblem<Scalar: BLASScalar> {
    let features: Tensor<Scalar>, targets: Tensor<Scalar>
    let left: Tensor<Scalar>, right: Tensor<Scalar>
    let site: Int
    let dl: Int, d: Int, c: Int, dr: Int
    let chunkSize: Int
    let workers: Int
    /// Flops of all passes so far.
    private(set) var flops: Double = 0

    /// Per worker: aₙ rows, bₙ rows and T (then Z) rows for one chunk, and (for workers after
    /// the first) a private accumulator of the adjoint.
    private let workspaces: [Workspace]

    private struct Workspace {
        let a: UnsafeMutablePointer<Scalar>, b: UnsafeMutablePointer<Scalar>, t: UnsafeMutablePointer<Scalar>
        let accumulator: UnsafeMutablePointer<Scalar>
    }

    init(features: Tensor<Scalar>, targets: Tensor<Scalar>, left: Tensor<Scalar>, right: Tensor<Scalar>,
         site: Int, shape: (Int, Int, Int, Int), chunkSize: Int, workers: Int = 1) {
        self.features = features
        self.targets = targets
        self.left = left
        self.right = right
        self.site = site
        (dl, d, c, dr) = shape
        let n = features.shape[1]
        precondition(left.shape == [n, dl] && right.shape == [n, dr],
                     "environments \(left.shape), \(right.shape) do not fit bond \(shape) over \(n) inputs")
        self.chunkSize = Swift.min(chunkSize, Swift.max(n, 1))
        self.workers = Swift.max(1, Swift.min(workers, n))
        let (chunk, (dl, d, c, dr)) = (self.chunkSize, shape)
        workspaces = (0..<self.workers).map { _ in
            Workspace(
                a: .allocate(capacity: chunk * dl * d), b: .allocate(capacity: chunk * d * dr),
                t: .allocate(capacity: chunk * c * d * dr), accumulator: .allocate(capacity: dl * d * c * d * dr))
        }
    }

    deinit {
        for w in workspaces {
            w.a.deallocate()
            w.b.deallocate()
            w.t.deallocate()
            w.accumulator.deallocate()
        }
    }

    var sampleCount: Int { features.shape[1] }

    /// F*(Y − F·B) (minus the cost's gradient) and the cost at B.
    func residual(of bond: Tensor<Scalar>) -> (Tensor<Scalar>, Double) {
        var gradient = Tensor<Scalar>(zeros: bond.shape)
        let cost = pass(bond, mode: .residual, into: &gradient)
        return (gradient, cost)
    }

    /// F*F·P (the Gauss–Newton operator, exact for this quadratic cost).
    func applyNormalOperator(_ direction: Tensor<Scalar>) -> Tensor<Scalar> {
        var product = Tensor<Scalar>(zeros: direction.shape)
        _ = pass(direction, mode: .normal, into: &product)
        return product
    }

    /// The cost at B (forward only).
    func cost(of bond: Tensor<Scalar>) -> Double {
        var unused = Tensor<Scalar>(zeros: [0])
        return pass(bond, mode: .costOnly, into: &unused)
    }

    private enum Mode { case residual, normal, costOnly }

    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    private func pass(_ bond: Tensor<Scalar>, mode: Mode, into output: inout Tensor<Scalar>) -> Double {
        let n = sampleCount
        let bondSize = bond.count
        let accumulate = mode != .costOnly
        let (cost, passFlops) = withPassPointers(bond, features, left, right, targets, output: &output) { b, f, l, r, t, out in
            let inputs = PassInputs(bond: b, features: f, left: l, right: r, targets: t)
            return workerPass(count: n, into: out, size: bondSize, accumulators: workspaces.map(\.accumulator),
                              accumulate: accumulate) { w, range, target in
                self.pass(inputs, mode: mode, rows: range, workspace: self.workspaces[w], into: target)
            }
        }
        flops += passFlops
        return cost / Double(Swift.max(n, 1))
    }

    private struct PassInputs {
        let bond: UnsafePointer<Scalar>, features: UnsafePointer<Scalar>
        let left: UnsafePointer<Scalar>, right: UnsafePointer<Scalar>, targets: UnsafePointer<Scalar>
    }

    /// One worker's share of a pass over `rows`; returns its cost sum and flops.
    private func pass(
        _ inputs: PassInputs, mode: Mode, rows range: Range<Int>, workspace: Workspace,
        into gradient: UnsafeMutablePointer<Scalar>?
    ) -> (Double, Double) {
        let n = sampleCount, rowA = dl * d, rowB = d * dr, rowT = c * rowB
        let featureBase = site * n
        let (a, b, t) = (workspace.a, workspace.b, workspace.t)
        let (pB, phi, pL, pR, pY) = (inputs.bond, inputs.features, inputs.left, inputs.right, inputs.targets)
        var cost = 0.0, passFlops = 0.0
        var start = range.lowerBound
        while start < range.upperBound {
            let rows = Swift.min(chunkSize, range.upperBound - start)
            // aₙ = Lₙ ⊗ φⱼ(xₙ), bₙ = φⱼ₊₁(xₙ) ⊗ Rₙ
            // (Wrapping index arithmetic: the bounds were checked when the problem was built, and
            // overflow checks would keep these loops from vectorizing.)
            for i in 0..<rows {
                let sample = start &+ i
                let f1 = phi + (featureBase &+ sample) &* d, f2 = phi + (featureBase &+ n &+ sample) &* d
                let li = pL + sample &* dl, ri = pR + sample &* dr
                let ai = a + i &* rowA, bi = b + i &* rowB
                for l in 0..<dl {
                    let v = li[l], row = ai + l &* d
                    for s in 0..<d { row[s] = v * f1[s] }
                }
                for s in 0..<d {
                    let w = f2[s], row = bi + s &* dr
                    for r in 0..<dr { row[r] = w * ri[r] }
                }
            }
            gemm(transposeA: false, transposeB: false, m: rows, n: rowT, k: rowA, alpha: 1,
                 a: a, lda: rowA, b: pB, ldb: rowT, beta: 0, c: t, ldc: rowT)
            // fₙ^ℓ = Σ_q T[n, ℓ, q]·bₙ[q]; the weight E depends on the mode; Z = E ⊗ b overwrites T.
            for i in 0..<rows {
                let bi = b + i &* rowB, ti = t + i &* rowT, yi = pY + (start &+ i) &* c
                for l in 0..<c {
                    let tl = ti + l &* rowB
                    let f = dotProduct(tl, bi, count: rowB)
                    let residual = yi[l] - f
                    cost += 0.5 * Double(residual) * Double(residual)
                    let weight = mode == .normal ? f : residual
                    if gradient != nil { for q in 0..<rowB { tl[q] = weight * bi[q] } }
                }
            }
            passFlops += 2 * Double(rows) * Double(rowA) * Double(rowT)
                + Double(rows) * Double(rowA + rowB) + 2 * Double(rows) * Double(rowT)
            if let gradient {
                gemm(transposeA: true, transposeB: false, m: rowA, n: rowT, k: rows, alpha: 1,
                     a: a, lda: rowA, b: t, ldb: rowT, beta: 1, c: gradient, ldc: rowT)
                passFlops += 2 * Double(rows) * Double(rowA) * Double(rowT) + Double(rows) * Double(rowT)
            }
            start += rows
        }
        return (cost, passFlops)
    }
}

/// `body` with the base addresses of a bond pass's inputs (the bond, the features, the two
/// environments, the targets) and of its output, which may be empty (a cost-only pass).
@inline(__always)
func withPassPointers<Scalar: BLASScalar, Result>(
    _ bond: Tensor<Scalar>, _ features: Tensor<Scalar>, _ first: Tensor<Scalar>, _ second: Tensor<Scalar>,
    _ targets: Tensor<Scalar>, output: inout Tensor<Scalar>,
    _ body: (UnsafePointer<Scalar>, UnsafePointer<Scalar>, UnsafePointer<Scalar>, UnsafePointer<Scalar>,
             UnsafePointer<Scalar>, UnsafeMutablePointer<Scalar>) -> Result
) -> Result {
    bond.withUnsafeBufferPointer { b in
    features.withUnsafeBufferPointer { f in
    first.withUnsafeBufferPointer { x in
    second.withUnsafeBufferPointer { y in
    targets.withUnsafeBufferPointer { t in
    output.withUnsafeMutableBufferPointer { out in
        body(b.baseAddress!, f.baseAddress!, x.baseAddress!, y.baseAddress!, t.baseAddress!, out.baseAddress!)
    }}}}}}
}

/// One pass of a bond's least-squares problem over `count` inputs split into as many contiguous
/// ranges as there are `accumulators` (one per worker; the first is unused), run concurrently
/// when there are several. `body(w, range, target)` does worker w's share and returns its cost
/// sum and flops; its target is `output` for the first worker, its own zeroed accumulator for the
/// others, nil when nothing accumulates. The accumulators are then added into `output` in worker
/// order, so a pass is deterministic for a given worker count. Returns the cost sum and the flops.
func workerPass<Scalar: BLASScalar>(
    count n: Int, into output: UnsafeMutablePointer<Scalar>, size: Int, accumulators: [UnsafeMutablePointer<Scalar>],
    accumulate: Bool, _ body: (Int, Range<Int>, UnsafeMutablePointer<Scalar>?) -> (Double, Double)
) -> (cost: Double, flops: Double) {
    let workers = accumulators.count
    var costs = [Double](repeating: 0, count: workers)
    var passFlops = [Double](repeating: 0, count: workers)
    costs.withUnsafeMutableBufferPointer { costBuffer in
    passFlops.withUnsafeMutableBufferPointer { flopBuffer in
        let (costs, flops) = (costBuffer.baseAddress!, flopBuffer.baseAddress!)
        let perWorker = (n + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            let run = { (w: Int) in
                let range = Swift.min(n, w * perWorker)..<Swift.min(n, (w + 1) * perWorker)
                let target = w == 0 ? output : accumulators[w]
                if w > 0 && accumulate { target.initialize(repeating: 0, count: size) }
                (costs[w], flops[w]) = body(w, range, accumulate ? target : nil)
            }
            if workers == 1 {
                run(0)
            } else {
                let shared = UncheckedSendable(run)
                DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
            }
        }
    }}
    if accumulate {
        for w in 1..<Swift.max(workers, 1) { Scalar.axpy(n: size, alpha: 1, x: accumulators[w], y: output) }
    }
    return (costs.reduce(0, +), passFlops.reduce(0, +) + (accumulate ? Double((workers - 1) * size) : 0))
}

/// Σ x[q]·y[q] with eight independent partial sums: a single running sum is a chain of
/// dependent additions (about 4 cycles each) that the compiler may not reorder into SIMD lanes;
/// eight chains let it vectorize and pipeline. The order is fixed, so results are reproducible.
@inline(__always)
func dotProduct<Scalar: BLASScalar>(_ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, count: Int) -> Scalar {
    var (s0, s1, s2, s3, s4, s5, s6, s7) = (Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0))
    var q = 0
    while q + 8 <= count {
        s0 += x[q] * y[q]; s1 += x[q + 1] * y[q + 1]; s2 += x[q + 2] * y[q + 2]; s3 += x[q + 3] * y[q + 3]
        s4 += x[q + 4] * y[q + 4]; s5 += x[q + 5] * y[q + 5]; s6 += x[q + 6] * y[q + 6]; s7 += x[q + 7] * y[q + 7]
        q += 8
    }
    while q < count { s0 += x[q] * y[q]; q += 1 }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
