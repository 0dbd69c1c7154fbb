import Testing
@testable import Harness

/// The range-checked accessors of ``NamedValues``, required and optional: a present value out of
/// range is one line naming the key, the value and the valid range, whatever the kind of range;
/// an absent optional key is `nil`, never a range error.
@Suite struct NamedValuesTests {
    let values = NamedValues(suite: "S", role: .setting, values: [
        "workers": 4, "zero": 0, "whole": 4.0, "rate": 0.5, "negative": -1.5, "bad": "x",
    ])

    /// The error's one line, or nil when `body` did not throw a ``SuiteInputError``.
    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return (error as? SuiteInputError)?.description
        }
    }

    @Test func optionalIntInRange() throws {
        #expect(try values.optionalInt("workers", in: 1...) == 4)
        #expect(try values.optionalInt("whole", in: 1...8) == 4)
        #expect(try values.optionalInt("workers", in: ..<5) == 4)
        #expect(try values.optionalInt("absent", in: 1...) == nil)
        // An absent key is nil even for a range nothing satisfies: only present values are checked.
        #expect(try values.optionalInt("absent", in: 5..<5) == nil)
    }

    @Test func optionalDoubleInRange() throws {
        #expect(try values.optionalDouble("rate", in: 0...1) == 0.5)
        #expect(try values.optionalDouble("workers", in: 0...) == 4)
        #expect(try values.optionalDouble("absent", in: 0...1) == nil)
    }

    /// The optional accessors' messages are the required ones', word for word.
    @Test func optionalMessagesMatchRequiredOnes() {
        #expect(message { _ = try values.optionalInt("zero", in: 1...) } == "S: tier setting 'zero' = 0 is out of range; valid: ≥ 1")
        #expect(message { _ = try values.optionalInt("zero", in: 1...) } == message { _ = try values.int("zero", in: 1...) })
        #expect(message { _ = try values.optionalDouble("rate", in: 1...2) } == "S: tier setting 'rate' = 0.5 is out of range; valid: 1.0…2.0")
        #expect(message { _ = try values.optionalDouble("rate", in: 1...2) } == message { _ = try values.double("rate", in: 1...2) })
        // A malformed value is still rejected as such, before any range check.
        #expect(message { _ = try values.optionalInt("bad", in: 1...) } == "S: tier setting 'bad' = 'x' is not an integer")
        #expect(message { _ = try values.optionalDouble("bad", in: 0...1) } == "S: tier setting 'bad' = 'x' is not a finite number")
        #expect(message { _ = try values.optionalInt("rate", in: 0...) } == "S: tier setting 'rate' = '0.5' is not an integer")
    }

    /// One kind of range: the optional and the required read of a value outside it, and the message.
    struct RangeCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var optional: @Sendable (NamedValues) throws -> Void
        var required: @Sendable (NamedValues) throws -> Void
        var expected: String
    }

    static let rangeCases: [RangeCase] = [
        RangeCase(testDescription: "Int 1...3", optional: { _ = try $0.optionalInt("workers", in: 1...3) },
                  required: { _ = try $0.int("workers", in: 1...3) }, expected: "'workers' = 4 is out of range; valid: 1…3"),
        RangeCase(testDescription: "Int 5...", optional: { _ = try $0.optionalInt("workers", in: 5...) },
                  required: { _ = try $0.int("workers", in: 5...) }, expected: "'workers' = 4 is out of range; valid: ≥ 5"),
        RangeCase(testDescription: "Int 0..<4", optional: { _ = try $0.optionalInt("workers", in: 0..<4) },
                  required: { _ = try $0.int("workers", in: 0..<4) }, expected: "'workers' = 4 is out of range; valid: 0..<4"),
        RangeCase(testDescription: "Int ...3", optional: { _ = try $0.optionalInt("workers", in: ...3) },
                  required: { _ = try $0.int("workers", in: ...3) }, expected: "'workers' = 4 is out of range; valid: ≤ 3"),
        RangeCase(testDescription: "Int ..<4", optional: { _ = try $0.optionalInt("workers", in: ..<4) },
                  required: { _ = try $0.int("workers", in: ..<4) }, expected: "'workers' = 4 is out of range; valid: < 4"),
        RangeCase(testDescription: "Double 0..<1", optional: { _ = try $0.optionalDouble("negative", in: 0..<1) },
                  required: { _ = try $0.double("negative", in: 0..<1) }, expected: "'negative' = -1.5 is out of range; valid: 0.0..<1.0"),
        RangeCase(testDescription: "Double 0...", optional: { _ = try $0.optionalDouble("negative", in: 0...) },
                  required: { _ = try $0.double("negative", in: 0...) }, expected: "'negative' = -1.5 is out of range; valid: ≥ 0.0"),
        RangeCase(testDescription: "Double ...(-2)", optional: { _ = try $0.optionalDouble("negative", in: ...(-2)) },
                  required: { _ = try $0.double("negative", in: ...(-2)) }, expected: "'negative' = -1.5 is out of range; valid: ≤ -2.0"),
        RangeCase(testDescription: "Double ..<(-2)", optional: { _ = try $0.optionalDouble("negative", in: ..<(-2)) },
                  required: { _ = try $0.double("negative", in: ..<(-2)) }, expected: "'negative' = -1.5 is out of range; valid: < -2.0"),
    ]

    /// Every standard range reads as a range in the message (never as a type's debug text), the
    /// same from the optional and the required accessor.
    @Test(arguments: rangeCases)
    func everyRangeKindIsDescribed(_ range: RangeCase) {
        #expect(message { try range.optional(values) } == "S: tier setting " + range.expected)
        #expect(message { try range.required(values) } == "S: tier setting " + range.expected)
    }

    @Test func openRangeAboveABound() throws {
        #expect(try values.double("rate", above: 0) == 0.5)
        #expect(message { _ = try values.double("zero", above: 0) } == "S: tier setting 'zero' = 0.0 is out of range; valid: > 0.0")
        #expect(message { _ = try values.double("negative", above: 0) } == "S: tier setting 'negative' = -1.5 is out of range; valid: > 0.0")
        #expect(message { _ = try values.double("absent", above: 0) } != nil)
    }
}
