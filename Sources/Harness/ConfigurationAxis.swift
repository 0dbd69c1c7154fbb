/// A configuration key whose values are a closed set of names, declared as an enum: the key is
/// said once (``key``) and every value is a case, so that grids, filters, figures and the
/// job's own reading of its configuration use the enum, and a misspelled value is a compile
/// error rather than a figure that silently matches nothing.
///
/// ```swift
/// enum Embedding: String, ConfigurationAxis { case trigonometric, polynomial
///     static let key = "embedding" }
///
/// Configuration.grid([Configuration.axis(Embedding.allCases), ("D", [10, 20])])  // the grid
/// Configuration(Embedding.polynomial, Gauge.canonical)             // a filter
/// try context.parameters.choice(Embedding.self)                    // the job's value
/// configuration[Embedding.self]                                    // a record's value
/// ```
public protocol ConfigurationAxis: RawRepresentable, CaseIterable, Sendable where RawValue == String {
    /// The configuration key the values are stored under: `"embedding"`.
    static var key: String { get }
}

extension ConfigurationValue {
    /// The stored form of an axis value: its raw value as a string.
    public init<Axis: ConfigurationAxis>(_ value: Axis) { self = .string(value.rawValue) }
}

extension Configuration {
    /// The configuration holding exactly these axis values (a filter, a figure's configuration).
    /// - Precondition: no two values of the same axis.
    public init(_ values: any ConfigurationAxis...) {
        var entries: [String: ConfigurationValue] = [:]
        for value in values {
            let key = type(of: value).key
            precondition(entries[key] == nil, "Configuration: axis '\(key)' given twice")
            entries[key] = .string(value.rawValue)
        }
        self.init(entries)
    }

    /// This configuration with `value` set on its axis.
    public func with<Axis: ConfigurationAxis>(_ value: Axis) -> Configuration {
        var copy = self
        copy[Axis.key] = ConfigurationValue(value)
        return copy
    }

    /// This configuration with `key` set to `value`.
    public func with(_ key: String, _ value: ConfigurationValue) -> Configuration {
        var copy = self
        copy[key] = value
        return copy
    }

    /// The value of `axis` here, or `nil` when it is absent or not one of the axis' cases.
    public subscript<Axis: ConfigurationAxis>(_ axis: Axis.Type) -> Axis? {
        values[Axis.key].flatMap { Axis(rawValue: $0.description) }
    }
}

extension Configuration {
    /// A grid axis of enum values, for ``grid(_:)``:
    /// `Configuration.grid([Configuration.axis(Gauge.allCases), ("D", [4, 8])])`.
    public static func axis<Axis: ConfigurationAxis>(_ values: [Axis]) -> (String, [ConfigurationValue]) {
        (Axis.key, values.map(ConfigurationValue.init))
    }
}

extension NamedValues {
    /// The job's value of `axis`, read under its key (throws ``SuiteInputError`` when it is
    /// missing or not one of the cases).
    public func choice<Axis: ConfigurationAxis>(_ axis: Axis.Type) throws(SuiteInputError) -> Axis {
        try choice(Axis.key, as: axis)
    }
}

/// A ``ConfigurationAxis`` that no tier's grid holds: an alternative to what the suite does by
/// default (the authors' code where it departs from the paper's text, say), asked for with
/// `--config key=value` and otherwise absent.
///
/// Its ``defaultValue`` is what every grid configuration already does, so a job of the default
/// has no such key: the configuration names, references and random streams of today's grid stay
/// as they are. A job with another value gets the key, and — because the harness leaves optional
/// axes out of a job's random key (``RunContext/randomKey``) — the same data and starting draws as
/// the default job of its seed: a paired comparison. A suite lists its optional axes in
/// ``Suite/optionalAxes`` and reads one with `try context.parameters.choice(Pooling.self)`, which
/// gives the default when the key is absent.
///
/// ```swift
/// enum Pooling: String, OptionalConfigurationAxis {
///     case average, tnmlUInt8 = "tnml_uint8"
///     static let key = "pooling"
///     static let defaultValue = Pooling.average
///     static let summary = "how 2×2 pixel blocks are pooled: the paper's average, or the authors' code's 8-bit wrapping sum"
/// }
/// ```
public protocol OptionalConfigurationAxis: ConfigurationAxis {
    /// The value every grid configuration means.
    static var defaultValue: Self { get }
    /// One line: what the axis changes.
    static var summary: String { get }
}

/// An optional axis as the planner and `tnbench list` see it: its key, default, values and summary.
public struct OptionalAxis: Sendable, Equatable {
    public var key: String
    public var defaultValue: String
    /// Every allowed value, the default first.
    public var values: [String]
    public var summary: String

    public init<Axis: OptionalConfigurationAxis>(_ axis: Axis.Type) {
        key = Axis.key
        defaultValue = Axis.defaultValue.rawValue
        values = [defaultValue] + Axis.allCases.map(\.rawValue).filter { $0 != Axis.defaultValue.rawValue }
        summary = Axis.summary
    }

    /// One line for `tnbench list`: `pooling = average (default) | tnml_uint8: how …`.
    public var description: String {
        "\(key) = \(defaultValue) (default) | \(values.dropFirst().joined(separator: " | ")): \(summary)"
    }
}

extension NamedValues {
    /// The job's value of an optional axis: the default when the key is absent (a grid
    /// configuration), else one of the cases (throws ``SuiteInputError`` otherwise).
    public func choice<Axis: OptionalConfigurationAxis>(_ axis: Axis.Type) throws(SuiteInputError) -> Axis {
        guard keys.contains(Axis.key) else { return Axis.defaultValue }
        return try choice(Axis.key, as: axis)
    }
}
