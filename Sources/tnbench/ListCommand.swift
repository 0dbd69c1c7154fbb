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

    @Flag(help: "Print machine-readable JSON.") var json = false

    func run() throws {
        if json {
            print(String(decoding: try JSONEncoder.prettySorted.encode(registeredSuites.map(SuiteListing.init)), as: UTF8.self))
            return
        }
        for suite in registeredSuites {
            print("\(suite.name) — \(suite.summary)")
            print("  paper: \(suite.paper.authors) (\(suite.paper.year)), \(suite.paper.title)\(suite.paper.arxiv.map { ", arXiv:\($0)" } ?? "")")
            for tier in Tier.allCases {
                let plan = suite.plan(for: tier)
                let keys = Set(plan.configurations.flatMap(\.keys)).sorted()
                print("  \(tier.rawValue): \(plan.configurations.count) configuration(s) × \(plan.seeds) seed(s) [keys: \(keys.joined(separator: ", "))] — \(plan.summary)")
            }
            print("  metrics: " + suite.metrics.map {
                "\($0.name) (\($0.kind.rawValue), \($0.polarity == .smallerIsBetter ? "↓" : "↑") \($0.unit)\($0.samples.map { ", samples: curve \($0)" } ?? ""))"
            }.joined(separator: ", "))
            print("  figures: " + suite.figures.map(\.id).joined(separator: ", "))
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
    }
}

extension JSONEncoder {
    static var prettySorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
