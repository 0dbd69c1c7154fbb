import TensorCore

/// A suite's input was wrong: a configuration value or tier setting that is missing, of the wrong
/// type, out of range or not one of the valid choices. The job is recorded as *failed* with this
/// one-line message, which names the suite, the key, the bad value and what is valid.
///
/// Numerical trouble is not input: a training run that produces non-finite numbers throws
/// ``Divergence`` instead.
public struct SuiteInputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The suite whose input it is.
    public var suite: String
    /// The offending key, when one key is at fault.
    public var key: String?
    /// What is wrong and what would be right, without the suite's name.
    public var message: String

    public init(suite: String, key: String? = nil, _ message: String) {
        self.suite = suite
        self.key = key
        self.message = message
    }

    public var description: String { "\(suite): \(message)" }
}

/// Typed, checked access to a job's named values: a tier's settings or a configuration's values.
///
/// Every accessor throws ``SuiteInputError`` naming the suite, the key, the value found and what
/// is valid; none traps and none substitutes a default for a missing key (a misspelled key in a
/// suite or on the command line is an error, not a silent default). Keys that are genuinely
/// optional are read with the `optional…` accessors, which return `nil` only when the key is
/// absent and still reject a malformed value.
///
/// ```swift
/// let sweeps = try context.settings.int("sweeps", in: 1...)
/// let m = try context.parameters.int("m", in: 1...)
/// let initializer = try context.parameters.choice("init", as: InitializerName.self)
/// ```
public struct NamedValues: Sendable, Equatable {
    /// What the values are, for messages.
    public enum Role: String, Sendable {
        case setting = "tier setting"
        case configuration = "configuration value"
    }

    public let suite: String
    public let role: Role
    public let values: [String: ConfigurationValue]

    public init(suite: String, role: Role, values: [String: ConfigurationValue]) {
        self.suite = suite
        self.role = role
        self.values = values
    }

    /// The raw value of `key`, if present.
    public subscript(key: String) -> ConfigurationValue? { values[key] }

    /// The keys present, sorted.
    public var keys: [String] { values.keys.sorted() }

    // MARK: Required values

    /// The integer value of `key` (a floating-point value must be integral).
    public func int(_ key: String) throws(SuiteInputError) -> Int {
        try integer(key, present(key))
    }

    /// The integer value of `key`, which must lie in `range`.
    public func int<R: RangeExpression<Int>>(_ key: String, in range: R) throws(SuiteInputError) -> Int {
        try checked(key, int(key), in: range)
    }

    /// The numeric value of `key` (integers widen); non-finite values are rejected.
    public func double(_ key: String) throws(SuiteInputError) -> Double {
        try number(key, present(key))
    }

    /// The numeric value of `key`, which must lie in `range`.
    public func double<R: RangeExpression<Double>>(_ key: String, in range: R) throws(SuiteInputError) -> Double {
        try checked(key, double(key), in: range)
    }

    /// The numeric value of `key`, which must be strictly greater than `lowerBound` (an open
    /// range: a learning rate, a width): "valid: > 0".
    public func double(_ key: String, above lowerBound: Double) throws(SuiteInputError) -> Double {
        let value = try double(key)
        guard value > lowerBound else {
            throw error(key, "\(role.rawValue) '\(key)' = \(value) is out of range; valid: > \(lowerBound)")
        }
        return value
    }

    /// The value of `key` as text (numbers in their canonical spelling).
    public func string(_ key: String) throws(SuiteInputError) -> String {
        try present(key).description
    }

    /// The value of `key` as one of a closed set of names: an enum whose raw values are the
    /// spellings users type.
    public func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, as type: Choice.Type = Choice.self
    ) throws(SuiteInputError) -> Choice where Choice.RawValue == String {
        try choice(key, present(key), as: type)
    }

    /// The value of `key` as a Boolean: `true`/`false`, `yes`/`no`, `1`/`0`.
    public func bool(_ key: String) throws(SuiteInputError) -> Bool {
        try boolean(key, present(key))
    }

    // MARK: Optional values

    /// The integer value of `key`, or `nil` when the key is absent.
    public func optionalInt(_ key: String) throws(SuiteInputError) -> Int? {
        guard let value = values[key] else { return nil }
        return try integer(key, value)
    }

    /// The numeric value of `key`, or `nil` when the key is absent.
    public func optionalDouble(_ key: String) throws(SuiteInputError) -> Double? {
        guard let value = values[key] else { return nil }
        return try number(key, value)
    }

    /// The integer value of `key`, which must lie in `range`, or `nil` when the key is absent:
    /// for a setting with a default (`try settings.optionalInt("workers", in: 1...) ?? cores`),
    /// where a present value still has to be valid. Messages as ``int(_:in:)``.
    public func optionalInt<R: RangeExpression<Int>>(_ key: String, in range: R) throws(SuiteInputError) -> Int? {
        guard let value = try optionalInt(key) else { return nil }
        return try checked(key, value, in: range)
    }

    /// The numeric value of `key`, which must lie in `range`, or `nil` when the key is absent.
    /// Messages as ``double(_:in:)``.
    public func optionalDouble<R: RangeExpression<Double>>(_ key: String, in range: R) throws(SuiteInputError) -> Double? {
        guard let value = try optionalDouble(key) else { return nil }
        return try checked(key, value, in: range)
    }

    /// The value of `key` as a choice, or `nil` when the key is absent.
    public func optionalChoice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, as type: Choice.Type = Choice.self
    ) throws(SuiteInputError) -> Choice? where Choice.RawValue == String {
        guard let value = values[key] else { return nil }
        return try choice(key, value, as: type)
    }

    /// The Boolean value of `key`, or `nil` when the key is absent.
    public func optionalBool(_ key: String) throws(SuiteInputError) -> Bool? {
        guard let value = values[key] else { return nil }
        return try boolean(key, value)
    }

    // MARK: Conversions

    private func present(_ key: String) throws(SuiteInputError) -> ConfigurationValue {
        guard let value = values[key] else {
            let known = keys.isEmpty ? "none" : keys.joined(separator: ", ")
            throw error(key, "\(role.rawValue) '\(key)' is missing (present: \(known))")
        }
        return value
    }

    private func integer(_ key: String, _ value: ConfigurationValue) throws(SuiteInputError) -> Int {
        switch value {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: throw error(key, "\(role.rawValue) '\(key)' = '\(value)' is not an integer")
        }
    }

    private func number(_ key: String, _ value: ConfigurationValue) throws(SuiteInputError) -> Double {
        guard let d = value.numericValue, d.isFinite else {
            throw error(key, "\(role.rawValue) '\(key)' = '\(value)' is not a finite number")
        }
        return d
    }

    private func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ value: ConfigurationValue, as type: Choice.Type
    ) throws(SuiteInputError) -> Choice where Choice.RawValue == String {
        guard let choice = Choice(rawValue: value.description) else {
            let valid = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key, "\(role.rawValue) '\(key)' = '\(value)' is not one of: \(valid)")
        }
        return choice
    }

    private func boolean(_ key: String, _ value: ConfigurationValue) throws(SuiteInputError) -> Bool {
        switch value.description.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw error(key, "\(role.rawValue) '\(key)' = '\(value)' is not a Boolean; use true or false")
        }
    }

    /// `value` when `range` holds it, else the out-of-range error naming `key` and the range.
    private func checked<Value, R: RangeExpression<Value>>(_ key: String, _ value: Value, in range: R) throws(SuiteInputError) -> Value {
        guard range.contains(value) else { throw error(key, "\(role.rawValue) '\(key)' = \(value) is out of range; \(Self.describe(range))") }
        return value
    }

    private func error(_ key: String, _ message: String) -> SuiteInputError {
        SuiteInputError(suite: suite, key: key, message)
    }

    /// The valid values of any standard range, as messages print them: `valid: 1…8`, `valid: ≥ 1`,
    /// `valid: 0..<1`, `valid: ≤ 8`, `valid: < 1`.
    private static func describe<Bound, R: RangeExpression<Bound>>(_ range: R) -> String {
        switch range {
        case let r as ClosedRange<Bound>: return "valid: \(r.lowerBound)…\(r.upperBound)"
        case let r as PartialRangeFrom<Bound>: return "valid: ≥ \(r.lowerBound)"
        case let r as Range<Bound>: return "valid: \(r.lowerBound)..<\(r.upperBound)"
        case let r as PartialRangeThrough<Bound>: return "valid: ≤ \(r.upperBound)"
        case let r as PartialRangeUpTo<Bound>: return "valid: < \(r.upperBound)"
        default: return "valid: \(range)"
        }
    }
}
