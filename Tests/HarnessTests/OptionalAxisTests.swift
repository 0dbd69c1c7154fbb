import Foundation
import Testing
@testable import Harness
import TensorCore
import _TestSupport

/// An optional axis of a toy suite: absent means `plain`.
enum Flavour: String, OptionalConfigurationAxis {
    case plain, spicy, sour
    static let key = "flavour"
    static let defaultValue = Flavour.plain
    static let summary = "how the toy tastes"
}

/// A suite whose grid is m ∈ {10, 20} and which has the optional axis `flavour`: it records a
/// draw of its "data" stream and the flavour it read.
struct AxisToySuite: Suite {
    var name: String { "AxisToy" }
    var summary: String { "optional axes" }
    var paper: PaperReference { PaperReference(title: "Toy", authors: "Nobody", year: 2026, baselineID: "axis-toy") }
    var metrics: [Metric] { [Metric("draw", .smallerIsBetter, kind: .informational, unit: "", description: "a draw")] }
    var figures: [FigureSpec] { [] }
    var optionalAxes: [OptionalAxis] { [OptionalAxis(Flavour.self)] }

    func plan(for tier: Tier) -> TierPlan {
        TierPlan(configurations: Configuration.grid([("m", [10, 20])]), seeds: 2, summary: "m ∈ {10, 20}", settings: [:])
    }

    func run(_ context: RunContext) throws {
        var rng = context.rng("data")
        context.record("draw", rng.nextUniform())
        let flavour = try context.parameters.choice(Flavour.self)
        context.record("flavour", Double(Flavour.allCases.firstIndex(of: flavour)!))
    }
}

@Suite struct OptionalAxisTests {
    let suite = AxisToySuite()

    func names(_ filter: [String], suites: [any Suite]? = nil) throws -> [String] {
        try JobPlanner.plan(suites: suites ?? [suite], tier: .smoke, seeds: 1, filter: ConfigurationFilter(parsing: filter))
            .map { "\($0.job.suite):\($0.job.configuration.name)" }
    }

    @Test func theAxisIsDescribedWithItsDefaultFirst() {
        let axis = OptionalAxis(Flavour.self)
        #expect(axis.values == ["plain", "spicy", "sour"])
        #expect(axis.description == "flavour = plain (default) | spicy | sour: how the toy tastes")
    }

    @Test func withoutTheKeyThePlanIsTheGridAndTheDefaultAddsNoKey() throws {
        let grid = ["AxisToy:m=10", "AxisToy:m=20"]
        #expect(try names([]) == grid)
        #expect(try names(["flavour=plain"]) == grid, "the default is every grid configuration as it is")
    }

    @Test func otherValuesAreAddedToEveryConfiguration() throws {
        #expect(try names(["flavour=spicy", "flavour=plain"])
            == ["AxisToy:flavour=spicy,m=10", "AxisToy:m=10", "AxisToy:flavour=spicy,m=20", "AxisToy:m=20"])
        #expect(try names(["flavour=sour", "m=20"]) == ["AxisToy:flavour=sour,m=20"])
    }

    @Test func aValueTheAxisDoesNotHaveIsOneLineNamingThoseItHas() throws {
        do {
            _ = try names(["flavour=salty"])
            Issue.record("planned an unknown flavour")
        } catch let error as HarnessError {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message == "AxisToy: --config flavour=salty: 'flavour' is one of plain, spicy, sour (default plain)")
        }
    }

    @Test func aSuiteWithoutTheAxisIsLeftOutAndAloneItIsAnUnknownKey() throws {
        #expect(try names(["flavour=spicy"], suites: [suite, SyntheticSuite()]) == ["AxisToy:flavour=spicy,m=10", "AxisToy:flavour=spicy,m=20"])
        do {
            _ = try names(["flavour=spicy"], suites: [SyntheticSuite()])
            Issue.record("planned a key Synthetic does not have")
        } catch let error as HarnessError {
            #expect(error.kind == .unknownConfigurationKey)
        }
    }

    /// A job with an optional axis reads its value (the default when absent) and draws what the
    /// default job of its seed draws; another grid configuration draws otherwise.
    @Test func anOptionalAxisKeepsTheJobsRandomStreams() throws {
        let jobs = try JobPlanner.plan(
            suites: [suite], tier: .smoke, seeds: 2, filter: ConfigurationFilter(parsing: ["flavour=plain", "flavour=sour"]))
        var draws: [String: Double] = [:]
        var flavours: [String: Double] = [:]
        for planned in jobs {
            guard case .finished(let record) = JobExecution.run(planned, tier: .smoke, dataDirectory: "/nonexistent") else {
                Issue.record("cancelled"); return
            }
            #expect(record.status == .completed, "\(record.message)")
            let key = "\(planned.job.configuration.name) \(planned.job.seed)"
            draws[key] = record.record.scalars["draw"]
            flavours[key] = record.record.scalars["flavour"]
        }
        for seed in 0..<2 {
            for m in [10, 20] {
                #expect(draws["flavour=sour,m=\(m) \(seed)"] == draws["m=\(m) \(seed)"])
                #expect(flavours["m=\(m) \(seed)"] == 0 && flavours["flavour=sour,m=\(m) \(seed)"] == 2)
            }
            #expect(draws["m=10 \(seed)"] != draws["m=20 \(seed)"])
        }
        #expect(draws["m=10 0"] != draws["m=10 1"])
    }

    /// An external implementation runs a job with an optional axis only where its manifest
    /// names that key.
    @Test func anImplementationRunsAnOptionalAxisOnlyWhereItsManifestNamesIt() throws {
        func manifest(_ configurations: String?) throws -> ImplementationManifest {
            let folder = temporaryDirectory() + "/impl"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let listed = configurations.map { #", "configurations": \#($0)"# } ?? ""
            try #"{"contract": 1, "name": "impl", "description": "d", "language": "python", "library": "numpy", "requirements": ["numpy==2.4.6"], "command": ["python", "x.py"], "tiers": ["smoke"]\#(listed)}"#
                .write(toFile: folder + "/implementation.json", atomically: true, encoding: .utf8)
            return try ImplementationManifest(directory: folder)
        }
        let spicy: Configuration = ["m": 10, "flavour": "spicy"]
        let keys: Set<String> = ["flavour"]
        #expect(try manifest(nil).supports(spicy, at: .smoke) && !manifest(nil).supports(spicy, at: .smoke, naming: keys))
        #expect(try !manifest(#"[{"m": 10}]"#).supports(spicy, at: .smoke, naming: keys))
        #expect(try manifest(#"[{"flavour": "spicy"}]"#).supports(spicy, at: .smoke, naming: keys))
        #expect(try !manifest(#"[{"flavour": "sour"}]"#).supports(spicy, at: .smoke, naming: keys))
        #expect(try manifest(#"[{"m": 10}]"#).supports(["m": 10], at: .smoke, naming: []))
    }
}
