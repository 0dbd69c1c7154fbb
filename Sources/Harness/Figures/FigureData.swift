/// The numbers behind one figure, ready to be written as gnuplot data blocks.
struct FigureData {
    /// A line of our results: points (x, mean, σ, n) with an optional reference (mean, σ) per x.
    struct Series {
        var title: String
        var points: [(x: Double, mean: Double, std: Double, n: Int, referenceMean: Double?, referenceStd: Double?)]
        /// The series value it stands for ("student=cnn"; "" for a figure without series), which
        /// paper points of the same value share.
        var key = ""
        /// Each seed, when the figure asks (``FigureSpec/showsEachSeed``) or a series' band cannot
        /// be drawn (``bandBelowZero(logY:)``): one track per seed of a curve; of a `.metricVersus`
        /// figure, one track per x holding its seeds' values.
        var seeds: [[(x: Double, y: Double)]] = []

        /// Whether the ±σ band reaches zero or below somewhere on a logarithmic y axis, where it
        /// cannot be drawn.
        func bandBelowZero(logY: Bool) -> Bool {
            logY && points.contains { $0.n > 1 && $0.mean - $0.std <= 0 }
        }

        /// Whether a reference band adds anything: not when the reference holds the same numbers
        /// as this run at every point (a report written from the run that became the reference).
        var hasDistinctReference: Bool {
            points.contains { p in p.referenceMean != nil && (p.referenceMean != p.mean || p.referenceStd != p.std) }
        }
    }
    var series: [Series] = []
    /// Paper points per confidence: (x, value, σ or 0, the series value of their configuration
    /// when the figure has series and the point names one).
    var paper: [BaselineConfidence: [(x: Double, value: Double, sigma: Double, series: String?)]] = [:]
    /// Scatter panels (samples/field), one per configuration.
    var panels: [Panel] = []
    /// Horizontal lines across a `.metricVersus` figure, one per ``FigureSpec/referenceLines``
    /// entry, in the order listed.
    var levels: [Level] = []
    /// The x positions of a `.metricByConfiguration` figure, in the order listed.
    var categories: [Category] = []

    /// Mean, σ and count of a metric's finite values over seeds; σ is NaN for a single seed.
    struct SeedSummary {
        var mean: Double
        var std: Double
        var n: Int

        /// nil when no value is finite.
        init?(_ values: [Double]) {
            let finite = values.filter(\.isFinite)
            guard !finite.isEmpty else { return nil }
            mean = Statistics.mean(finite)
            std = Statistics.standardDeviation(finite)
            n = finite.count
        }
    }

    /// A reference line: a configuration's result in this run and the paper's value for it.
    struct Level {
        var title: String
        var run: SeedSummary?
        var paper: (value: Double, sigma: Double?)?
    }

    /// One configuration of a categorical figure: this run, the reference run and the paper.
    struct Category {
        var label: String
        var run: SeedSummary?
        var reference: SeedSummary?
        var paper: (value: Double, sigma: Double?, confidence: BaselineConfidence)?
    }

    struct Panel {
        var title: String
        /// Points (x, y, class).
        var points: [(Double, Double, Double)]
        var lines: [(name: String, xy: [(Double, Double)])]
        /// A field grid [ny][nx] with its extent.
        var grid: (values: [[Double]], xMin: Double, xMax: Double, yMin: Double, yMax: Double)?
    }

    var hasData: Bool {
        series.contains { !$0.points.isEmpty } || panels.contains { !$0.points.isEmpty || $0.grid != nil }
            || levels.contains { $0.run != nil || $0.paper != nil }
            || categories.contains { $0.run != nil || $0.reference != nil || $0.paper != nil }
    }

    /// Builds the data of `spec` from a run's completed records, its reference and paper points.
    static func make(
        _ spec: FigureSpec, suite: String, records: [JobRecord], reference: ReferenceBaselines?, paper: PaperBaselines?,
        optionalAxes: [String] = []
    ) -> FigureData {
        var data = FigureData()
        let ofSuite = records.filter { $0.job.suite == suite && $0.status == .completed }
        let completed = ofSuite.filter { $0.job.configuration.matches(spec.filter) }
        let configurations = Array(Set(completed.map(\.job.configuration))).sorted(by: Configuration.inReadingOrder)
        func seeds(_ c: Configuration) -> [JobRecord] {
            completed.filter { $0.job.configuration == c }.sorted { $0.job.seed < $1.job.seed }
        }
        /// The run's configuration equal to `wanted` (filter aside; `wanted` itself when it was not
        /// run) and its completed seeds' values of `metric`.
        func listed(_ wanted: Configuration, _ metric: String) -> (configuration: Configuration, values: [Double]) {
            let runs = ofSuite.filter { $0.job.configuration.matchesExactly(wanted) }
            return (runs.first?.job.configuration ?? wanted, runs.compactMap { $0.record.scalars[metric] })
        }
        /// A line per value of the series key, per optional axis value and per implementation
        /// (the default's and native's lines keep their names; the others carry theirs).
        func seriesKey(_ c: Configuration, _ series: String?) -> String {
            let implementation = c[ImplementationManifest.configurationKey]?.description
            let value = series.map { "\($0)=\(c[$0]?.description ?? "?")" }
            let choices = optionalAxes.filter { $0 != series }.compactMap { key in c[key].map { "\(key)=\($0)" } }
            return ([value] + choices + [implementation]).compactMap { $0 }.joined(separator: " · ")
        }
        /// The groups' keys ordered by the series value, numbers by value (D=2 before D=10), or
        /// without a series by the configurations' reading order.
        func ordered(_ groups: [String: [Configuration]], _ series: String?) -> [String] {
            groups.keys.sorted { a, b in
                let (x, y) = (groups[a]![0], groups[b]![0])
                guard let series, let u = x[series], let v = y[series], u != v else { return Configuration.inReadingOrder(x, y) }
                return u < v
            }
        }
        switch spec.kind {
        case .metricVersus(let declared, let x, let series):
            let metric = declared.name
            let isLevel = { (c: Configuration) in spec.referenceLines.contains { $0.matchesExactly(c) } }
            let positioned = configurations.filter { $0[x]?.numericValue != nil && !isLevel($0) }
            let groups = Dictionary(grouping: positioned) { seriesKey($0, series) }
            for key in ordered(groups, series) {
                // Beside other implementations, native's one line is named for it.
                let others = groups.keys.contains { !$0.isEmpty }
                var line = Series(title: key.isEmpty ? (others ? ImplementationManifest.native : metric) : key, points: [], key: key)
                var n = 0
                for configuration in groups[key]!.sorted(by: { $0.double(x)! < $1.double(x)! }) {
                    let values = seeds(configuration).compactMap { $0.record.scalars[metric] }.filter(\.isFinite)
                    guard !values.isEmpty else { continue }
                    n = max(n, values.count)
                    let old = reference?.values(for: metric, configuration)
                    line.points.append((
                        configuration.double(x)!, Statistics.mean(values), values.count > 1 ? Statistics.standardDeviation(values) : 0,
                        values.count, old.map(Statistics.mean), old.map { $0.count > 1 ? Statistics.standardDeviation($0) : 0 }))
                    line.seeds.append(values.map { (configuration.double(x)!, $0) })
                }
                line.title += " (n=\(n))"
                data.series.append(line)
            }
            for point in paper?.points ?? [] where point.metric == metric {
                guard let xValue = point.configuration[x]?.numericValue, point.configuration.matches(spec.filter) || spec.filter.values.isEmpty,
                    !isLevel(point.configuration)
                else { continue }
                let seriesValue = series.flatMap { key in point.configuration[key].map { "\(key)=\($0)" } }
                data.paper[point.confidence, default: []].append((xValue, point.value, point.sigma ?? 0, seriesValue))
            }
            for configuration in spec.referenceLines {
                let point = paper?.point(for: metric, configuration)
                data.levels.append(Level(
                    title: configuration.shortName, run: SeedSummary(listed(configuration, metric).values),
                    paper: point.map { ($0.value, $0.sigma) }))
            }
        case .metricByConfiguration(let declared, let listedConfigurations):
            let metric = declared.name
            for configuration in listedConfigurations {
                let (found, values) = listed(configuration, metric)
                let point = paper?.point(for: metric, configuration)
                data.categories.append(Category(
                    label: configuration.shortName, run: SeedSummary(values),
                    reference: (reference?.values(for: metric, found)).flatMap(SeedSummary.init),
                    paper: point.map { ($0.value, $0.sigma, $0.confidence) }))
            }
        case .curve(let name, let series), .arrayProfile(let name, let series):
            var isCurve = false
            if case .curve = spec.kind { isCurve = true }
            let groups = Dictionary(grouping: configurations) { series == nil ? $0.name : seriesKey($0, series) }
            // Without a series key each configuration is a line, named by what sets it apart: the
            // pairs every line shares (D=4, strategy=pal) would only fill the legend.
            let shared = groups.count < 2 ? [:] : configurations.dropFirst().reduce(configurations.first?.values ?? [:]) { common, c in
                common.filter { c.values[$0.key] == $0.value }
            }
            for key in ordered(groups, series) {
                let runs = groups[key]!.flatMap(seeds)
                let profiles: [(x: [Double], y: [Double])] = runs.compactMap { run in
                    if isCurve { return run.record.curves[name].map { ($0.x, $0.y) } }
                    return run.record.arrays[name].map { array in (array.doubles.indices.map(Double.init), array.doubles) }
                }
                guard let first = profiles.first else { continue }
                let length = profiles.map { $0.y.count }.min() ?? 0
                let label = series == nil && !shared.isEmpty ? Configuration(groups[key]![0].values.filter { shared[$0.key] == nil }).name : key
                var line = Series(title: "\(label.isEmpty ? name : label) (n=\(profiles.count))", points: [], key: key)
                for i in 0..<length {
                    let ys = profiles.map { $0.y[i] }.filter(\.isFinite)
                    guard !ys.isEmpty else { continue }
                    line.points.append((first.x[i], Statistics.mean(ys), ys.count > 1 ? Statistics.standardDeviation(ys) : 0, ys.count, nil, nil))
                }
                if isCurve {
                    line.seeds = profiles.map { profile in zip(profile.x, profile.y).filter { $0.1.isFinite }.map { ($0.0, $0.1) } }
                }
                data.series.append(line)
            }
        case .samples(let points, let lines):
            for configuration in configurations {
                guard let run = seeds(configuration).first else { continue }
                var panel = Panel(title: configuration.name, points: rows(run.record.arrays[points]), lines: [], grid: nil)
                for name in lines {
                    panel.lines.append((name, rows(run.record.arrays[name]).map { ($0.0, $0.1) }))
                }
                data.panels.append(panel)
            }
        case .field(let gridName, let points):
            for configuration in configurations {
                guard let run = seeds(configuration).first else { continue }
                var panel = Panel(title: configuration.name, points: rows(run.record.arrays[points]), lines: [], grid: nil)
                if let grid = run.record.arrays[gridName], grid.shape.count == 2 {
                    let (ny, nx) = (grid.shape[0], grid.shape[1])
                    let values = grid.doubles
                    let attribute = { (key: String, fallback: Double) in grid.attributes[key]?.numericValue ?? fallback }
                    panel.grid = (
                        (0..<ny).map { r in Array(values[(r * nx)..<((r + 1) * nx)]) },
                        attribute("x_min", 0), attribute("x_max", Double(nx - 1)), attribute("y_min", 0), attribute("y_max", Double(ny - 1)))
                }
                data.panels.append(panel)
            }
        }
        // Seeds are drawn where the figure asks, or where some series' band cannot be drawn on
        // its log axis — then in every series alike, so that one legend describes all.
        if !spec.showsEachSeed && !data.series.contains(where: { $0.bandBelowZero(logY: spec.logY) }) {
            for i in data.series.indices { data.series[i].seeds = [] }
        }
        return data
    }

    /// The rows of an [n, 2] or [n, 3] array as (x, y, class).
    private static func rows(_ array: RecordedArray?) -> [(Double, Double, Double)] {
        guard let array, array.shape.count == 2, array.shape[1] >= 2 else { return [] }
        let values = array.doubles, width = array.shape[1]
        return (0..<array.shape[0]).map { r in
            (values[r * width], values[r * width + 1], width > 2 ? values[r * width + 2] : 0)
        }
    }
}
