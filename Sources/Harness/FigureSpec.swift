/// A figure a suite asks the harness to draw from its records.
///
/// The harness writes, per figure, a `.dat` file and a `.gp` script beside the rendered PNG,
/// SVG and PDF, so that anyone can re-render or restyle it.
public struct FigureSpec: Sendable {
    public enum Kind: Sendable {
        /// A final metric against a numeric configuration key: mean line with a ±σ band per
        /// series (one series per value of `series`, or one line when nil), the paper's points
        /// from the baseline file and the reference band beside it. Configurations without a
        /// numeric `x` are left out of the series; those named in ``FigureSpec/referenceLines``
        /// are drawn as horizontal lines instead.
        case metricVersus(metric: Metric, x: String, series: String?)
        /// A final metric per listed configuration, one x position each in the order given,
        /// labelled with the configuration's ``Configuration/shortName`` and its number of seeds:
        /// the mean with a ±σ error bar (no bar for a single seed), the reference run's mean ± σ
        /// just left of it and the paper's point with its σ just right of it, each where it
        /// exists. A configuration is taken from the run when it equals a listed one (numbers
        /// across int/double); `filter` and `logX` do not apply. A table such as "LeNet-5 vs
        /// MPO-LeNet-5".
        case metricByConfiguration(metric: Metric, configurations: [Configuration])
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
    /// Configurations drawn as horizontal lines across the whole x range of a `.metricVersus`
    /// figure (a model without the x key, such as a dense baseline beside a bond-dimension
    /// sweep), whether or not they match `filter`, and never as part of a series. Per
    /// configuration: a solid line at the run's mean of the figure's metric over seeds with a
    /// light ±σ band (no band for a single seed), titled with its ``Configuration/shortName``
    /// as "fc2 (this run) mean ±σ (n=5)"; and, when the baseline file has a paper point for the
    /// metric and configuration, a dash-dotted line at the paper's value with dashed lines at
    /// ± its σ (when it reports one), titled "fc2 (paper) ±σ". A
    /// configuration is taken from the run when it equals a listed one (numbers across
    /// int/double). Not to be confused with the reference *run* (`Baselines/reference/`), whose
    /// band the series carry. Other kinds ignore it.
    public var referenceLines: [Configuration]
    /// Draws each seed in its series' colour — a small open circle per seed on a `.metricVersus`
    /// figure, a thin line per seed on a `.curve` — with the mean line and without the ±σ band.
    /// For grids where one seed can stray far from the others (a run stuck on a plateau): there
    /// mean ± σ shows a trend that no seed has, and a band that reaches past the axis (below
    /// zero, or off a logarithmic axis altogether). Other kinds ignore it. On a logarithmic y
    /// axis, when some series' band would reach zero or below, every series draws its seeds
    /// whether asked or not: such a band cannot be drawn there (gnuplot drops its lower edge into
    /// spikes).
    public var showsEachSeed: Bool

    public init(
        id: String, title: String, kind: Kind, xLabel: String, yLabel: String,
        logX: Bool = false, logY: Bool = false, filter: Configuration = [:], referenceLines: [Configuration] = [],
        showsEachSeed: Bool = false
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.filter = filter
        self.referenceLines = referenceLines
        self.showsEachSeed = showsEachSeed
    }
}
