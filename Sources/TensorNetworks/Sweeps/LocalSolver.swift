import TensorCore

/// How a two-site sweep improves a bond tensor B on its local least-squares problem
/// min_B ½‖F·B − Y‖² (+ ½λ‖B‖²), whose negative gradient is the residual r = F*(Y − F·B) (− λB)
/// and whose Hessian is A = F*F (+ λ).
public enum LocalSolver: String, Sendable, Hashable, CaseIterable {
    /// Conjugate gradients on the normal equations A·B = F*·Y from the current B: each iteration
    /// a step of exact line search α = r·r / p·Ap along p, the residual updated by −α·Ap and the
    /// direction by β = r'·r' / r·r (``SweepOptions/conjugateGradientSteps`` iterations).
    case conjugateGradient = "cg"
    /// The authors' TNML code (Stoudenmire, 2016, `fixedL.cc` `cgrad`), which rescales to unit
    /// norm as it goes (``UnitNormPasses``); ``SweepOptions/conjugateGradientSteps`` passes
    /// (the code's `Npass`, 4 by default).
    case tnml
}

/// The local solver of the authors' TNML code (emstoudenmire/TNML b1c72b2, `fixedL.cc`
/// lines 111–222): from r = r(B), p = r, each of `passes` passes
///
///     a = ‖r‖² / p·Ap;   B ← (B + a·p) / ‖B + a·p‖;
///     (not after the last pass:)
///     r' = r(B);   β = ‖r'‖² / ‖r‖²;   r ← r' / ‖r'‖;   p ← (r + β·p) / ‖r + β·p‖.
///
/// The first pass is CG's first step (steepest descent with exact line search) followed by
/// rescaling B to unit norm. Because r and p are rescaled too, the later passes step a = 1 / p·Ap
/// along a unit p: roughly 1/‖r₀‖ of a line-search step, and the residual is recomputed from
/// the data at each new B (the CG recursion r ← r − αAp no longer holds once B is rescaled).
/// The code's stopping test (‖r‖ < 10⁻¹⁰) reads the rescaled r, so it never fires; here a pass
/// stops only at a zero or non-finite residual or curvature.
public enum UnitNormPasses {
    /// Runs the passes on `bond` in place.
    /// - Parameters:
    ///   - residual: r(B), the negative gradient at B (``BondProblem``'s residual, minus λB).
    ///   - operator: P ↦ A·P.
    public static func solve<Scalar: BLASScalar>(
        _ bond: inout Tensor<Scalar>, passes: Int,
        residual: (Tensor<Scalar>) -> Tensor<Scalar>, operator: (Tensor<Scalar>) -> Tensor<Scalar>
    ) {
        guard passes > 0 else { return }
        var r = residual(bond)
        var rr = Double(r.squaredNorm())
        var p = r
        for pass in 1...passes {
            guard rr > 0 && rr.isFinite else { return }
            let pAp = Double(p.dot(`operator`(p)))
            guard pAp > 0 && pAp.isFinite else { return }
            bond.add(p, scaledBy: Scalar(rr / pAp))
            let norm = Double(bond.norm())
            guard norm > 0 && norm.isFinite else { return }
            bond *= Scalar(1 / norm)
            if pass == passes { return }
            let next = residual(bond)
            let nextSquared = Double(next.squaredNorm())
            guard nextSquared > 0 && nextSquared.isFinite else { return }
            let beta = nextSquared / rr
            r = next
            r *= Scalar(1 / nextSquared.squareRoot())
            rr = 1
            p *= Scalar(beta)
            p += r
            let pNorm = Double(p.norm())
            guard pNorm > 0 && pNorm.isFinite else { return }
            p *= Scalar(1 / pNorm)
        }
    }
}
