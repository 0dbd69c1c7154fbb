import Foundation

/// A figure written to disk.
public struct RenderedFigure: Sendable {
    public var suite: String
    public var id: String
    public var title: String
    /// The directory holding `<id>.dat`, `<id>.gp` and, when gnuplot ran, `<id>.png/.svg/.pdf`.
    public var directory: String
    /// Whether the PNG exists.
    public var rendered: Bool
    /// Whether any record fell in the figure: false when its configurations were not run (a
    /// declared subset, a filter), and then there is nothing to draw, rendered or not.
    public var hasData: Bool = true
    public var pngPath: String { "\(directory)/\(id).png" }
}

/// Draws a run's figures with gnuplot: per ``FigureSpec`` a `<id>.dat` (gnuplot data blocks) and
/// a `<id>.gp` script that renders `<id>.png` (pngcairo, else png), `<id>.svg` and `<id>.pdf`
/// (pdfcairo) when run with `gnuplot <id>.gp` in its directory.
public struct FigureRenderer: Sendable {
    public var outputDirectory: String
    public var baselines: String

    public init(outputDirectory: String, baselines: String) {
        self.outputDirectory = outputDirectory
        self.baselines = baselines
    }

    /// The gnuplot executable on PATH, if any.
    public static let gnuplot: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/gnuplot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// gnuplot's terminals, asked once.
    static let terminals: String = {
        guard let gnuplot else { return "" }
        return (try? run(gnuplot, ["-e", "set terminal"], in: "/tmp")).map(\.output) ?? ""
    }()

    /// Writes every figure of every suite in `results` under `<output>/<suite>/`.
    /// Returns the figures and, when gnuplot is missing or failed, one message saying so.
    public func render(results: ResultSet, suites: [any Suite], referenceTier: Tier? = nil) throws -> (figures: [RenderedFigure], warning: String?) {
        var figures: [RenderedFigure] = []
        var warning: String?
        if Self.gnuplot == nil {
            warning = "gnuplot not found: wrote the .dat and .gp files only; install gnuplot (apt-get install gnuplot-nox) and run `gnuplot <id>.gp` in \(outputDirectory)/<suite>/"
        }
        for suite in suites where results.suites.contains(suite.name) {
            let paper = try PaperBaselines.load(suite: suite.name, from: baselines, metrics: suite.metrics.map(\.name))
            let reference = try ReferenceBaselines.load(suite: suite.name, tier: referenceTier ?? results.tier, from: baselines)
            let directory = "\(outputDirectory)/\(suite.name)"
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw HarnessError(.unwritableOutput, "cannot create figure directory '\(directory)': choose a writable --out")
            }
            let builds = Set(results.records.filter { $0.job.suite == suite.name }.map(\.provenance.buildID)).sorted()
            // Two builds are named; more would run under a multiplot's last panel: the first and a count.
            let commit = builds.isEmpty ? results.provenance.buildID
                : builds.count <= 2 ? builds.joined(separator: ", ") : "\(builds[0]) and \(builds.count - 1) other builds"
            for spec in suite.figures {
                let data = FigureData.make(
                    spec, suite: suite.name, records: results.records, reference: reference, paper: paper,
                    optionalAxes: suite.optionalAxes.map(\.key))
                let (dat, gp) = Self.script(spec, data: data, commit: commit)
                try dat.write(toFile: "\(directory)/\(spec.id).dat", atomically: true, encoding: .utf8)
                try gp.write(toFile: "\(directory)/\(spec.id).gp", atomically: true, encoding: .utf8)
                var rendered = false
                if let gnuplot = Self.gnuplot, data.hasData {
                    let result = try? Self.run(gnuplot, ["\(spec.id).gp"], in: directory)
                    rendered = result?.status == 0 && FileManager.default.fileExists(atPath: "\(directory)/\(spec.id).png")
                    if !rendered && warning == nil {
                        warning = "gnuplot failed on \(directory)/\(spec.id).gp: \(result?.output.split(separator: "\n").first ?? "could not start")"
                    }
                }
                figures.append(RenderedFigure(suite: suite.name, id: spec.id, title: spec.title, directory: directory, rendered: rendered, hasData: data.hasData))
            }
        }
        return (figures, warning)
    }

    // MARK: Scripts

    /// A quoted string shown as text (titles, axis labels, legends): enhanced-text mode's
    /// control characters (`_ ^ @ & ~ { }`) are escaped so that `D_max` or "Stoudenmire & Schwab"
    /// print as written.
    static func text(_ s: String) -> String {
        var escaped = ""
        for character in s {
            if "_^@&~{}".contains(character) { escaped += "\\" }
            escaped.append(character)
        }
        return quote(escaped)
    }

    static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

    /// A number for the data file; `NaN` where there is none or it is NaN (gnuplot skips such points).
    static func number(_ value: Double?) -> String {
        guard let value, !value.isNaN else { return "NaN" }
        return "\(value)"
    }

    /// The data file and the script of one figure.
    ///
    /// Series: mean line with a ±σ band (and each seed's point, when the spec asks), the
    /// reference run's band, the paper's points by confidence. Reference lines
    /// (``FigureData/levels``): one block each whose values the script reads with `stats`, drawn
    /// as constant functions so that they span the whole x axis (a first pass into a table finds
    /// the axis range the data give). Categories: one block with a row per
    /// configuration, drawn with error bars at integer positions, the reference run and the paper
    /// offset left and right. Panels: one multiplot panel per configuration.
    /// The most series one panel holds (each with its ±σ band); a figure with more draws one
    /// panel per series on shared axes.
    static let maximumSeriesPerPanel = 4

    static func script(_ spec: FigureSpec, data: FigureData, commit: String) -> (dat: String, gp: String) {
        var dat = "# \(spec.title)\n# generated by tnbench; blocks are separated by two blank lines (gnuplot 'index')\n"
        var block = 0
        var plots: [String] = []
        /// Settings after the axes' scales and before the terminals: value reading, x range, tics.
        var setup = ""
        /// The whole plot as small multiples (``maximumSeriesPerPanel``), when there are more series.
        var smallMultiples: String?
        let file = quote("\(spec.id).dat")
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
        func startBlock(_ title: String) {
            if block > 0 { dat += "\n\n" }
            dat += "# block \(block): \(title)\n"
        }
        let markers: [(BaselineConfidence, Int, String)] = [(.table, 5, "paper (table)"), (.figureApprox, 9, "paper (figure, approx.)"), (.claim, 6, "paper (claim)")]
        if !data.categories.isEmpty {
            let offset = 0.2
            /// An error-bar column: no bar where σ is NaN (a single seed, or none reported).
            let bar = { (column: Int) in "(valid(\(column)) ? $\(column) : 0)" }
            startBlock("\(spec.title): one row per configuration")
            dat += "# position mean std n reference_mean reference_std paper_value paper_sigma paper_confidence label\n"
            for (i, category) in data.categories.enumerated() {
                let (run, reference, paper) = (category.run, category.reference, category.paper)
                dat += "\(i) \(number(run?.mean)) \(number(run?.std)) \(run?.n ?? 0) \(number(reference?.mean)) \(number(reference?.std)) "
                dat += "\(number(paper?.value)) \(number(paper?.sigma)) \(paper?.confidence.rawValue ?? "-") \(quote(category.label))\n"
            }
            if data.categories.contains(where: { $0.reference != nil }) {
                plots.append("\(file) index \(block) using ($1-\(offset)):5:\(bar(6)) with yerrorbars pt 4 ps 1.4 lw 1.5 lc rgb \"#888888\" title \(text("reference run mean ±σ"))")
            }
            if data.categories.contains(where: { $0.run != nil }) {
                plots.append("\(file) index \(block) using 1:2:\(bar(3)) with yerrorbars pt 7 ps 1.4 lw 2 lc rgb \(quote(colors[0])) title \(text("this run mean ±σ"))")
            }
            for (confidence, pointType, title) in markers where data.categories.contains(where: { $0.paper?.confidence == confidence }) {
                let value = "(strcol(9) eq \(quote(confidence.rawValue)) ? $7 : NaN)"
                plots.append("\(file) index \(block) using ($1+\(offset)):\(value):\(bar(8)) with yerrorbars pt \(pointType) ps 1.6 lw 1.5 lc rgb \"black\" title \(text(title + " ±σ"))")
            }
            block += 1
            let tics = data.categories.enumerated().map { i, category in
                "\(text(category.label + (category.run.map { " (n=\($0.n))" } ?? " (not run)"))) \(i)"
            }
            setup += "set xrange [-0.5:\(Double(data.categories.count) - 0.5)]\nset xtics (\(tics.joined(separator: ", ")))\nset grid noxtics\n"
            setup += "set offsets 0, 0, graph 0.05, graph 0.05\n"  // error bars clear of the border
        } else if data.panels.isEmpty {
            // Each series: a block, its ±σ band, its line; a hatched reference band where the
            // reference holds other numbers than this run (one legend entry for all of them).
            let drawn = data.series.enumerated().filter { !$0.element.points.isEmpty }
            var isCurve = false
            if case .curve = spec.kind { isCurve = true }
            var seriesBlocks: [(block: Int, color: String, reference: Bool, seeds: Int?)] = []
            for (i, series) in drawn {
                startBlock(series.title)
                dat += "# x mean std n reference_mean reference_std\n"
                for p in series.points {
                    dat += "\(p.x) \(p.mean) \(p.std) \(p.n) \(p.referenceMean.map { "\($0)" } ?? "NaN") \(p.referenceStd.map { "\($0)" } ?? "NaN")\n"
                }
                let own = block
                var seeds: Int?
                if !series.seeds.isEmpty {
                    block += 1
                    startBlock("\(series.title): each seed")
                    dat += "# x value (one track per \(isCurve ? "seed" : "x"), tracks separated by one blank line)\n"
                    dat += series.seeds.map { track in track.map { "\($0.x) \($0.y)\n" }.joined() }.joined(separator: "\n")
                    seeds = block
                }
                seriesBlocks.append((own, quote(colors[i % colors.count]), series.hasDistinctReference, seeds))
                block += 1
            }
            // Each seed (``FigureSpec/showsEachSeed``): open circles, or thin lines for curves, in the
            // series' colour under one black legend entry, in place of the ±σ band.
            let seedStyle = isCurve ? "lines lw 0.8" : "points pt 6 ps 0.9"
            let seedKey = seriesBlocks.contains { $0.seeds != nil } ? ["NaN with \(seedStyle) lc rgb \"black\" title \"one seed\""] : []
            /// "mean ±σ", or "mean" where the seeds stand in for the band.
            func spread(_ index: Int) -> String { seriesBlocks[index].seeds == nil ? "mean ±σ" : "mean" }
            func seriesPlots(_ index: Int, title: String, referenceTitle: String?) -> [String] {
                let (b, color, reference, seeds) = seriesBlocks[index]
                var parts: [String] = []
                if reference {
                    let key = referenceTitle.map { "title \(text($0))" } ?? "notitle"
                    parts.append("\(file) index \(b) using 1:($5-$6):($5+$6) with filledcurves fs transparent pattern 4 lc rgb \"#888888\" \(key)")
                }
                if let seeds {
                    parts.append("\(file) index \(seeds) using 1:2 with \(seedStyle) lc rgb \(color) notitle")
                } else {
                    parts.append("\(file) index \(b) using 1:($2-$3):($2+$3) with filledcurves fs transparent solid 0.2 noborder lc rgb \(color) notitle")
                }
                // A marker per point while they can be told apart; a long curve is a line.
                let style = drawn[index].element.points.count > 60 ? "lines lw 2" : "linespoints lw 2 pt 7 ps 0.6"
                parts.append("\(file) index \(b) using 1:2 with \(style) lc rgb \(color) title \(text(title))")
                return parts
            }
            // The paper's points: those of one series in its colour ("paper: student=cnn (claim)"),
            // the others in black.
            var paperGroups: [(block: Int, series: String?, color: String, pointType: Int, confidence: String)] = []
            for (confidence, pointType, title) in markers {
                guard let points = data.paper[confidence], !points.isEmpty else { continue }
                let groups = Dictionary(grouping: points) { $0.series ?? "" }
                for key in groups.keys.sorted() {
                    let owner = key.isEmpty ? nil : drawn.first { $0.element.key == key || $0.element.key.hasPrefix(key + " · ") }
                    startBlock(key.isEmpty ? title : "\(title): \(key)")
                    dat += "# x value sigma\n"
                    for p in groups[key]! { dat += "\(p.x) \(p.value) \(p.sigma)\n" }
                    paperGroups.append((block, key.isEmpty ? nil : key, owner.map { quote(colors[$0.offset % colors.count]) } ?? "\"black\"",
                                        pointType, String(title.dropFirst("paper (".count).dropLast())))
                    block += 1
                }
            }
            func paperPlot(_ group: (block: Int, series: String?, color: String, pointType: Int, confidence: String), named: Bool) -> String {
                let title = named ? group.series.map { "paper: \($0) (\(group.confidence))" } ?? "paper (\(group.confidence))" : "paper (\(group.confidence))"
                return "\(file) index \(group.block) using 1:2:3 with yerrorbars pt \(group.pointType) ps 1.6 lw 1.5 lc rgb \(group.color) title \(text(title))"
            }
            if drawn.count > maximumSeriesPerPanel && data.levels.isEmpty {
                // Small multiples: one panel per series on shared axes, titled by it, each with the
                // paper's points of its series and those of none.
                let ranges = FigureRanges(data, logX: spec.logX, logY: spec.logY)
                let columns = Int(Double(drawn.count).squareRoot().rounded(.up)), rows = (drawn.count + columns - 1) / columns
                // No key in a panel (in any corner it covered some panel's points): the figure's
                // title says once, on a second line, what the lines, bands and marks are.
                var legend = [seriesBlocks.contains { $0.seeds != nil }
                    ? (isCurve ? "line: mean, thin lines: each seed" : "line: mean, ○: each seed") : "line and band: mean ±σ over seeds"]
                if seriesBlocks.contains(where: \.reference) { legend.append("hatched: reference run ±σ") }
                let glyphs = [5: "■", 9: "▲", 6: "○"]
                legend += Set(paperGroups.map(\.pointType)).sorted().compactMap { type in
                    paperGroups.first { $0.pointType == type }.map { "\(glyphs[type] ?? "◆") paper (\($0.confidence))" }
                }
                var panels = ranges.settings
                panels += "set multiplot layout \(rows),\(columns) title \(text(spec.title)) . \"\\n\" . \(text(legend.joined(separator: "    ")))\n"
                panels += "unset key\n"
                for (index, (_, series)) in drawn.enumerated() {
                    let own = paperGroups.filter { group in
                        group.series.map { series.key == $0 || series.key.hasPrefix($0 + " · ") } ?? true
                    }
                    panels += "set title \(text(series.title))\n"
                    panels += "plot " + (seriesPlots(index, title: spread(index), referenceTitle: "reference run ±σ")
                        + own.map { paperPlot($0, named: false) }).joined(separator: ", ") + "\n"
                }
                smallMultiples = panels + "unset multiplot\n"
            } else {
                var referenceTitled = false
                for (index, (_, series)) in drawn.enumerated() {
                    plots += seriesPlots(index, title: series.title + " " + spread(index), referenceTitle: referenceTitled ? nil : "reference run ±σ")
                    referenceTitled = referenceTitled || seriesBlocks[index].reference
                }
                plots += paperGroups.map { paperPlot($0, named: true) } + seedKey
            }
            let positioned = !plots.isEmpty
            var padded = false
            // A single x position (a subset that ran one D of a sweep): one tic there and a range
            // around it, not an axis of hundredths that gnuplot widens a point into.
            let xs = Set(drawn.flatMap { $0.element.points.map(\.x) } + data.paper.values.flatMap { $0.map(\.x) })
            if xs.count == 1, let x = xs.first, smallMultiples == nil, data.levels.isEmpty {
                let (low, high) = spec.logX ? (x / 2, x * 2) : (x - 1, x + 1)
                setup += "set xrange [\(low):\(high)]\nset xtics (\(number(x)))\n"
            } else if case .metricVersus = spec.kind {
                // Points at the first and last x clear of the border, where they would hide.
                setup += "set offsets graph 0.04, graph 0.04, 0, 0\n"
                padded = true
            }
            let levelColors = ["#333333", "#8c564b", "#e377c2", "#17becf"]
            var bands: [String] = []
            for (i, level) in data.levels.enumerated() where level.run != nil || level.paper != nil {
                let color = quote(levelColors[i % levelColors.count]), name = "level\(i)"
                let (run, paper) = (level.run, level.paper)
                let columns: [(String, Double?)] = [
                    ("mean", run?.mean), ("std", run?.std), ("n", run.map { Double($0.n) }),
                    ("lower", run.map { $0.mean - $0.std }), ("upper", run.map { $0.mean + $0.std }),
                    ("paper_value", paper?.value), ("paper_sigma", paper?.sigma),
                    ("paper_lower", paper.flatMap { p in p.sigma.map { p.value - $0 } }),
                    ("paper_upper", paper.flatMap { p in p.sigma.map { p.value + $0 } }),
                ]
                startBlock("\(level.title): reference line (mean ± σ of this run; the paper's value ± σ)")
                dat += "# " + columns.map(\.0).joined(separator: " ") + "\n"
                dat += columns.map { $0.0 == "n" ? "\(run?.n ?? 0)" : number($0.1) }.joined(separator: " ") + "\n"
                // Read the values that exist (a NaN column would make `stats` warn) into variables.
                let reads = columns.enumerated().filter { $0.element.1?.isFinite == true && $0.element.0 != "n" }
                    .map { "\(name)_\($0.element.0) = $\($0.offset + 1)" }
                setup += "stats \(file) index \(block) using (\(reads.joined(separator: ", ")), 0) nooutput\n"
                if let run {
                    let spread = run.std.isFinite
                    if spread {
                        bands.append("\(name)_upper with filledcurves y=\(name)_lower fs transparent solid 0.15 noborder lc rgb \(color) notitle")
                    }
                    plots.append("\(name)_mean with lines lw 2 lc rgb \(color) title \(text("\(level.title) (this run)\(spread ? " mean ±σ" : "") (n=\(run.n))"))")
                }
                if let paper {
                    let spread = paper.sigma?.isFinite == true
                    plots.append("\(name)_paper_value with lines lw 2 dt 4 lc rgb \(color) title \(text("\(level.title) (paper)\(spread ? " ±σ" : "")"))")
                    if spread {
                        plots.append("\(name)_paper_lower with lines lw 1 dt 2 lc rgb \(color) notitle")
                        plots.append("\(name)_paper_upper with lines lw 1 dt 2 lc rgb \(color) notitle")
                    }
                }
                block += 1
            }
            plots = bands + plots
            if data.levels.contains(where: { $0.run != nil || $0.paper != nil }) {
                if positioned {
                    // Constant functions are sampled over the data's x range only; fix the axis
                    // to the range the data give (tics included) so that the lines span it.
                    setup += "set table $xrange_pass\nplot " + plots.joined(separator: ", ") + "\nunset table\n"
                    // Offsets do not survive a fixed range: pad it by the same 4% (of the
                    // decades on a log axis) so that the first and last points clear the border.
                    if !padded {
                        setup += "set xrange [GPVAL_X_MIN:GPVAL_X_MAX]\n"
                    } else if spec.logX {
                        setup += "x_pad = (GPVAL_X_MAX / GPVAL_X_MIN) ** 0.04\nset xrange [GPVAL_X_MIN / x_pad:GPVAL_X_MAX * x_pad]\n"
                    } else {
                        setup += "x_pad = 0.04 * (GPVAL_X_MAX - GPVAL_X_MIN)\nset xrange [GPVAL_X_MIN - x_pad:GPVAL_X_MAX + x_pad]\n"
                    }
                } else {
                    setup += spec.logX ? "set xrange [1:10]\n" : "set xrange [0:1]\n"
                }
            }
        }
        // The commit in a bottom corner, clear of the key; a multiplot's bottom row carries its x
        // labels there, so its commit goes to the top corner, beside the centred title.
        let multiplot = smallMultiples != nil || !data.panels.isEmpty
        let corner = multiplot ? "screen 0.99, screen 0.975" : "screen 0.99, screen 0.015"
        var gp = """
            # \(spec.title)
            # generated by tnbench: edit freely and re-render with `gnuplot \(spec.id).gp` in this directory.
            set encoding utf8
            set title \(text(spec.title))
            set xlabel \(text(spec.xLabel))
            set ylabel \(text(spec.yLabel))
            set grid
            set key outside right top vertical box width 1
            set label 99 \(text("commit \(commit)")) at \(corner) right font ",9" textcolor rgb "#555555"

            """
        if spec.logX && data.categories.isEmpty { gp += "set logscale x\n" }
        // "%g" on a log axis: gnuplot's default prints 0.1 as 0.10000000 once the range spans
        // many decades.
        if spec.logY { gp += "set logscale y\nset format y \"%g\"\n" }
        gp += setup
        var body: String
        if let smallMultiples {
            body = smallMultiples
        } else if data.panels.isEmpty {
            body = plots.isEmpty ? "set label 1 \"no data\" at graph 0.5, graph 0.5 center\nplot NaN notitle\n" : "plot \\\n    " + plots.joined(separator: ", \\\n    ") + "\n"
        } else {
            let columns = Int(Double(data.panels.count).squareRoot().rounded(.up))
            let rows = (data.panels.count + columns - 1) / max(columns, 1)
            body = "set multiplot layout \(rows),\(columns) title \(text(spec.title))\nunset title\nset key inside top right nobox\n"
            for panel in data.panels {
                var parts: [String] = []
                if let grid = panel.grid {
                    startBlock("\(panel.title): field")
                    for row in grid.values { dat += row.map { "\($0)" }.joined(separator: " ") + "\n" }
                    let nx = Double(grid.values.first?.count ?? 1), ny = Double(grid.values.count)
                    let dx = (grid.xMax - grid.xMin) / max(nx - 1, 1), dy = (grid.yMax - grid.yMin) / max(ny - 1, 1)
                    parts.append("\(file) index \(block) matrix using (\(grid.xMin)+$1*\(dx)):(\(grid.yMin)+$2*\(dy)):3 with image notitle")
                    block += 1
                }
                if !panel.points.isEmpty {
                    startBlock("\(panel.title): points (x y class)")
                    for p in panel.points { dat += "\(p.0) \(p.1) \(p.2)\n" }
                    parts.append("\(file) index \(block) using 1:2:3 with points pt 7 ps 0.5 lc variable notitle")
                    block += 1
                }
                for line in panel.lines where !line.xy.isEmpty {
                    startBlock("\(panel.title): \(line.name)")
                    for p in line.xy { dat += "\(p.0) \(p.1)\n" }
                    parts.append("\(file) index \(block) using 1:2 with lines lw 2 title \(text(line.name))")
                    block += 1
                }
                body += "set title \(text(panel.title))\n"
                body += parts.isEmpty ? "plot NaN notitle\n" : "plot " + parts.joined(separator: ", ") + "\n"
            }
            body += "unset multiplot\n"
        }
        return (dat, gp + outputs(body, id: spec.id))
    }

    /// The script's tail: `body` drawn once per output (PNG, SVG, PDF) into `<id>.<ext>`.
    static func outputs(_ body: String, id: String) -> String {
        let png = terminals.contains("pngcairo") ? "pngcairo size 1000,640 enhanced font \",11\"" : "png size 1000,640"
        let outputs: [(String, String)] = [
            (png, "png"), ("svg size 1000,640 dynamic enhanced mouse standalone", "svg"),
            (terminals.contains("pdfcairo") ? "pdfcairo size 10in,6.4in enhanced" : "pdf", "pdf"),
        ]
        var gp = ""
        for (terminal, ext) in outputs {
            gp += "\nset terminal \(terminal)\nset output \(quote("\(id).\(ext)"))\n" + body
        }
        return gp + "unset output\n"
    }

    /// Writes `<directory>/<id>.dat` and a `<id>.gp` that draws `body` (settings and a plot
    /// command reading `<id>.dat`) into PNG, SVG and PDF, and runs gnuplot on it when installed.
    ///
    /// - Throws: ``HarnessError`` `.unwritableOutput` when the files cannot be written.
    static func write(suite: String, id: String, title: String, directory: String, dat: String, body: String, hasData: Bool) throws -> RenderedFigure {
        let gp = "# \(title)\n# generated by tnbench: edit freely and re-render with `gnuplot \(id).gp` in this directory.\nset encoding utf8\n"
            + outputs(body, id: id)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try dat.write(toFile: "\(directory)/\(id).dat", atomically: true, encoding: .utf8)
            try gp.write(toFile: "\(directory)/\(id).gp", atomically: true, encoding: .utf8)
        } catch {
            throw HarnessError(.unwritableOutput, "cannot write figure '\(directory)/\(id)': choose a writable --out")
        }
        var rendered = false
        if let gnuplot, hasData {
            let result = try? run(gnuplot, ["\(id).gp"], in: directory)
            rendered = result?.status == 0 && FileManager.default.fileExists(atPath: "\(directory)/\(id).png")
        }
        return RenderedFigure(suite: suite, id: id, title: title, directory: directory, rendered: rendered, hasData: hasData)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The shared axis ranges of small multiples: every series' mean ± σ, seed points, reference band
/// and paper point ± σ, padded (by a factor on a logarithmic axis).
struct FigureRanges {
    var x: (Double, Double)?
    var y: (Double, Double)?

    init(_ data: FigureData, logX: Bool, logY: Bool) {
        var xs: [Double] = [], ys: [Double] = []
        for series in data.series {
            for p in series.points {
                xs.append(p.x)
                ys += [p.mean - p.std, p.mean + p.std]
                if let m = p.referenceMean { ys += [m - (p.referenceStd ?? 0), m + (p.referenceStd ?? 0)] }
            }
            ys += series.seeds.flatMap { $0.map(\.y) }
        }
        for points in data.paper.values {
            for p in points { xs.append(p.x); ys += [p.value - p.sigma, p.value + p.sigma] }
        }
        func padded(_ values: [Double], log: Bool) -> (Double, Double)? {
            let finite = values.filter { $0.isFinite && (!log || $0 > 0) }
            guard let low = finite.min(), let high = finite.max() else { return nil }
            if log { return (low / 1.25, high * 1.25) }
            let pad = high > low ? 0.05 * (high - low) : Swift.max(abs(high) * 0.05, 0.5)
            return (low - pad, high + pad)
        }
        x = padded(xs, log: logX)
        y = padded(ys, log: logY)
    }

    /// `set xrange`/`set yrange` lines for the ranges found.
    var settings: String {
        var text = ""
        if let x { text += "set xrange [\(x.0):\(x.1)]\n" }
        if let y { text += "set yrange [\(y.0):\(y.1)]\n" }
        return text
    }
}
