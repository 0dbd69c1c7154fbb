import Foundation
import Testing
@testable import Harness

/// The new figure kinds through `FigureRenderer.render`: the `.dat`/`.gp` are written and, when
/// gnuplot is installed, it accepts every script (complete data, missing data, no data).
@Suite struct FigureRenderingTests {
    @Test func referenceLinesAndCategoriesRender() throws {
        let root = temporaryDirectory()
        let baselines = root + "/Baselines"
        try FileManager.default.createDirectory(atPath: baselines, withIntermediateDirectories: true)
        try """
            {"suite": "Figures", "paper_id": "figures", "points": [
              {"metric": "test_accuracy", "configuration": {"network": "fc2"}, "value": 0.9817, "sigma": 0.0005, "confidence": "table", "source": "Fig. 2"},
              {"metric": "test_accuracy", "configuration": {"network": "lenet5"}, "value": 0.9917, "sigma": 0.0004, "confidence": "table", "source": "Table I"},
              {"metric": "test_accuracy", "configuration": {"network": "mpo_lenet5"}, "value": 0.9917, "sigma": 0.0008, "confidence": "table", "source": "Table I"}
            ]}
            """.write(toFile: baselines + "/Figures.json", atomically: true, encoding: .utf8)
        // A reference run of LeNet-5 only.
        try ReferenceBaselines(
            suite: "Figures", tier: .smoke, created: "", run: "earlier", hostName: "", cpuModel: "", gitCommit: "", blasConfiguration: "",
            entries: [.init(configuration: CategoricalFigureTests.lenet, metric: "test_accuracy", values: [0.9911, 0.9914, 0.9912], seeds: [0, 1, 2])]
        ).write(to: baselines)
        let suite = FigureSuite(figures: [
            ReferenceLineFigureTests.spec(),
            FigureSpec(
                id: "lines_only", title: "Only the reference line", kind: .metricVersus(metric: .testAccuracy, x: "D", series: nil),
                xLabel: "D", yLabel: "test accuracy", filter: ["network": "none"], referenceLines: [["network": "fc2"], ["network": "fc3"]]),
            CategoricalFigureTests.spec([CategoricalFigureTests.lenet, CategoricalFigureTests.mpoLenet, ["network": "resnet"], ["network": "vgg"]]),
            FigureSpec(
                id: "nothing", title: "Nothing", kind: .metricByConfiguration(metric: .testAccuracy, configurations: [["network": "vgg"]]),
                xLabel: "network", yLabel: "test accuracy"),
        ])
        let records = ReferenceLineFigureTests.records + CategoricalFigureTests.records.filter { $0.job.seed < 2 }
            + [accuracyRecord(["network": "mpo_lenet5"], seed: 2, 0.9925), accuracyRecord(["network": "resnet"], seed: 0, 0.9921)]  // one seed: no bar
        let results = ResultSet(name: "figures", tier: .smoke, provenance: figureProvenance, created: "", records: records)
        let directory = root + "/figures"
        let (figures, warning) = try FigureRenderer(outputDirectory: directory, baselines: baselines).render(results: results, suites: [suite])
        #expect(figures.map(\.id) == ["accuracy_vs_d", "lines_only", "table_1", "nothing"])
        #expect(figures.map(\.hasData) == [true, true, true, false])
        for figure in figures {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/Figures/\(figure.id).dat"))
            #expect(FileManager.default.fileExists(atPath: "\(directory)/Figures/\(figure.id).gp"))
        }
        let dat = try String(contentsOfFile: directory + "/Figures/accuracy_vs_d.dat", encoding: .utf8)
        #expect(dat.contains("0.9817 0.0005"))  // the paper's line, loaded from the baseline file
        let table = try String(contentsOfFile: directory + "/Figures/table_1.gp", encoding: .utf8)
        #expect(table.contains("title \"reference run mean ±σ\""))  // loaded from Baselines/reference/smoke/
        if FigureRenderer.gnuplot != nil {
            #expect(warning == nil)
            #expect(figures.map(\.rendered) == [true, true, true, false])  // "nothing" has no data to draw
            for ext in ["png", "svg", "pdf"] {
                #expect(FileManager.default.fileExists(atPath: "\(directory)/Figures/table_1.\(ext)"))
            }
        } else {
            #expect(warning?.contains("gnuplot not found") == true)
        }
    }
}
