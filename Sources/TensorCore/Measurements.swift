/// Named measurements a library routine took while it ran — final scalars, curves, arrays,
/// timers and floating-point work — under the names a suite records them by.
///
/// Training tasks in the model targets return one; the harness records it as it is
/// (`RunContext.record(_:)`), so the tasks need not know the harness and two suites that run
/// the same task record the same names.
public struct Measurements: Sendable {
    public var scalars: [String: Double] = [:]
    /// Curves, each as x (epoch, sweep…) and y values of equal length.
    public var curves: [String: (x: [Double], y: [Double])] = [:]
    public var arrays: [String: (shape: [Int], values: [Double])] = [:]
    /// Seconds per named timer.
    public var timers: [String: Double] = [:]
    /// Counted floating-point operations.
    public var flops = 0.0

    public init() {}

    /// Appends a point to a curve.
    public mutating func append(_ curve: String, x: Double, y: Double) {
        curves[curve, default: ([], [])].x.append(x)
        curves[curve, default: ([], [])].y.append(y)
    }
}
