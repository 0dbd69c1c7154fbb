import Foundation
import Testing
@testable import Harness

/// `.metricByConfiguration`: one x position per listed configuration with the run's mean ± σ,
/// the reference run's and the paper's point beside it (a table such as LeNet-5 vs MPO-LeNet-5).
@Suite struct CategoricalFigureTests {
    static let lenet: Configuration = ["network": "lenet5"]
    static let mpoLenet: Configuration = ["network": "mpo_lenet5"]
    static let lenetAccuracies = [0.9912, 0.9921, 0.9915]
    static let mpoAccuracies = [0.9908, 0.9919, 0.9925]
    static let paper = [accuracyPoint(lenet, 0.9917, sigma: 0.0004), accuracyPoint(mpoLenet, 0.9917, sigma: 0.0008)]

    static func spec(_ configurations: [Configuration] = [lenet, mpoLenet]) -> FigureSpec {
        FigureSpec(
            id: "table_1", title: "Test accuracy, LeNet-5 vs MPO-LeNet-5",
            kind: .metricByConfiguration(metric: .testAccuracy, configurations: configurations),
            xLabel: "network", yLabel: "test accuracy", logX: true)
    }

    static var records: [JobRecord] { accuracyRecords(lenet, lenetAccuracies) + accuracyRecords(mpoLenet, mpoAccuracies) }

    @Test func eachConfigurationWithMeanSpreadAndPaperValue() throws {
        let reference = ReferenceBaselines(
            suite: "Figures", tier: .smoke, created: "", run: "earlier", hostName: "", cpuModel: "", gitCommit: "", blasConfiguration: "",
            entries: [.init(configuration: Self.lenet, metric: "test_accuracy", values: [0.991, 0.992], seeds: [0, 1])])
        let (dat, gp, _) = figureText(Self.spec(), records: Self.records, paper: Self.paper, reference: reference)
        let rows = datRows(dat, block: 0)
        #expect(rows.count == 2)
        let (m0, s0) = (Statistics.mean(Self.lenetAccuracies), Statistics.standardDeviation(Self.lenetAccuracies))
        let (m1, s1) = (Statistics.mean(Self.mpoAccuracies), Statistics.standardDeviation(Self.mpoAccuracies))
        let (r0, rs0) = (Statistics.mean([0.991, 0.992]), Statistics.standardDeviation([0.991, 0.992]))
        #expect(rows[0] == ["0", "\(m0)", "\(s0)", "3", "\(r0)", "\(rs0)", "0.9917", "0.0004", "table", "\"lenet5\""])
        #expect(rows[1] == ["1", "\(m1)", "\(s1)", "3", "NaN", "NaN", "0.9917", "0.0008", "table", "\"mpo_lenet5\""])
        // Labelled positions, the run with error bars, the reference left and the paper right.
        #expect(gp.contains("set xrange [-0.5:1.5]"))
        #expect(gp.contains(#"set xtics ("lenet5 (n=3)" 0, "mpo\\_lenet5 (n=3)" 1)"#))
        #expect(gp.contains("index 0 using 1:2:(valid(3) ? $3 : 0) with yerrorbars"))
        #expect(gp.contains("index 0 using ($1-0.2):5:(valid(6) ? $6 : 0) with yerrorbars"))
        #expect(gp.contains(#"index 0 using ($1+0.2):(strcol(9) eq "table" ? $7 : NaN):(valid(8) ? $8 : 0) with yerrorbars pt 5"#))
        #expect(gp.contains("title \"paper (table) ±σ\""))
        #expect(!gp.contains("logscale x"))  // positions are not numbers
    }

    @Test func missingDataDoesNotCrash() throws {
        // One seed of LeNet-5 (σ NaN), MPO-LeNet-5 not run, no paper point for a third network.
        let vgg: Configuration = ["network": "vgg"]
        let records = [accuracyRecord(Self.lenet, seed: 0, 0.99)]
        let (dat, gp, data) = figureText(Self.spec([Self.lenet, Self.mpoLenet, vgg]), records: records, paper: Self.paper)
        let rows = datRows(dat, block: 0)
        #expect(rows[0] == ["0", "0.99", "NaN", "1", "NaN", "NaN", "0.9917", "0.0004", "table", "\"lenet5\""])
        #expect(rows[1] == ["1", "NaN", "NaN", "0", "NaN", "NaN", "0.9917", "0.0008", "table", "\"mpo_lenet5\""])
        #expect(rows[2] == ["2", "NaN", "NaN", "0", "NaN", "NaN", "NaN", "NaN", "-", "\"vgg\""])
        #expect(gp.contains(#""mpo\\_lenet5 (not run)" 1"#))
        #expect(!gp.contains("reference run"))  // no reference run given
        #expect(data.hasData)
        // Nothing run, nothing in the paper: a "no data" figure.
        let empty = figureText(Self.spec([vgg]), records: [])
        #expect(!empty.data.hasData)
        #expect(empty.gp.contains("no data"))
        // The paper alone.
        let paperOnly = figureText(Self.spec(), records: [], paper: Self.paper)
        #expect(paperOnly.data.hasData)
        #expect(!paperOnly.gp.contains("this run"))
        #expect(paperOnly.gp.contains("paper (table)"))
    }

    /// A listed configuration is taken from the run when equal to it, numbers across int/double.
    @Test func configurationsAreMatchedExactly() {
        let records = accuracyRecords(["network": "mpo_lenet5", "D": 4], [0.99, 0.992]) + accuracyRecords(["network": "mpo_lenet5", "D": 8], [0.5])
        let (_, _, data) = figureText(Self.spec([["network": "mpo_lenet5", "D": 4.0], Self.mpoLenet]), records: records)
        #expect(data.categories.map(\.label) == ["4.0, mpo_lenet5", "mpo_lenet5"])  // the label is the listed configuration's
        #expect(data.categories[0].run?.n == 2)
        #expect(data.categories[1].run == nil)  // a subset is not the same configuration
    }
}
