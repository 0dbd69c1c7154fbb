/// A LAPACK routine that failed. Non-convergence is thrown, never trapped, so that a benchmark
/// job records the failure and the other jobs go on.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The routine did not converge (`info > 0`), even after the documented fallback.
    case noConvergence(routine: String, info: Int32)
    /// LAPACK rejected an argument (`info < 0`): a bug in TNBench, reported with its position.
    case illegalArgument(routine: String, position: Int32)
    /// The input holds NaN or infinity, which LAPACK cannot decompose.
    case nonFiniteInput(routine: String)

    /// Whether the input held NaN or infinity (numerical divergence upstream, not a LAPACK failure).
    public var isNonFiniteInput: Bool {
        if case .nonFiniteInput = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .noConvergence(let routine, let info):
            return "\(routine) did not converge (info = \(info))"
        case .illegalArgument(let routine, let position):
            return "\(routine) rejected argument \(position) (a TNBench bug; please report it)"
        case .nonFiniteInput(let routine):
            return "\(routine) was given a matrix containing NaN or infinity"
        }
    }

    static func check(_ info: Int32, _ routine: String) throws {
        if info > 0 { throw noConvergence(routine: routine, info: info) }
        if info < 0 { throw illegalArgument(routine: routine, position: -info) }
    }
}
