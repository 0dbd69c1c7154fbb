/// What a trainer needs to go on exactly where it stopped — parameters, optimizer moments,
/// random-stream positions, counters — as named arrays of numbers kept bit for bit.
///
/// Trainers write themselves into one (`save(into:)`) between two rounds and read themselves
/// back (`restore(from:)`); the harness stores it as a job's checkpoint and hands it back after a
/// kill, so that the resumed job computes the same numbers as one that was never stopped.
public struct TrainingState: Sendable, Equatable {
    /// One entry's numbers.
    public enum Values: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        case uint64([UInt64])

        public var count: Int {
            switch self {
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .uint64(let v): v.count
            }
        }
    }

    /// A named array: its shape and its numbers (as many as the shape holds).
    public struct Entry: Sendable, Equatable {
        public var shape: [Int]
        public var values: Values

        public init(shape: [Int], values: Values) {
            precondition(shape.reduce(1, *) == values.count, "TrainingState: shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }
    }

    public private(set) var entries: [String: Entry] = [:]

    public init(entries: [String: Entry] = [:]) { self.entries = entries }

    // MARK: Writing

    /// Stores `entry` under `name`, replacing what was there.
    public mutating func set(_ name: String, _ entry: Entry) { entries[name] = entry }

    /// Stores a tensor in its own precision.
    public mutating func set<Scalar: BLASScalar>(_ name: String, tensor: Tensor<Scalar>) {
        if let floats = tensor.scalars as? [Float] {
            set(name, Entry(shape: tensor.shape, values: .float32(floats)))
        } else {
            set(name, Entry(shape: tensor.shape, values: .float64(tensor.scalars.map { Double($0) })))
        }
    }

    /// Stores numbers in double precision.
    public mutating func set(_ name: String, doubles: [Double]) { set(name, Entry(shape: [doubles.count], values: .float64(doubles))) }

    /// Stores integers exactly.
    public mutating func set(_ name: String, integers: [UInt64]) { set(name, Entry(shape: [integers.count], values: .uint64(integers))) }

    /// Stores one count.
    public mutating func set(_ name: String, count: Int) {
        precondition(count >= 0, "TrainingState: \(name) = \(count) is negative")
        set(name, integers: [UInt64(count)])
    }

    /// Stores where a random stream stands (``Philox/seed``, ``Philox/stream`` and its position).
    public mutating func set(_ name: String, generator: Philox) {
        let position = generator.position
        set(name, integers: [generator.seed, generator.stream, position.block, UInt64(position.used)])
    }

    // MARK: Reading

    func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw TrainingStateError("no entry '\(name)'") }
        return entry
    }

    /// A tensor stored by ``set(_:tensor:)`` in `Scalar`'s precision.
    ///
    /// - Throws: ``TrainingStateError`` when it is missing or of another precision.
    public func tensor<Scalar: BLASScalar>(_ name: String, as _: Scalar.Type = Scalar.self) throws -> Tensor<Scalar> {
        let entry = try entry(name)
        switch entry.values {
        case .float32(let floats) where Scalar.self == Float.self:
            return Tensor(shape: entry.shape, scalars: floats as! [Scalar])
        case .float64(let doubles) where Scalar.self == Double.self:
            return Tensor(shape: entry.shape, scalars: doubles as! [Scalar])
        default:
            throw TrainingStateError("entry '\(name)' is not a tensor of \(Scalar.self)")
        }
    }

    /// Numbers stored by ``set(_:doubles:)``.
    public func doubles(_ name: String) throws -> [Double] {
        guard case .float64(let values) = try entry(name).values else { throw TrainingStateError("entry '\(name)' is not double precision") }
        return values
    }

    /// Integers stored by ``set(_:integers:)``.
    public func integers(_ name: String) throws -> [UInt64] {
        guard case .uint64(let values) = try entry(name).values else { throw TrainingStateError("entry '\(name)' is not integers") }
        return values
    }

    /// A count stored by ``set(_:count:)``.
    public func count(_ name: String) throws -> Int {
        let values = try integers(name)
        guard values.count == 1, values[0] <= UInt64(Int.max) else { throw TrainingStateError("entry '\(name)' is not one count") }
        return Int(values[0])
    }

    /// A random stream stored by ``set(_:generator:)``, at the position it was saved in.
    public func generator(_ name: String) throws -> Philox {
        let values = try integers(name)
        guard values.count == 4, values[3] <= 4, values[3] == 4 || values[2] > 0 else {
            throw TrainingStateError("entry '\(name)' is not a random stream")
        }
        return Philox(seed: values[0], stream: values[1], position: (block: values[2], used: Int(values[3])))
    }
}

/// A saved training state that does not fit the trainer reading it: an entry missing, or of
/// another kind or shape (a checkpoint of other code).
public struct TrainingStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "checkpoint: " + description }
}
