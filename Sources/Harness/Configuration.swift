/// One value of a configuration key.
public enum ConfigurationValue: Hashable, Sendable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral
{
    case int(Int)
    case double(Double)
    case string(String)

    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    /// Parses a command-line value: an integer, else a floating-point number, else a string.
    public init(parsing text: String) {
        if let i = Int(text) { self = .int(i) } else if let d = Double(text) { self = .double(d) } else { self = .string(text) }
    }

    /// Parses a command-line value as ``init(parsing:)`` does, refusing a number that is not
    /// finite (`nan`, `inf`): JSON cannot hold it, and no setting or configuration means it.
    ///
    /// - Throws: ``HarnessError`` `.invalidArgument` naming the flag and the key.
    public init(checking text: String, flag: String, key: String) throws {
        self.init(parsing: text)
        if case .double(let d) = self, !d.isFinite {
            throw HarnessError(.invalidArgument, "\(flag) \(key)=\(text): not a finite number")
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        }
    }

    /// The value as a number, when it is one (integers widen).
    public var numericValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string: return nil
        }
    }

    public static func < (lhs: ConfigurationValue, rhs: ConfigurationValue) -> Bool {
        switch (lhs.numericValue, rhs.numericValue) {
        case let (a?, b?): return a < b
        case (.some, nil): return true
        case (nil, .some): return false
        default: return lhs.description < rhs.description
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let i = try? container.decode(Int.self) { self = .int(i) } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else { self = .string(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        }
    }
}

/// One point of a suite's grid: named values such as `["m": 20]` or `["init": "copy_node", "D": 6]`.
///
/// Its ``name`` (keys sorted, `key=value` joined by commas: `"D=6,init=copy_node"`) is stable and
/// is used for HDF5 group names, random keys and file names.
public struct Configuration: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByDictionaryLiteral {
    public private(set) var values: [String: ConfigurationValue]

    public init(_ values: [String: ConfigurationValue]) { self.values = values }
    public init(dictionaryLiteral elements: (String, ConfigurationValue)...) {
        self.values = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    /// The keys in sorted order.
    public var keys: [String] { values.keys.sorted() }

    public var name: String { keys.map { "\($0)=\(values[$0]!)" }.joined(separator: ",") }
    public var description: String { name }

    /// The values alone, in key order, joined by ", ": `"lenet5"` for `["network": "lenet5"]`,
    /// `"4, mpo_fc2"` for `["D": 4, "network": "mpo_fc2"]`; `"default"` when empty. For figure
    /// legends and category labels, where the keys are known from the context.
    public var shortName: String { values.isEmpty ? "default" : keys.map { values[$0]!.description }.joined(separator: ", ") }

    /// The reading order of configurations: key by key (keys sorted), numbers by value and before
    /// strings, so `D=2` comes before `D=10`; a missing key comes first. Ties fall back to ``name``.
    public static func inReadingOrder(_ a: Configuration, _ b: Configuration) -> Bool {
        for key in Set(a.values.keys).union(b.values.keys).sorted() {
            switch (a.values[key], b.values[key]) {
            case let (x?, y?) where x != y && !(x.numericValue != nil && x.numericValue == y.numericValue): return x < y
            case (nil, .some): return true
            case (.some, nil): return false
            default: continue
            }
        }
        return a.name < b.name
    }

    public subscript(key: String) -> ConfigurationValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// Whether every entry of `subset` is present here with the same value (a numeric value
    /// matches across int/double).
    public func matches(_ subset: Configuration) -> Bool {
        subset.values.allSatisfy { key, value in
            guard let mine = values[key] else { return false }
            if let a = mine.numericValue, let b = value.numericValue { return a == b }
            return mine == value
        }
    }

    /// Whether both have the same keys with the same values (a numeric value matches across
    /// int/double, so `["D": 4]` equals `["D": 4.0]`).
    public func matchesExactly(_ other: Configuration) -> Bool {
        values.count == other.values.count && matches(other)
    }

    /// The integer value of `key`, or `nil` when it is absent or not integral. A suite reads its
    /// inputs through ``RunContext/parameters``, which throws a ``SuiteInputError`` instead.
    public func int(_ key: String) -> Int? {
        switch values[key] {
        case .int(let i)?: return i
        case .double(let d)? where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }

    /// The numeric value of `key`, or `nil` when it is absent or not a number.
    public func double(_ key: String) -> Double? { values[key]?.numericValue }

    /// The value of `key` as text, or `nil` when it is absent.
    public func string(_ key: String) -> String? { values[key]?.description }

    /// The Cartesian product of the given axes, as configurations.
    public static func grid(_ axes: [(String, [ConfigurationValue])]) -> [Configuration] {
        axes.reduce([Configuration([:])]) { partial, axis in
            partial.flatMap { base in
                axis.1.map { value in
                    var next = base
                    next.values[axis.0] = value
                    return next
                }
            }
        }
    }

    public init(from decoder: Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ConfigurationValue].self)
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
