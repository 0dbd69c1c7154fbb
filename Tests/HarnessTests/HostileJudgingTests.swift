import Foundation
import Testing
import _TestSupport
@testable import Harness

/// What a hostile pass did to the judging: metrics of any finite magnitude (the Welch test used to
/// trap near 1e81), and reference and paper files corrupted every way a hand or a disk can.
@Suite struct HostileJudgingTests {
    // MARK: Statistics at any magnitude (issue 27, item 1)

    let a = [0.50, 0.60, 0.45, 0.55], b = [0.80, 0.85, 0.75]

    @Test(arguments: [1e81, 1e200, 1e308])
    func welchAndTOSTAreScaleFree(scale: Double) throws {
        let plain = try #require(HypothesisTests.welch(a, b))
        let large = try #require(HypothesisTests.welch(a.map { $0 * scale }, b.map { $0 * scale }))
        expectClose(large.statistic, plain.statistic, relativeTolerance: 1e-12)
        expectClose(try #require(large.degreesOfFreedom), try #require(plain.degreesOfFreedom), relativeTolerance: 1e-12)
        expectClose(large.pLess, plain.pLess, relativeTolerance: 1e-9)
        expectClose(large.pGreater, plain.pGreater, relativeTolerance: 1e-9)
        // Tiny values too (variances near 1e-400 underflow when squared unscaled).
        let tiny = try #require(HypothesisTests.welch(a.map { $0 / scale }, b.map { $0 / scale }))
        expectClose(tiny.statistic, plain.statistic, relativeTolerance: 1e-12)
        expectClose(try #require(tiny.degreesOfFreedom), try #require(plain.degreesOfFreedom), relativeTolerance: 1e-12)

        let p = try #require(HypothesisTests.tost(a, reference: 0.5, margin: 0.1, referenceSigma: 0.05, referenceCount: 3))
        let q = try #require(HypothesisTests.tost(
            a.map { $0 * scale }, reference: 0.5 * scale, margin: 0.1 * scale, referenceSigma: 0.05 * scale, referenceCount: 3))
        expectClose(q, p, relativeTolerance: 1e-9)
        #expect(Statistics.standardDeviation(a.map { $0 * scale }).isFinite)
        #expect(Statistics.mean(a.map { $0 * scale }).isFinite)
    }

    /// Scaling by a power of two is exact, so on ordinary data the results are bit for bit those
    /// of the unscaled formulas (the verdicts on good data cannot move).
    @Test func powerOfTwoScalingIsExact() throws {
        let plain = try #require(HypothesisTests.welch(a, b))
        let shifted = try #require(HypothesisTests.welch(a.map { scalbn($0, 600) }, b.map { scalbn($0, 600) }))
        #expect(shifted == plain)
        #expect(Statistics.standardDeviation(a.map { scalbn($0, -700) }) == scalbn(Statistics.standardDeviation(a), -700))
    }

    @Test func mixedSignsNearTheLimitAreDefined() throws {
        let x = [1.7e308, -1.7e308, 1.0e308], y = [-1.0e308, 1.5e308, -1.6e308]
        let welch = try #require(HypothesisTests.welch(x, y))
        #expect(welch.statistic.isFinite && (welch.degreesOfFreedom ?? .nan) > 0)
        #expect((0...1).contains(welch.pLess) && (0...1).contains(welch.pGreater) && (0...1).contains(welch.pTwoSided))
        #expect(Statistics.mean([1.7e308, 1.7e308]) == 1.7e308)
        #expect(Statistics.median([1.7e308, 1.7e308]) == 1.7e308)
        #expect(Statistics.quantile(sorted: [-1.7e308, 1.7e308], 0) == -1.7e308)
        #expect(Statistics.quantile(sorted: [-1.7e308, 1.7e308], 0.5) == 0)
        #expect(Statistics.standardDeviation([1e200, 3e200]) == 2.0.squareRoot() * 1e200)
        #expect(Statistics.variance([1e200, 3e200]) == .infinity)  // 2e400 is beyond a Double: infinite, not NaN
        #expect(!Statistics.scaledMedianAbsoluteDeviation(x).isNaN)
        let shift = try #require(ShiftEstimate([1.7e308, 1.6e308], [-1.7e308, -1.6e308], level: 0.5))
        #expect(!shift.estimate.isNaN)
        // Paired differences of ±1.7e308 overflow unscaled; the paired test is still decided.
        let paired = try #require(HypothesisTests.pairedT([1.7e308, 1.6e308, 1.65e308], [-1.7e308, -1.6e308, -1.5e308]))
        #expect(paired.pGreater < 0.01 && paired.statistic.isFinite)
    }

    @Test func constantAndTooSmallSamplesAreNotDecidableRatherThanATrap() throws {
        let equal = try #require(HypothesisTests.welch([1e200, 1e200], [1e200, 1e200]))
        #expect(equal.pTwoSided == 1)
        let apart = try #require(HypothesisTests.welch([1e200, 1e200], [2e200, 2e200]))
        #expect(apart.pLess == 0 && apart.pGreater == 1)
        #expect(HypothesisTests.welch([1e200], [1e200, 2e200]) == nil)  // n = 1
        #expect(HypothesisTests.welch([.nan, 1], [1, 2]) == nil)
        #expect(HypothesisTests.welch([.infinity, 1], [1, 2]) == nil)
        #expect(HypothesisTests.mannWhitney([.nan], [1]) == nil)
        #expect(HypothesisTests.tost([1, .nan], reference: 1, margin: 0.1) == nil)
        #expect(HypothesisTests.pairedT([1], [2]) == nil)
        #expect(SpecialFunctions.studentTCDF(.nan, degreesOfFreedom: 3).isNaN)
        #expect(SpecialFunctions.studentTCDF(1, degreesOfFreedom: .nan).isNaN)

        let spec = Metric("mse", .smallerIsBetter, kind: .quality, unit: "1", practicalMargin: 0.005, description: "")
        let (verdict, reason) = Verdicts.reference([1e200], reference: [1e200, 2e200], metric: spec)
        #expect(verdict == nil && reason.contains("too few seeds"))
    }

    /// The paper verdict's equivalence test and interval at the same magnitudes.
    @Test func paperVerdictsAtAnyMagnitude() {
        let spec = Metric("mse", .smallerIsBetter, kind: .quality, unit: "1", practicalMargin: 0.005, description: "")
        let point = PaperPoint(metric: "mse", configuration: [:], value: 0.01, confidence: .claim, margin: 0.0133, source: "s")
        #expect(Verdicts.paper([2e200, 2.2e200, 1.9e200], point: point, metric: spec, tier: .paper).0 == .differs)
        #expect(Verdicts.paper([1.7e308, -1.7e308, 1.0e308], point: point, metric: spec, tier: .paper).0 == .inconclusive)
        // TNNRegression's sine fit (linear output): every seed misses MSE ≈ 0, one at 10²⁵. The
        // mean's interval spans the band; the sign test decides from six seeds on one side.
        let zero = PaperPoint(metric: "mse", configuration: [:], value: 0, confidence: .claim, margin: 0.0133, source: "s")
        let sine = [1.0056e25, 0.5015, 0.4988, 6.378, 0.4975]
        let (five, why) = Verdicts.paper(sine, point: zero, metric: spec, tier: .paper)
        #expect(five == .inconclusive && why.hasPrefix("every seed (5) above [-0.0133, 0.0133], sign test p=0.0625 ≥ 0.05"), "\(why)")
        let (six, whySix) = Verdicts.paper(sine + [0.51], point: zero, metric: spec, tier: .paper)
        #expect(six == .differs && whySix.contains("p=0.03125 < 0.05"), "\(whySix)")
        #expect(Verdicts.paper(sine + [0.01], point: zero, metric: spec, tier: .paper).0 == .inconclusive)  // one seed inside
        let large = PaperPoint(metric: "mse", configuration: [:], value: 1e200, confidence: .claim, margin: 1e199, source: "s")
        #expect(Verdicts.paper([1.001e200, 0.999e200, 1.0005e200, 0.9995e200], point: large, metric: spec, tier: .paper).0 == .reproduced)
    }

    /// The reproduction of the issue: metrics near 1e81, 1e200 and 1e308 through `baseline update`
    /// (make, write), a later `compare` (load, judge), its text and its JSON — every verdict defined.
    @Test(arguments: [1e81, 1e200, 1e308])
    func hugeMetricsAreJudgedEndToEnd(scale: Double) throws {
        let reference = [0.30, 0.32, 0.29, 0.31].map { $0 * scale }
        let worse = reference.map { $0 * 3 }
        let mixed = [0.5 * scale, -0.5 * scale, 0.4 * scale, -0.3 * scale]
        let baselines = temporaryDirectory()
        let old = try Self.results(testError: reference)
        try ReferenceBaselines.make(from: old, suite: "Synthetic", metrics: SyntheticSuite().metrics).write(to: baselines)
        let loaded = try #require(try ReferenceBaselines.load(
            suite: "Synthetic", tier: .smoke, from: baselines, metrics: SyntheticSuite().metrics.map(\.name)))
        #expect(loaded.values(for: "test_error", [:]) == reference)

        for (values, expected) in [(reference, ReferenceVerdict.ok), (worse, .regressed), (mixed, .ok)] {
            let comparison = try Comparison(results: try Self.results(testError: values), suites: [SyntheticSuite()], baselines: baselines)
            let row = try #require(comparison.rows.first { $0.metric.name == "test_error" })
            #expect(row.referenceVerdict == expected, "\(values): \(row.referenceReason)")
            #expect(row.standardDeviation.isFinite)
            #expect(!comparison.text().isEmpty)
            let objects = try JSONSerialization.jsonObject(with: Data(comparison.json().utf8)) as? [[String: Any]]
            #expect(objects?.count == comparison.rows.count)
        }
    }

    /// A hand-built smoke run of the synthetic suite: one configuration, a seed per value.
    static func results(testError values: [Double]) throws -> ResultSet {
        let provenance = Provenance(
            gitCommit: "0123456789abcdef", gitDirty: false, swiftVersion: "6.3", buildConfiguration: "release",
            blasConfiguration: "OpenBLAS test", blasThreads: 1, cpuModel: "Test CPU", hostName: "test", logicalCores: 4)
        let records = values.enumerated().map { seed, value in
            var record = RunRecord()
            record.scalars["test_error"] = value
            record.scalars["epoch_seconds"] = 1 + 0.01 * Double(seed)
            record.scalars["param_count"] = 100
            return JobRecord(
                job: Job(suite: "Synthetic", configuration: [:], seed: seed), tier: .smoke, status: .completed, message: "",
                record: record, settings: [:], provenance: provenance, startTime: "", endTime: "", wallSeconds: 1)
        }
        return ResultSet(name: "hostile", tier: .smoke, provenance: provenance, created: "", records: records)
    }

    // MARK: Reference and paper files validated on load (issue 27, item 12)

    /// The committed ci reference of TNNRegression (a real file, with samples).
    static let realReference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Baselines/reference/ci/TNNRegression.json").path

    /// One corruption of a reference file's JSON, and what the error must say.
    struct Corruption: CustomStringConvertible, Sendable {
        var name: String
        var expected: String
        var apply: @Sendable (inout [String: Any]) -> Void
        var description: String { name }
    }

    static func entries(_ root: [String: Any]) -> [[String: Any]] { root["entries"] as! [[String: Any]] }

    static let corruptions: [Corruption] = [
        Corruption(name: "unknown version", expected: "schema_version: 99 is not supported; supported versions: 1, 2") { $0["schema_version"] = 99 },
        Corruption(name: "no version", expected: "schema_version: missing; supported versions: 1, 2") { $0["schema_version"] = nil },
        Corruption(name: "version as text", expected: "schema_version: not an integer") { $0["schema_version"] = "2" },
        Corruption(name: "wrong tier", expected: "tier: is 'smoke' but the file lies in reference/ci/") { $0["tier"] = "smoke" },
        Corruption(name: "unknown tier", expected: "tier") { $0["tier"] = "nightly" },
        Corruption(name: "other suite", expected: "suite: is 'TNNClassification' but the file belongs to 'TNNRegression'") {
            $0["suite"] = "TNNClassification"
        },
        Corruption(name: "unknown metric", expected: "'mse_typo' is not a metric of TNNRegression; known metrics: ") { root in
            var entries = Self.entries(root)
            let index = entries.firstIndex { $0["metric"] as? String == "mse" }!
            entries[index]["metric"] = "mse_typo"
            root["entries"] = entries
        },
        Corruption(name: "empty values", expected: "values: empty") { root in
            var entries = Self.entries(root)
            entries[0]["values"] = [Double]()
            entries[0]["seeds"] = [Int]()
            root["entries"] = entries
        },
        Corruption(name: "a seed short", expected: "seed(s) for") { root in
            var entries = Self.entries(root)
            entries[0]["seeds"] = Array((entries[0]["seeds"] as! [Int]).dropLast())
            root["entries"] = entries
        },
        Corruption(name: "a seed twice", expected: "appears twice") { root in
            var entries = Self.entries(root)
            let seeds = entries[0]["seeds"] as! [Int]
            entries[0]["seeds"] = [seeds[0]] + Array(repeating: seeds[0], count: seeds.count - 1)
            root["entries"] = entries
        },
        Corruption(name: "samples of another count", expected: "samples: ") { root in
            var entries = Self.entries(root)
            let index = entries.firstIndex { $0["samples"] != nil }!
            entries[index]["samples"] = Array((entries[index]["samples"] as! [[Double]]).dropLast())
            root["entries"] = entries
        },
        Corruption(name: "duplicate entry", expected: "duplicates entries[0]") { root in
            let entries = Self.entries(root)
            root["entries"] = entries + [entries[0]]
        },
        Corruption(name: "no entries", expected: "entries: missing") { $0["entries"] = nil },
        Corruption(name: "values null", expected: "values") { root in
            var entries = Self.entries(root)
            entries[0]["values"] = NSNull()
            root["entries"] = entries
        },
        Corruption(name: "a value as text", expected: "values") { root in
            var entries = Self.entries(root)
            entries[0]["values"] = ["0.5"]
            root["entries"] = entries
        },
        Corruption(name: "configuration not an object", expected: "configuration") { root in
            var entries = Self.entries(root)
            entries[0]["configuration"] = "D=4"
            root["entries"] = entries
        },
    ]

    /// Writes `text` as `reference/ci/TNNRegression.json` of a new baselines directory and loads it
    /// with the metric names the real file uses.
    static func load(_ text: Data) throws -> (file: String, result: Result<ReferenceBaselines?, any Error>) {
        let baselines = temporaryDirectory("hostile-reference")
        let file = ReferenceBaselines.path(suite: "TNNRegression", tier: .ci, in: baselines)
        try FileManager.default.createDirectory(atPath: baselines + "/reference/ci", withIntermediateDirectories: true)
        try text.write(to: URL(fileURLWithPath: file))
        let metrics = try Self.realMetrics()
        return (file, Result { try ReferenceBaselines.load(suite: "TNNRegression", tier: .ci, from: baselines, metrics: metrics) })
    }

    static func realMetrics() throws -> [String] {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: realReference))) as! [String: Any]
        return Array(Set(entries(root).map { $0["metric"] as! String })).sorted()
    }

    static func expectMalformed(
        _ outcome: (file: String, result: Result<ReferenceBaselines?, any Error>), mentioning fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch outcome.result {
        case .success:
            Issue.record("accepted silently; expected an error mentioning '\(fragment)'", sourceLocation: sourceLocation)
        case .failure(let error):
            guard let error = error as? HarnessError else {
                Issue.record("not a HarnessError: \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.kind == .malformedBaseline, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(outcome.file + ": "), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "'\(fragment)' not in: \(error.message)", sourceLocation: sourceLocation)
            #expect(!error.message.contains("\n"), "not one line: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    /// The committed file loads, and its machine is the fingerprint it stores; the same file
    /// without one (as written before the fingerprint existed) is matched on CPU model and BLAS
    /// configuration.
    @Test func theRealReferenceLoads() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.realReference))
        let reference = try #require(try Self.load(data).result.get())
        #expect(!reference.entries.isEmpty)
        let stored = try #require(reference.machine, "the committed reference has no machine fingerprint")
        #expect(reference.recordedMachine == stored)
        var root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root.removeValue(forKey: "machine") != nil)
        let legacy = try #require(try Self.load(JSONSerialization.data(withJSONObject: root)).result.get())
        #expect(legacy.machine == nil)
        #expect(legacy.recordedMachine == MachineFingerprint(
            cpuModel: legacy.cpuModel, logicalCores: nil, blasConfiguration: legacy.blasConfiguration))
    }

    @Test(arguments: corruptions)
    func everyCorruptionOfARealReferenceIsAClearError(corruption: Corruption) throws {
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.realReference))) as! [String: Any]
        corruption.apply(&root)
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        Self.expectMalformed(try Self.load(data), mentioning: corruption.expected)
    }

    /// Bytes a disk or an editor can leave: the file cut anywhere, a number beyond a Double,
    /// another JSON value, nothing at all.
    @Test func truncatedAndGarbledFilesAreClearErrors() throws {
        let text = try Data(contentsOf: URL(fileURLWithPath: Self.realReference))
        let bodyEnd = text.lastIndex(of: UInt8(ascii: "}"))!
        for cut in stride(from: 0, to: bodyEnd, by: max(1, bodyEnd / 40)) {
            Self.expectMalformed(try Self.load(text.prefix(cut)), mentioning: ": ")
        }
        let string = String(decoding: text, as: UTF8.self)
        let huge = string.replacingOccurrences(of: #""values" : ["#, with: #""values" : [1e999, "#, options: [], range: nil)
        #expect(huge != string)
        Self.expectMalformed(try Self.load(Data(huge.utf8)), mentioning: "not valid JSON")
        Self.expectMalformed(try Self.load(Data("[]".utf8)), mentioning: "(file): not a JSON object")
        Self.expectMalformed(try Self.load(Data("\u{0}\u{1}".utf8)), mentioning: "(file)")
    }

    /// An unknown metric in a reference would silently turn its check off: `compare` refuses it.
    @Test func compareRefusesAReferenceWithAnUnknownMetric() throws {
        let baselines = temporaryDirectory()
        var reference = ReferenceBaselines.make(from: try Self.results(testError: [0.3, 0.31, 0.29]), suite: "Synthetic")
        let index = try #require(reference.entries.firstIndex { $0.metric == "test_error" })
        reference.entries[index].metric = "test_eror"
        try reference.write(to: baselines)  // writing checks only what the file itself can tell
        let error = try #require(throws: HarnessError.self) {
            _ = try Comparison(results: try Self.results(testError: [0.3, 0.31]), suites: [SyntheticSuite()], baselines: baselines)
        }
        #expect(error.kind == .malformedBaseline)
        #expect(error.message.contains("'test_eror' is not a metric of Synthetic; known metrics: test_error, epoch_seconds, param_count"))
    }

    /// `baseline update` never writes a file a later `compare` would reject.
    @Test func anInvalidReferenceIsNotWritten() throws {
        let baselines = temporaryDirectory()
        var reference = ReferenceBaselines.make(from: try Self.results(testError: [0.3, 0.31]), suite: "Synthetic")
        reference.entries[0].values = []
        reference.entries[0].seeds = []
        let error = try #require(throws: HarnessError.self) { try reference.write(to: baselines) }
        #expect(error.kind == .malformedBaseline && error.message.contains("values: empty"))
        #expect(!FileManager.default.fileExists(atPath: ReferenceBaselines.path(suite: "Synthetic", tier: .smoke, in: baselines)))
    }

    @Test(arguments: [
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_error", "configuration": {"m": 10}, "value": 0.1, "confidence": "table", "source": "s"}, {"metric": "test_error", "configuration": {"m": 10}, "value": 0.2, "confidence": "table", "source": "t"}]}"#,
         "points[1]: duplicates points[0] (metric 'test_error', configuration m=10); the second would never be used"),
        (#"{"schema_version": 99, "suite": "Synthetic", "paper_id": "x", "points": []}"#,
         "schema_version: unknown field; valid fields: paper_id, points, suite"),
        (#"{"suite": "Synthetic", "paper_id": "", "points": []}"#, "paper_id: empty; give the result's id in papers/paper-baselines.json"),
        (#"{"suite": "Synthetic", "paper_id": "x", "points": [{"metric": "test_eror", "configuration": {}, "value": 0.1, "confidence": "table", "source": "s"}]}"#,
         "points[0].metric: 'test_eror' is not a metric of Synthetic; valid metrics: test_error, epoch_seconds, param_count"),
    ])
    func malformedPaperFiles(json: String, expected: String) throws {
        let root = temporaryDirectory()
        try json.write(toFile: root + "/Synthetic.json", atomically: true, encoding: .utf8)
        let error = try #require(throws: HarnessError.self) {
            _ = try PaperBaselines.load(suite: "Synthetic", from: root, metrics: SyntheticSuite().metrics.map(\.name))
        }
        #expect(error.kind == .malformedBaseline)
        #expect(error.message == "\(root)/Synthetic.json: \(expected)")
    }
}
