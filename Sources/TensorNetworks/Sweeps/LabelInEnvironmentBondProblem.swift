import Dispatch
import TensorCore

/// What a local solver needs of one bond's least-squares problem: the negative gradient and the
/// cost at a bond tensor, the Gauss–Newton operator, the cost alone, and the flops spent.
protocol LocalLeastSquares: AnyObject {
    associatedtype Scalar: BLASScalar
    /// F*(Y − F·B) (minus the cost's gradient) and the cost at B.
    func residual(of bond: Tensor<Scalar>) -> (Tensor<Scalar>, Double)
    /// F*F·P.
    func applyNormalOperator(_ direction: Tensor<Scalar>) -> Tensor<Scalar>
    /// The cost at B (forward only).
    func cost(of bond: Tensor<Scalar>) -> Double
    /// Flops of all passes so far.
    var flops: Double { get }
}

extension BondProblem: LocalLeastSquares {}

/// The local least-squares problem of a bond whose tensor has no label leg: the label sits on a
/// core beyond the bond (``LabelPlacement/fixed``), and the environment on that side carries it.
///
/// In the bond's own orientation the decision function is f^ℓ(xₙ) = aₙᵀ M bₙ^ℓ with
/// aₙ = Nₙ ⊗ φ(xₙ at the near site) from the label-free ("near") environment Nₙ ([N, Dₙ]),
/// bₙ^ℓ = φ(xₙ at the far site) ⊗ Fₙ^ℓ from the environment that carries the label ("far",
/// [N, C·D_f], C consecutive blocks of D_f per input), and M the [Dₙ·d, d·D_f] bond matrix. A bond
/// left of the label is B[l, s, s′, r] read as M directly (near = left); a bond right of it is
/// B with its axes reversed, M[(r, s′), (s, l)] (near = right): the caller permutes.
///
/// The cost is ½ Σₙ Σ_ℓ (f^ℓ(xₙ) − yₙ^ℓ)² / N, as ``BondProblem``'s. Chunk by chunk: one GEMM
/// T = A·M ([n, Dₙd]·[Dₙd, dD_f]), the outputs f^ℓ = Σ_s φ_s Σ_r T[s, r]·F^ℓ[r], then the weights
/// Eₙ^ℓ give Z[s, r] = φ_s Σ_ℓ E^ℓ F^ℓ[r] and one GEMM G += Aᵀ·Z — C times fewer GEMM flops than
/// a bond that holds the label; the label's cost moves into the far environment's updates.
/// Workers, chunks and determinism as ``BondProblem``.
final class LabelInEnvironmentBondProblem<Scalar: BLASScalar>: LocalLeastSquares {
    let features: Tensor<Scalar>, targets: Tensor<Scalar>
    let near: Tensor<Scalar>, far: Tensor<Scalar>
    let nearSite: Int, farSite: Int
    let dn: Int, d: Int, c: Int, df: Int
    let chunkSize: Int
    let workers: Int
    private(set) var flops: Double = 0

    private let workspaces: [Workspace]

    private struct Workspace {
        let a: UnsafeMutablePointer<Scalar>, t: UnsafeMutablePointer<Scalar>
        let accumulator: UnsafeMutablePointer<Scalar>
    }

    /// `near` [N, Dₙ], `far` [N, C·D_f]; the bond matrix is [Dₙ·d, d·D_f].
    init(features: Tensor<Scalar>, targets: Tensor<Scalar>, near: Tensor<Scalar>, nearSite: Int,
         far: Tensor<Scalar>, farSite: Int, chunkSize: Int, workers: Int = 1) {
        self.features = features
        self.targets = targets
        self.near = near
        self.far = far
        self.nearSite = nearSite
        self.farSite = farSite
        let n = features.shape[1]
        (dn, d, c) = (near.shape[1], features.shape[2], targets.shape[1])
        precondition(near.rank == 2 && near.shape[0] == n && far.rank == 2 && far.shape[0] == n && far.shape[1] % c == 0,
                     "environments \(near.shape), \(far.shape) do not fit \(n) inputs and \(c) labels")
        df = far.shape[1] / c
        self.chunkSize = Swift.min(chunkSize, Swift.max(n, 1))
        self.workers = Swift.max(1, Swift.min(workers, n))
        let (chunk, dn, d, df) = (self.chunkSize, dn, d, df)
        workspaces = (0..<self.workers).map { _ in
            Workspace(a: .allocate(capacity: chunk * dn * d), t: .allocate(capacity: chunk * d * df),
                      accumulator: .allocate(capacity: dn * d * d * df))
        }
    }

    deinit {
        for w in workspaces {
            w.a.deallocate()
            w.t.deallocate()
            w.accumulator.deallocate()
        }
    }

    var sampleCount: Int { features.shape[1] }
    /// The bond matrix's shape, [Dₙ, d, d, D_f].
    var bondShape: [Int] { [dn, d, d, df] }

    func residual(of bond: Tensor<Scalar>) -> (Tensor<Scalar>, Double) {
        var gradient = Tensor<Scalar>(zeros: bond.shape)
        let cost = pass(bond, mode: .residual, into: &gradient)
        return (gradient, cost)
    }

    func applyNormalOperator(_ direction: Tensor<Scalar>) -> Tensor<Scalar> {
        var product = Tensor<Scalar>(zeros: direction.shape)
        _ = pass(direction, mode: .normal, into: &product)
        return product
    }

    func cost(of bond: Tensor<Scalar>) -> Double {
        var unused = Tensor<Scalar>(zeros: [0])
        return pass(bond, mode: .costOnly, into: &unused)
    }

    private enum Mode { case residual, normal, costOnly }

    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    private func pass(_ bond: Tensor<Scalar>, mode: Mode, into output: inout Tensor<Scalar>) -> Double {
        precondition(bond.count == dn * d * d * df, "bond \(bond.shape) does not fit \(bondShape)")
        let n = sampleCount
        let bondSize = bond.count
        let accumulate = mode != .costOnly
        let (cost, passFlops) = withPassPointers(bond, features, near, far, targets, output: &output) { b, f, x, y, t, out in
            let inputs = PassInputs(bond: b, features: f, near: x, far: y, targets: t)
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
        let near: UnsafePointer<Scalar>, far: UnsafePointer<Scalar>, targets: UnsafePointer<Scalar>
    }

    /// One worker's share of a pass over `rows`; returns its cost sum and flops.
    private func pass(
        _ inputs: PassInputs, mode: Mode, rows range: Range<Int>, workspace: Workspace,
        into gradient: UnsafeMutablePointer<Scalar>?
    ) -> (Double, Double) {
        let n = sampleCount, rowA = dn * d, rowT = d * df, rowF = c * df
        let (a, t) = (workspace.a, workspace.t)
        let (pM, phi, pN, pF, pY) = (inputs.bond, inputs.features, inputs.near, inputs.far, inputs.targets)
        let (nearBase, farBase) = (nearSite * n, farSite * n)
        var cost = 0.0, passFlops = 0.0
        // Σ_ℓ E^ℓ F^ℓ per input.
        var mixed = [Scalar](repeating: 0, count: df)
        var start = range.lowerBound
        while start < range.upperBound {
            let rows = Swift.min(chunkSize, range.upperBound - start)
            // aₙ = Nₙ ⊗ φ(xₙ at the near site) (wrapping arithmetic: bounds checked at init).
            for i in 0..<rows {
                let sample = start &+ i
                let f1 = phi + (nearBase &+ sample) &* d
                let ni = pN + sample &* dn, ai = a + i &* rowA
                for l in 0..<dn {
                    let v = ni[l], row = ai + l &* d
                    for s in 0..<d { row[s] = v * f1[s] }
                }
            }
            gemm(transposeA: false, transposeB: false, m: rows, n: rowT, k: rowA, alpha: 1,
                 a: a, lda: rowA, b: pM, ldb: rowT, beta: 0, c: t, ldc: rowT)
            mixed.withUnsafeMutableBufferPointer { mixedBuffer in
                let z = mixedBuffer.baseAddress!
                for i in 0..<rows {
                    let sample = start &+ i
                    let f2 = phi + (farBase &+ sample) &* d
                    let ti = t + i &* rowT, fi = pF + sample &* rowF, yi = pY + sample &* c
                    if gradient != nil { z.initialize(repeating: 0, count: df) }
                    for l in 0..<c {
                        let fl = fi + l &* df
                        var f: Scalar = 0
                        for s in 0..<d { f += f2[s] * dotProduct(ti + s &* df, fl, count: df) }
                        let residual = yi[l] - f
                        cost += 0.5 * Double(residual) * Double(residual)
                        if gradient != nil {
                            let weight = mode == .normal ? f : residual
                            for r in 0..<df { z[r] += weight * fl[r] }
                        }
                    }
                    if gradient != nil {
                        for s in 0..<d {
                            let w = f2[s], row = ti + s &* df
                            for r in 0..<df { row[r] = w * z[r] }
                        }
                    }
                }
            }
            passFlops += 2 * Double(rows) * Double(rowA) * Double(rowT) + Double(rows) * Double(rowA)
                + 2 * Double(rows) * Double(c) * Double(rowT)
            if let gradient {
                gemm(transposeA: true, transposeB: false, m: rowA, n: rowT, k: rows, alpha: 1,
                     a: a, lda: rowA, b: t, ldb: rowT, beta: 1, c: gradient, ldc: rowT)
                passFlops += 2 * Double(rows) * Double(rowA) * Double(rowT)
                    + 2 * Double(rows) * Double(c) * Double(df) + Double(rows) * Double(rowT)
            }
            start += rows
        }
        return (cost, passFlops)
    }
}
