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
