/// A value produced by ``PickleReader``: the small part of Python's pickle data model that the
/// classic `mnist.pkl.gz` uses.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// A byte string (`SHORT_BINSTRING`/`BINSTRING`), as the range of its bytes in the stream.
    case bytes(Range<Int>)
    case tuple([PickleValue])
    /// A `GLOBAL` reference, `module` and `name` (for example `numpy`, `dtype`).
    case global(module: String, name: String)
    /// The result of `REDUCE` (`callable(*arguments)`), with the state a later `BUILD` gave it.
    case object(PickleObject)
}

/// An object built by `REDUCE` and possibly completed by `BUILD` (a reference: `BUILD` mutates
/// the object that memo entries share, as in Python).
public final class PickleObject: @unchecked Sendable {
    public let callable: PickleValue
    public let arguments: [PickleValue]
    public internal(set) var state: PickleValue?
    init(callable: PickleValue, arguments: [PickleValue]) {
        self.callable = callable
        self.arguments = arguments
    }
}

/// Reads a pickle stream (protocol ≤ 2) made of the opcodes PROTO, GLOBAL, MARK, EMPTY_TUPLE,
/// TUPLE, TUPLE1/2/3, BINPUT, LONG_BINPUT, BINGET, LONG_BINGET, BININT, BININT1, BININT2,
/// SHORT_BINSTRING, BINSTRING, NONE, NEWTRUE, NEWFALSE, REDUCE, BUILD and STOP — enough for
/// NumPy arrays (`numpy.core.multiarray._reconstruct` + `BUILD`) and tuples of them. Nothing is
/// executed: `GLOBAL` and `REDUCE` only build ``PickleValue`` descriptions.
///
/// Byte strings are not copied: ``PickleValue/bytes(_:)`` holds a range into ``data``.
public struct PickleReader: Sendable {
    /// The (uncompressed) pickle stream.
    public let data: [UInt8]
    /// The file the stream came from, for error messages.
    public let path: String

    public init(data: [UInt8], path: String) {
        self.data = data
        self.path = path
    }

    /// Runs the stream to its `STOP` and returns the value left on the stack.
    /// - Throws: ``DatasetError/badMagic(_:expected:actual:)`` if the stream does not start
    ///   with PROTO (`0x80`) or another known opcode, ``DatasetError/truncated(_:expected:actual:)``
    ///   if it ends before `STOP`, ``DatasetError/malformed(_:reason:)`` for an unsupported
    ///   opcode or an inconsistent stack.
    public func load() throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var position = 0
        if let first = data.first, first != 0x80, first != UInt8(ascii: "(") , first != UInt8(ascii: "c") {
            throw DatasetError.badMagic(path, expected: 0x80, actual: UInt32(first))
        }

        func need(_ count: Int) throws {
            if position + count > data.count {
                throw DatasetError.truncated(path, expected: position + count, actual: data.count)
            }
        }
        func littleEndian(_ count: Int) throws -> Int {
            try need(count)
            var value = 0
            for i in 0..<count { value |= Int(data[position + i]) << (8 * i) }
            position += count
            return value
        }
        func line() throws -> String {
            guard let end = data[position...].firstIndex(of: 0x0a) else {
                throw DatasetError.truncated(path, expected: data.count + 1, actual: data.count)
            }
            defer { position = end + 1 }
            return String(decoding: data[position..<end], as: UTF8.self)
        }
        func pop() throws -> PickleValue {
            guard let value = stack.popLast() else { throw malformed("stack underflow") }
            return value
        }
        func popToMark() throws -> [PickleValue] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw malformed("no MARK") }
            defer { stack.removeSubrange(mark...) }
            return Array(stack[mark...])
        }
        func malformed(_ reason: String) -> DatasetError {
            .malformed(path, reason: "pickle: \(reason) at byte \(position)")
        }

        while true {
            try need(1)
            let opcode = data[position]
            position += 1
            switch opcode {
            case 0x80: _ = try littleEndian(1)  // PROTO
            case UInt8(ascii: "c"):  // GLOBAL
                let module = try line()
                stack.append(.global(module: module, name: try line()))
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: ")"): stack.append(.tuple([]))  // EMPTY_TUPLE
            case UInt8(ascii: "t"): stack.append(.tuple(try popToMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let n = Int(opcode - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw malformed("TUPLE\(n) on a short stack") }
                stack.append(.tuple(Array(stack.suffix(n))))
                stack.removeSubrange((stack.count - n - 1)..<(stack.count - 1))
            case UInt8(ascii: "q"), UInt8(ascii: "r"):  // BINPUT, LONG_BINPUT
                let key = try littleEndian(opcode == UInt8(ascii: "q") ? 1 : 4)
                guard let top = stack.last else { throw malformed("BINPUT on an empty stack") }
                memo[key] = top
            case UInt8(ascii: "h"), UInt8(ascii: "j"):  // BINGET, LONG_BINGET
                let key = try littleEndian(opcode == UInt8(ascii: "h") ? 1 : 4)
                guard let value = memo[key] else { throw malformed("BINGET \(key) of an empty memo slot") }
                stack.append(value)
            case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try littleEndian(4)))))  // BININT
            case UInt8(ascii: "K"): stack.append(.int(try littleEndian(1)))  // BININT1
            case UInt8(ascii: "M"): stack.append(.int(try littleEndian(2)))  // BININT2
            case UInt8(ascii: "U"), UInt8(ascii: "T"):  // SHORT_BINSTRING, BINSTRING
                let length = try littleEndian(opcode == UInt8(ascii: "U") ? 1 : 4)
                try need(length)
                stack.append(.bytes(position..<(position + length)))
                position += length
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case UInt8(ascii: "R"):  // REDUCE
                guard case .tuple(let arguments) = try pop() else { throw malformed("REDUCE without an argument tuple") }
                stack.append(.object(PickleObject(callable: try pop(), arguments: arguments)))
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop()
                guard case .object(let object) = stack.last else { throw malformed("BUILD on a non-object") }
                object.state = state
            case UInt8(ascii: "."):  // STOP
                return try pop()
            default:
                throw malformed("unsupported opcode 0x\(String(opcode, radix: 16))")
            }
        }
    }

    /// The bytes of a ``PickleValue/bytes(_:)`` value decoded as Latin-1 (pickle protocol 2's
    /// `str`), or `nil` for any other value.
    public func string(_ value: PickleValue) -> String? {
        guard case .bytes(let range) = value else { return nil }
        return String(data[range].map { Character(Unicode.Scalar($0)) })
    }
}
