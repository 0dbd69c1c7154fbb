import Foundation

/// How a paper's number was obtained.
public enum BaselineConfidence: String, Codable, Sendable, CaseIterable {
    /// An exact number from a table or the running text.
    case table
    /// Read off a figure: approximate.
    case figureApprox = "figure-approx"
    /// A qualitative or "about" statement, or a secondary source: judged with a wider margin.
    case claim
}

/// One number the paper reports for the configurations matching ``configuration``.
public struct PaperPoint: Codable, Sendable, Equatable {
    public var metric: String
    /// The configuration subset the point applies to (every configuration that matches it).
    public var configuration: Configuration
    public var value: Double
    /// The paper's σ over its runs, when it reports one.
    public var sigma: Double?
    /// The paper's number of runs, when it reports it.
    public var n: Int?
    public var confidence: BaselineConfidence
    /// The equivalence margin (absolute, in the metric's unit); required for `claim` points,
    /// defaulting to the metric's practical margin otherwise.
    public var margin: Double?
    /// Where the number comes from: "Table 1", "Fig. 3 (read off)", "abstract".
    public var source: String
    public var note: String?
    /// The tiers whose runs follow the protocol behind the number, so the point judges them
    /// (default: the paper tier). At other tiers the point is shown beside our number as
    /// *not comparable at this tier*.
    public var tiers: [Tier]

    public init(
        metric: String, configuration: Configuration, value: Double, sigma: Double? = nil, n: Int? = nil,
        confidence: BaselineConfidence, margin: Double? = nil, source: String, note: String? = nil,
        tiers: [Tier] = [.paper]
    ) {
        self.tiers = tiers
        self.metric = metric
        self.configuration = configuration
        self.value = value
        self.sigma = sigma
        self.n = n
        self.confidence = confidence
        self.margin = margin
        self.source = source
        self.note = note
    }
}

/// `Baselines/<suite>.json`: the paper's points for one suite (format in docs/RESULTS-SCHEMA.md).
public struct PaperBaselines: Codable, Sendable, Equatable {
    public var suite: String
    /// The result's id in the paper catalogue, `Baselines/papers/paper-baselines.json`.
    public var paperID: String
    public var points: [PaperPoint]

    enum CodingKeys: String, CodingKey {
        case suite
        case paperID = "paper_id"
        case points
    }

    public init(suite: String, paperID: String, points: [PaperPoint]) {
        self.suite = suite
        self.paperID = paperID
        self.points = points
    }

    /// The path of a suite's file under a baselines directory.
    public static func path(suite: String, in baselines: String) -> String { "\(baselines)/\(suite).json" }

    /// Loads and validates `<baselines>/<suite>.json`; nil when the file does not exist.
    ///
    /// - Parameter metrics: the suite's metric names; a point naming another metric is an error.
    /// - Throws: ``HarnessError`` `.malformedBaseline` naming the file and the field.
    public static func load(suite: String, from baselines: String, metrics: [String]? = nil) throws -> PaperBaselines? {
        let file = path(suite: suite, in: baselines)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try parse(data, file: file, suite: suite, metrics: metrics)
    }

    /// Parses and validates a baseline file's contents, with errors naming `file` and the field.
    public static func parse(_ data: Data, file: String, suite: String, metrics: [String]? = nil) throws -> PaperBaselines {
        func fail(_ field: String, _ problem: String) -> HarnessError {
            HarnessError(.malformedBaseline, "\(file): \(field): \(problem)")
        }
        let root: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: data) else {
                throw fail("(root)", "must be an object with suite, paper_id, points")
            }
            root = object
        } catch let error as HarnessError { throw error } catch {
            throw fail("(file)", "not valid JSON")
        }
        let rootFields: Set = ["suite", "paper_id", "points"]
        if let extra = root.keys.sorted().first(where: { !rootFields.contains($0) }) {
            throw fail(extra, "unknown field; valid fields: \(rootFields.sorted().joined(separator: ", "))")
        }
        guard let name = root["suite"]?.string else { throw fail("suite", "missing or not a string") }
        guard name == suite else { throw fail("suite", "is '\(name)' but the file belongs to suite '\(suite)'") }
        guard let paperID = root["paper_id"]?.string else { throw fail("paper_id", "missing or not a string") }
        guard !paperID.isEmpty else { throw fail("paper_id", "empty; give the result's id in papers/paper-baselines.json") }
        guard case .array(let rawPoints)? = root["points"] else { throw fail("points", "missing or not an array") }
        var points: [PaperPoint] = []
        for (index, raw) in rawPoints.enumerated() {
            let at = "points[\(index)]"
            guard case .object(let p) = raw else { throw fail(at, "must be an object") }
            let known: Set = ["metric", "configuration", "value", "sigma", "n", "confidence", "margin", "source", "note", "tiers"]
            if let extra = p.keys.sorted().first(where: { !known.contains($0) }) {
                throw fail("\(at).\(extra)", "unknown field; valid fields: \(known.sorted().joined(separator: ", "))")
            }
            guard let metric = p["metric"]?.string else { throw fail("\(at).metric", "missing or not a string") }
            if let metrics, !metrics.contains(metric) {
                throw fail("\(at).metric", "'\(metric)' is not a metric of \(suite); valid metrics: \(metrics.joined(separator: ", "))")
            }
            guard case .object(let rawConfiguration)? = p["configuration"] else {
                throw fail("\(at).configuration", "missing or not an object of key → value")
            }
            var configuration: [String: ConfigurationValue] = [:]
            for (key, value) in rawConfiguration {
                guard let parsed = value.configurationValue else {
                    throw fail("\(at).configuration.\(key)", "must be a number or a string")
                }
                configuration[key] = parsed
            }
            guard let value = p["value"]?.number, value.isFinite else { throw fail("\(at).value", "missing or not a finite number") }
            let sigma = p["sigma"]?.number
            if !(p["sigma"]?.isNull ?? true) && (sigma == nil || sigma! < 0) {
                throw fail("\(at).sigma", "must be null or a number ≥ 0")
            }
            var n: Int?
            if let raw = p["n"], !raw.isNull {
                guard let count = raw.number, count >= 1, count == count.rounded() else { throw fail("\(at).n", "must be null or an integer ≥ 1") }
                n = Int(count)
            }
            guard let confidenceName = p["confidence"]?.string else { throw fail("\(at).confidence", "missing or not a string") }
            guard let confidence = BaselineConfidence(rawValue: confidenceName) else {
                throw fail("\(at).confidence", "'\(confidenceName)' is not one of \(BaselineConfidence.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let margin = p["margin"]?.number
            if !(p["margin"]?.isNull ?? true) && (margin == nil || margin! < 0) {
                throw fail("\(at).margin", "must be null or a number ≥ 0")
            }
            if confidence == .claim && margin == nil { throw fail("\(at).margin", "required for a 'claim' point") }
            guard let source = p["source"]?.string, !source.isEmpty else { throw fail("\(at).source", "missing or empty") }
            var tiers: [Tier] = [.paper]
            if let raw = p["tiers"], !raw.isNull {
                let valid = Tier.allCases.map(\.rawValue).joined(separator: ", ")
                guard case .array(let names) = raw, !names.isEmpty else {
                    throw fail("\(at).tiers", "must be a non-empty array of tier names (\(valid))")
                }
                tiers = try names.map { name in
                    guard let tier = name.string.flatMap(Tier.init(rawValue:)) else {
                        throw fail("\(at).tiers", "'\(name.string ?? "(not a string)")' is not one of \(valid)")
                    }
                    return tier
                }
            }
            let point = PaperPoint(
                metric: metric, configuration: Configuration(configuration), value: value, sigma: sigma, n: n,
                confidence: confidence, margin: margin, source: source, note: p["note"]?.string, tiers: tiers)
            // A second point for the same metric and configuration would never be used (the first of equals wins).
            if let first = points.firstIndex(where: { $0.metric == metric && $0.configuration == point.configuration }) {
                throw fail(at, "duplicates points[\(first)] (metric '\(metric)', configuration \(point.configuration.name.isEmpty ? "{}" : point.configuration.name)); the second would never be used")
            }
            points.append(point)
        }
        return PaperBaselines(suite: name, paperID: paperID, points: points)
    }

    /// The point judging `metric` of `configuration`: the most specific matching one (most keys),
    /// the first of equals.
    public func point(for metric: String, _ configuration: Configuration) -> PaperPoint? {
        points.filter { $0.metric == metric && configuration.matches($0.configuration) }
            .enumerated().max { ($0.element.configuration.keys.count, -$0.offset) < ($1.element.configuration.keys.count, -$1.offset) }?
            .element
    }
}

/// Any JSON value, for validating hand-written files field by field.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let d = try? container.decode(Double.self) { self = .number(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let d) = self { return d } else { return nil } }
    var isNull: Bool { if case .null = self { return true } else { return false } }

    /// A number (integral numbers become `.int`) or a string.
    var configurationValue: ConfigurationValue? {
        switch self {
        case .string(let s): return .string(s)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : .double(d)
        default: return nil
        }
    }
}
