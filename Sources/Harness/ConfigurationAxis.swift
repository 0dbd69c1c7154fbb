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
