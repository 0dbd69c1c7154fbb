import ArgumentParser
import Foundation
import Harness

/// `tnbench list`: the suites, what they reproduce, their metrics and what each tier runs.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the suites, their metrics and what each tier runs.",
        discussion: """
            With --json, prints one JSON array (one object per suite) for scripts.

            \(exitStatusHelp([.ok]))
            """)

    @Argument(help: "Suites to list (default: all).") var suites: [String] = []

    @Flag(help: "Print machine-readable JSON.") var json = false

    @Option(name: .customLong("baselines"), help: "The baselines directory whose references' job times estimate each tier's cost.")
    var baselines = "Baselines"

    /// A tier's cost from the committed reference of that tier, or why there is none.
    func cost(_ suite: any Suite, _ tier: Tier) -> String {
        let plan = suite.plan(for: tier)
        let configurations = plan.configurations.flatMap { Array(repeating: $0, count: plan.seeds) }
        let reference: ReferenceBaselines?
        do { reference = try ReferenceBaselines.load(suite: suite.name, tier: tier, from: baselines) } catch {
            return "cost unknown: \(HarnessError(reachingTool: error).message)"
        }
        guard let estimate = CostEstimate.estimate(configurations: configurations, reference: reference) else {
            return "cost unknown (no committed \(tier.rawValue) reference with job times)"
        }
        return "cost \(estimate.summary), from \(estimate.source)"
    }

    func run() throws {
        let selected = try JobPlanner.select(suites, from: registeredSuites)
        if json {
            print(String(decoding: try JSONEncoder.prettySorted.encode(selected.map(SuiteListing.init)), as: UTF8.self))
            return
        }
        for suite in selected {
            print("\(suite.name) — \(suite.summary)")
            print("  paper: \(suite.paper.authors) (\(suite.paper.year)), \(suite.paper.title)\(suite.paper.arxiv.map { ", arXiv:\($0)" } ?? "")")
            for tier in Tier.allCases {
                let plan = suite.plan(for: tier)
                let keys = Set(plan.configurations.flatMap(\.keys)).sorted()
                print("  \(tier.rawValue): \(plan.configurations.count) configuration(s) × \(plan.seeds) seed(s) [keys: \(keys.joined(separator: ", "))] — \(plan.summary)")
                print("    \(cost(suite, tier))")
            }
            print("  metrics: " + suite.metrics.map {
                "\($0.name) (\($0.kind.rawValue), \($0.polarity == .smallerIsBetter ? "↓" : "↑") \($0.unit)\($0.samples.map { ", samples: curve \($0)" } ?? ""))"
            }.joined(separator: ", "))
            print("  figures: " + suite.figures.map(\.id).joined(separator: ", "))
            if !suite.optionalAxes.isEmpty {
                print("  optional axes (--config key=value, at any tier; absent means the default):")
                for axis in suite.optionalAxes { print("    \(axis.description)") }
            }
            print("  implementations (--implementation):")
            for listing in ImplementationListing.of(suite) {
                if let problem = listing.problem {
                    print("    \(listing.name): invalid manifest: \(problem)")
                    continue
                }
                let scope = [listing.tiers.map { "tiers " + $0.joined(separator: ", ") },
                             listing.configurations.map { "configurations " + $0.map(\.name).joined(separator: " | ") }]
                    .compactMap { $0 }.joined(separator: "; ")
                print("    \(listing.name) (\(listing.library)\(listing.gpu == true ? ", GPU" : "")): \(listing.description)\(scope.isEmpty ? "" : " [\(scope)]")")
            }
            print()
        }
    }
}

/// The `list --json` object of a suite.
struct SuiteListing: Encodable {
    struct TierListing: Encodable {
        var configurations: [Configuration]
        var seeds: Int
        var summary: String
        var settings: [String: ConfigurationValue]
    }
    struct MetricListing: Encodable {
        var name, polarity, kind, unit, description: String
        var practical_margin: Double
        /// The curve of per-step samples of a speed metric; nil when it has none.
        var samples: String?
    }
    var name: String
    var summary: String
    var paper: PaperReference
    var metrics: [MetricListing]
    var tiers: [String: TierListing]
    var figures: [String]
    var implementations: [ImplementationListing]
    var optional_axes: [OptionalAxisListing]

    init(_ suite: any Suite) {
        name = suite.name
        summary = suite.summary
        paper = suite.paper
        metrics = suite.metrics.map {
            MetricListing(name: $0.name, polarity: $0.polarity.rawValue, kind: $0.kind.rawValue, unit: $0.unit,
                          description: $0.description, practical_margin: $0.practicalMargin, samples: $0.samples)
        }
        var tiers: [String: TierListing] = [:]
        for tier in Tier.allCases {
            let plan = suite.plan(for: tier)
            tiers[tier.rawValue] = TierListing(configurations: plan.configurations, seeds: plan.seeds, summary: plan.summary, settings: plan.settings)
        }
        self.tiers = tiers
        figures = suite.figures.map(\.id)
        implementations = ImplementationListing.of(suite)
        optional_axes = suite.optionalAxes.map { OptionalAxisListing(key: $0.key, default: $0.defaultValue, values: $0.values, summary: $0.summary) }
    }
}

/// An optional axis in `list --json`.
struct OptionalAxisListing: Encodable {
    var key: String
    var `default`: String
    var values: [String]
    var summary: String
}

/// One implementation of a suite as `list` shows it: `native`, or an external one from its
/// manifest (or the reason its manifest cannot be read).
struct ImplementationListing: Encodable {
    var name: String
    var library: String
    var description: String
    var requirements: [String]
    var tiers: [String]?
    var configurations: [Configuration]?
    var gpu: Bool?
    /// Why the manifest cannot be used; nil when it can.
    var problem: String?

    static func of(_ suite: any Suite) -> [ImplementationListing] {
        let catalogue = ImplementationCatalogue.default
        return suite.implementationNames(in: catalogue).map { name in
            guard name != ImplementationManifest.native else {
                return ImplementationListing(name: name, library: "TNBench (Swift)", description: "TNBench's own implementation", requirements: [])
            }
            do {
                let manifest = try catalogue.manifest(suite: suite.name, name: name)
                return ImplementationListing(
                    name: name, library: manifest.library, description: manifest.description, requirements: manifest.requirements,
                    tiers: manifest.tiers.count == Tier.allCases.count ? nil : manifest.tiers.map(\.rawValue),
                    configurations: manifest.configurations, gpu: manifest.gpu)
            } catch {
                return ImplementationListing(name: name, library: "", description: "", requirements: [], problem: "\(error)")
            }
        }
    }
}

extension JSONEncoder {
    static var prettySorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
