/// A figure a suite asks the harness to draw from its records.
///
/// The harness writes, per figure, a `.dat` file and a `.gp` script beside the rendered PNG,
/// SVG and PDF, so that anyone can re-render or restyle it.
public struct FigureSpec: Sendable {
    public enum Kind: Sendable {
        /// A final metric against a numeric configuration key: mean line with a ±σ band per
        /// series (one series per value of `series`, or one line when nil), the paper's points
        /// from the baseline file and the reference band beside it.
        case metricVersus(metric: String, x: String, series: String?)
        /// A recorded curve against its x (epoch, sweep): mean ± σ over seeds, one line per
        /// configuration (or per value of `series`, for configurations matching the filter).
        case curve(name: String, series: String?)
        /// A recorded 1-D array against its index (a spectrum along the chain): mean over seeds,
        /// one line per configuration.
        case arrayProfile(name: String, series: String?)
        /// Points and fitted lines from the first seed, one panel per configuration: `points`
        /// is an array of shape [n, 2] (x, y) or [n, 3] (x, y, class); each of `lines` is [n, 2].
        case samples(points: String, lines: [String])
        /// A decision field with points, from the first seed, one panel per configuration:
        /// `grid` is an array [ny, nx] of predicted values with attributes `x_min`, `x_max`,
        /// `y_min`, `y_max`; `points` is [n, 3] (x, y, class).
        case field(grid: String, points: String)
    }

    /// A file-name-safe identifier, unique within the suite: `"test_error_vs_m"`.
    public var id: String
    public var title: String
    public var kind: Kind
    public var xLabel: String
    public var yLabel: String
    public var logX: Bool
    public var logY: Bool
    /// Only configurations that match this subset are drawn (empty: all).
    public var filter: Configuration

    public init(
        id: String, title: String, kind: Kind, xLabel: String, yLabel: String,
        logX: Bool = false, logY: Bool = false, filter: Configuration = [:]
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.filter = filter
    }
}
