/// Named, typed inputs that check what they hand out: the interface through which a library
/// routine reads the settings it owns (a training task reads `epochs`, `batch_size`…) without
/// knowing where they come from. The harness's `NamedValues` conforms, so a missing key or a bad
/// value surfaces as its one-line input error naming the suite and the key.
public protocol CheckedSettings {
    /// The integer value of `key`, at least `range.lowerBound`.
    func int(_ key: String, in range: PartialRangeFrom<Int>) throws -> Int
    /// The numeric value of `key`, at least `range.lowerBound`.
    func double(_ key: String, in range: PartialRangeFrom<Double>) throws -> Double
    /// The numeric value of `key`, within `range`.
    func double(_ key: String, in range: ClosedRange<Double>) throws -> Double
}
