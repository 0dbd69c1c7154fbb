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
    /// plot, and the commit is a label in the top corner.
    @Test func keyStandsRightOfThePlot() {
        let spec = FigureSpec(id: "f", title: "t", kind: .metricVersus(metric: .testAccuracy, x: "D", series: nil), xLabel: "D", yLabel: "a")
        let (_, gp, _) = figureText(spec, records: accuracyRecords(["D": 2], [0.9, 0.91]))
        #expect(gp.contains("set key outside right top vertical box"))
        #expect(!gp.contains("set key below"))
        #expect(gp.contains(#"set label 99 "commit 0123456789" at screen 0.99, screen 0.975 right"#))
    }
}
