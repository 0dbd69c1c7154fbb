import Foundation
import Testing
@testable import Harness

/// Series in reading order (D = 2 before D = 10) and a key that cannot cover the x-axis label.
@Suite struct FigureLayoutTests {
    @Test func seriesAreOrderedByValueNotByText() {
        let spec = FigureSpec(
            id: "accuracy_vs_samples", title: "accuracy", kind: .metricVersus(metric: .testAccuracy, x: "samples", series: "D"),
            xLabel: "samples", yLabel: "test accuracy")
        let records = [10, 2, 6].flatMap { d in
            [100, 200].flatMap { n in accuracyRecords(["D": .int(d), "samples": .int(n)], [0.9, 0.91]) }
        }
        let (dat, _, data) = figureText(spec, records: records)
        #expect(data.series.map(\.title) == ["D=2 (n=2)", "D=6 (n=2)", "D=10 (n=2)"])
        #expect(dat.contains("# block 0: D=2 (n=2)") && dat.contains("# block 2: D=10 (n=2)"))
    }

    /// Implementations run side by side draw a line each (docs/IMPLEMENTATIONS.md): one
    /// configuration's native and PyTorch values are never averaged into one point.
    @Test func eachImplementationDrawsItsOwnLine() {
        let versusD = FigureSpec(
            id: "a", title: "a", kind: .metricVersus(metric: .testAccuracy, x: "D", series: nil), xLabel: "D", yLabel: "a")
        let records = [2, 4].flatMap { d in
            accuracyRecords(["D": .int(d)], [0.90, 0.92]) + accuracyRecords(["D": .int(d), "implementation": "pytorch"], [0.50, 0.52])
        }
        let (_, _, data) = figureText(versusD, records: records)
        #expect(data.series.map(\.title) == ["native (n=2)", "pytorch (n=2)"])
        #expect(data.series.map { $0.points.map(\.mean) } == [[0.91, 0.91], [0.51, 0.51]])
        let bySeries = FigureSpec(
            id: "b", title: "b", kind: .metricVersus(metric: .testAccuracy, x: "samples", series: "D"), xLabel: "n", yLabel: "a")
        let both = accuracyRecords(["D": 2, "samples": 100], [0.9]) + accuracyRecords(["D": 2, "samples": 100, "implementation": "tn4ml"], [0.8])
        #expect(figureText(bySeries, records: both).2.series.map(\.title) == ["D=2 (n=1)", "D=2 · tn4ml (n=1)"])
        // Native alone keeps its metric-named line.
        #expect(figureText(versusD, records: accuracyRecords(["D": 2], [0.9])).2.series.map(\.title) == ["test_accuracy (n=1)"])
    }

    @Test func configurationsReadInNumericOrder() {
        let configurations: [Configuration] = [["D": 10, "init": "he"], ["D": 2, "init": "he"], ["D": 6, "init": "glorot"], ["D": 2, "init": "glorot"]]
        #expect(configurations.sorted(by: Configuration.inReadingOrder).map(\.name) == [
            "D=2,init=glorot", "D=2,init=he", "D=6,init=glorot", "D=10,init=he",
        ])
    }

    /// A key below the plot overlapped the x label in gnuplot 5.4; the key now sits right of the
    /// plot, one character wider than gnuplot estimates (its box cut "m=10 … ±σ" at the border),
    /// and the commit is a label in the bottom corner (clear of a multiplot's title).
    @Test func keyStandsRightOfThePlot() {
        let spec = FigureSpec(id: "f", title: "t", kind: .metricVersus(metric: .testAccuracy, x: "D", series: nil), xLabel: "D", yLabel: "a")
        let (_, gp, _) = figureText(spec, records: accuracyRecords(["D": 2], [0.9, 0.91]))
        #expect(gp.contains("set key outside right top vertical box width 1"))
        #expect(!gp.contains("set key below"))
        #expect(gp.contains(#"set label 99 "commit 0123456789" at screen 0.99, screen 0.015 right"#))
    }

    static let byStudent = FigureSpec(
        id: "acc", title: "accuracy", kind: .metricVersus(metric: .testAccuracy, x: "D", series: "student"), xLabel: "D", yLabel: "a")

    /// A paper point of one series is drawn in that series' colour and named for it; a point of
    /// no series stays black.
    @Test func paperPointsTakeTheirSeriesColour() {
        let records = ["cnn", "fc"].flatMap { student in [10, 20].flatMap { d in accuracyRecords(["D": .int(d), "student": .string(student)], [0.5, 0.6]) } }
        let points = [accuracyPoint(["D": 10, "student": "cnn"], 0.9, sigma: nil), accuracyPoint(["D": 20, "student": "fc"], 0.55, sigma: nil),
                      accuracyPoint(["D": 20], 0.7, sigma: nil)]
        let (dat, gp, _) = figureText(Self.byStudent, records: records, paper: points)
        #expect(gp.contains(##"with yerrorbars pt 5 ps 1.6 lw 1.5 lc rgb "#1f77b4" title "paper: student=cnn (table)""##))
        #expect(gp.contains(##"with yerrorbars pt 5 ps 1.6 lw 1.5 lc rgb "#d62728" title "paper: student=fc (table)""##))
        #expect(gp.contains(##"with yerrorbars pt 5 ps 1.6 lw 1.5 lc rgb "black" title "paper (table)""##))
        #expect(dat.contains("# block 3: paper (table): student=cnn"))
    }

    /// A reference band is drawn where the reference holds other numbers, under one legend entry;
    /// not where it is this run's own (a report of the run that became the reference).
    @Test func referenceBandsOnlyWhereTheyDifferAndNamedOnce() {
        let records = ["cnn", "fc", "direct"].flatMap { student in accuracyRecords(["D": 10, "student": .string(student)], [0.5, 0.6]) }
        func reference(_ fc: [Double]) -> ReferenceBaselines {
            ReferenceBaselines(
                suite: "Figures", tier: .smoke, created: "", run: "", hostName: "", cpuModel: "", gitCommit: "", blasConfiguration: "",
                entries: [
                    .init(configuration: ["D": 10, "student": "cnn"], metric: "test_accuracy", values: [0.7, 0.8], seeds: [0, 1]),
                    .init(configuration: ["D": 10, "student": "fc"], metric: "test_accuracy", values: fc, seeds: [0, 1]),
                    .init(configuration: ["D": 10, "student": "direct"], metric: "test_accuracy", values: [0.2, 0.3], seeds: [0, 1]),
                ])
        }
        let (_, gp, _) = figureText(Self.byStudent, records: records, reference: reference([0.5, 0.6]))
        let plot = gp.components(separatedBy: "set terminal")[1]
        #expect(plot.components(separatedBy: "pattern 4").count - 1 == 2, "fc's reference is this run: no band")
        #expect(plot.components(separatedBy: "title \"reference run ±σ\"").count - 1 == 1)
        let own = figureText(Self.byStudent, records: records, reference: reference([0.5, 0.6])).2
        #expect(own.series.map(\.hasDistinctReference) == [true, true, false])
    }

    /// More series than a panel holds: one panel per series on shared axes, each with the
    /// paper's points of its series.
    @Test func manySeriesBecomeSmallMultiples() {
        let students = ["a", "b", "c", "d", "e"]
        let records = students.flatMap { s in [2, 4].flatMap { d in accuracyRecords(["D": .int(d), "student": .string(s)], [0.5, 0.7]) } }
        let (_, gp, _) = figureText(Self.byStudent, records: records, paper: [accuracyPoint(["D": 4, "student": "c"], 0.9, sigma: 0.01)])
        // No key in any panel; the title's second line says what line, band and marks are.
        #expect(gp.contains("set multiplot layout 2,3 title \"accuracy\" . \"\\n\" . \"line and band: mean ±σ over seeds    ■ paper (table)\"\nunset key\n"))
        let panels = gp.components(separatedBy: "set terminal")[1].components(separatedBy: "\nset title ").dropFirst()
        #expect(panels.count == 5)
        // The paper's point is drawn in its own series' panel only.
        #expect(panels.map { $0.contains("pt 5 ps 1.6") } == [false, false, true, false, false])
        #expect(gp.contains("set yrange [") && gp.contains("set xrange ["))
        let bare = figureText(Self.byStudent, records: records).gp
        #expect(bare.contains("title \"accuracy\" . \"\\n\" . \"line and band: mean ±σ over seeds\"\n"))
        // Four series stay in one plot.
        let four = figureText(Self.byStudent, records: records.filter { $0.job.configuration["student"] != "e" }).gp
        #expect(!four.contains("multiplot"))
    }

    /// Each seed: on a `.metricVersus` figure an open circle per seed in its series' block and
    /// colour, under one legend entry and in place of the ±σ band, and inside the shared axes of
    /// small multiples; figures that do not ask draw none.
    @Test func eachSeedAsAPoint() {
        let spec = FigureSpec(
            id: "err", title: "error", kind: .metricVersus(metric: .testAccuracy, x: "D", series: "init"), xLabel: "D",
            yLabel: "e", logY: true, showsEachSeed: true)
        let records = accuracyRecords(["D": 6, "init": "copy"], [0.07, 0.08]) + accuracyRecords(["D": 10, "init": "copy"], [0.9, 0.07, 0.08])
            + accuracyRecords(["D": 6, "init": "he"], [0.9])
        let (dat, gp, data) = figureText(spec, records: records)
        #expect(data.series[0].seeds.map { $0.map(\.y) } == [[0.07, 0.08], [0.9, 0.07, 0.08]])
        #expect(datRows(dat, block: 1) == [["6.0", "0.07"], ["6.0", "0.08"], ["10.0", "0.9"], ["10.0", "0.07"], ["10.0", "0.08"]])
        #expect(dat.contains("# block 1: init=copy (n=3): each seed"))
        #expect(gp.contains(##"index 1 using 1:2 with points pt 6 ps 0.9 lc rgb "#1f77b4" notitle"##))
        #expect(gp.contains(##"index 3 using 1:2 with points pt 6 ps 0.9 lc rgb "#d62728" notitle"##))
        #expect(gp.contains(#"title "init=copy (n=3) mean""#) && !gp.contains("filledcurves"))
        let plot = gp.components(separatedBy: "set terminal")[1]
        #expect(plot.components(separatedBy: "title \"one seed\"").count - 1 == 1, "one legend entry per drawing")
        var plain = spec
        plain.showsEachSeed = false
        plain.logY = false  // on the log axis, D = 10's band (0.35 ± 0.48) would bring the seeds back
        let (plainDat, plainGP, _) = figureText(plain, records: records)
        #expect(!plainDat.contains("each seed") && !plainGP.contains("one seed") && plainGP.contains("filledcurves"))
        // Small multiples share axes that hold every seed, not only mean ± σ.
        let many = ["a", "b", "c", "d"].flatMap { accuracyRecords(["D": 6, "init": .string($0)], [0.1, 0.2]) }
        let ranges = FigureRanges(figureText(spec, records: records + many).data, logX: false, logY: true)
        #expect(ranges.y.map { $0.1 >= 0.9 * 1.25 && $0.0 <= 0.07 / 1.25 } == true)
    }

    /// Each seed of a curve: a thin line per seed, the tracks of one block separated by single
    /// blank lines (one gnuplot index, several lines).
    @Test func eachSeedAsALine() {
        let spec = FigureSpec(
            id: "val", title: "validation", kind: .curve(name: "val_error", series: nil), xLabel: "epoch", yLabel: "e",
            showsEachSeed: true)
        let records = [[0.5, 0.1], [0.9, 0.9]].enumerated().map { seed, ys in
            var record = accuracyRecord(["D": 10], seed: seed, 0.9)
            record.record.curves["val_error"] = Curve(x: [1, 2], y: ys)
            return record
        }
        let (dat, gp, data) = figureText(spec, records: records)
        #expect(data.series[0].points.map(\.mean) == [0.7, 0.5])
        #expect(dat.contains("1.0 0.5\n2.0 0.1\n\n1.0 0.9\n2.0 0.9\n"))
        #expect(gp.contains(##"index 1 using 1:2 with lines lw 0.8 lc rgb "#1f77b4" notitle"##))
        #expect(gp.contains(#"NaN with lines lw 0.8 lc rgb "black" title "one seed""#))
    }

    /// One x position only (a subset that ran one D): one tic there and a range around it.
    @Test func aSingleXPositionGetsOneTic() {
        let spec = FigureSpec(id: "e", title: "e", kind: .metricVersus(metric: .testAccuracy, x: "D", series: "model"), xLabel: "D", yLabel: "e")
        let records = accuracyRecords(["D": 10, "model": "mps"], [0.9, 0.91]) + accuracyRecords(["D": 10, "model": "rr"], [0.5, 0.9])
        #expect(figureText(spec, records: records).gp.contains("set xrange [9.0:11.0]\nset xtics (10.0)\n"))
        let two = records + accuracyRecords(["D": 6, "model": "mps"], [0.9])
        #expect(!figureText(spec, records: two).gp.contains("set xtics ("))
    }

    /// On a log y axis a band that reaches zero cannot be drawn: that series draws its seeds
    /// instead, unasked; on a linear axis, or where the band stays above zero, the band stays.
    /// A curve of many points is a line without markers, and log tics read as numbers.
    @Test func logAxisBandsBelowZeroGiveWayToSeeds() {
        func records(_ tracks: [[Double]]) -> [JobRecord] {
            tracks.enumerated().map { seed, ys in
                var record = accuracyRecord(["D": 10], seed: seed, 0.9)
                record.record.curves["loss"] = Curve(x: ys.indices.map(Double.init), y: ys)
                return record
            }
        }
        func spec(logY: Bool) -> FigureSpec {
            FigureSpec(id: "loss", title: "loss", kind: .curve(name: "loss", series: nil), xLabel: "sweep", yLabel: "loss", logY: logY)
        }
        let straying = records([[1, 1e-2, 1e-6], [1, 1e-2, 1e-6], [1, 1e-1, 1e-1]])  // σ > mean at the last point
        let log = figureText(spec(logY: true), records: straying)
        #expect(log.data.series[0].seeds.count == 3)
        #expect(log.gp.contains(#"NaN with lines lw 0.8 lc rgb "black" title "one seed""#))
        #expect(!log.gp.contains("filledcurves"))
        #expect(log.gp.contains("set logscale y\nset format y \"%g\""))
        #expect(figureText(spec(logY: false), records: straying).data.series[0].seeds.isEmpty)
        #expect(figureText(spec(logY: true), records: records([[1, 0.5, 0.2], [1, 0.4, 0.3]])).data.series[0].seeds.isEmpty)
        // Beside a straying configuration, a tight one draws its seeds too: one legend for all.
        let tight = records([[1, 0.5, 0.2], [1, 0.4, 0.3]]).map { record in
            var moved = record
            moved.job.configuration = ["D": 20]
            return moved
        }
        #expect(figureText(spec(logY: true), records: straying + tight).data.series.map(\.seeds.count) == [3, 2])
        // 61 points: a line; 60: markers.
        let long = figureText(spec(logY: false), records: records([Array(repeating: 0.5, count: 61)])).gp
        #expect(long.contains("index 0 using 1:2 with lines lw 2 lc rgb") && !long.contains("linespoints"))
        #expect(figureText(spec(logY: false), records: records([Array(repeating: 0.5, count: 60)])).gp.contains("with linespoints"))
    }

    /// A curve without a series key draws a line per configuration, named by the pairs that set
    /// it apart (TNNRegression's loss: not "D=4,dataset=line,strategy=pal" but "dataset=line").
    @Test func curveLinesAreNamedByWhatSetsThemApart() {
        let spec = FigureSpec(id: "loss", title: "loss", kind: .curve(name: "loss", series: nil), xLabel: "sweep", yLabel: "loss")
        let configurations: [Configuration] = [
            ["D": 4, "dataset": "line", "strategy": "pal"], ["D": 4, "dataset": "sine", "output": "linear", "strategy": "pal"],
        ]
        let records = configurations.map { c in
            var record = accuracyRecord(c, seed: 0, 0.9)
            record.record.curves["loss"] = Curve(x: [1, 2], y: [0.5, 0.4])
            return record
        }
        let titles = figureText(spec, records: records).data.series.map(\.title)
        #expect(titles == ["dataset=line (n=1)", "dataset=sine,output=linear (n=1)"])
        #expect(figureText(spec, records: [records[0]]).data.series.map(\.title) == ["D=4,dataset=line,strategy=pal (n=1)"])
    }
}
