import TensorCore

/// Deterministic train/validation splits: the same generator state gives the same split on
/// every machine (``Philox`` and its Fisher–Yates shuffle are fixed algorithms).
public enum Splits {
    /// A uniformly random split of `0..<count`.
    ///
    /// The validation part has `round(count · validationFraction)` indices. Both parts are
    /// returned in ascending order (shuffle per epoch with ``BatchSchedule``).
    /// - Parameters:
    ///   - validationFraction: in [0, 1].
    ///   - rng: advanced by one permutation of `count`.
    public static func trainValidation(count: Int, validationFraction: Double, rng: inout Philox)
        -> (train: [Int], validation: [Int])
    {
        precondition(count >= 0 && (0...1).contains(validationFraction),
                     "trainValidation needs count ≥ 0 and a fraction in [0, 1], got \(count), \(validationFraction)")
        let permutation = rng.permutation(count)
        let validationCount = Int((Double(count) * validationFraction).rounded())
        return (permutation[validationCount...].sorted(), permutation[..<validationCount].sorted())
    }

    /// `size` indices of `0..<count` drawn uniformly without replacement, in ascending order; all
    /// of them (and `rng` untouched) when `size ≥ count`.
    /// - Parameter rng: advanced by one permutation of `count` when a subset is drawn.
    public static func subset(of count: Int, size: Int, rng: inout Philox) -> [Int] {
        precondition(count >= 0 && size >= 0, "subset needs count ≥ 0 and size ≥ 0, got \(count), \(size)")
        guard size < count else { return Array(0..<count) }
        return rng.permutation(count).prefix(size).sorted()
    }

    /// A split that keeps every class's proportion: for each class `c` (in increasing order)
    /// its indices are shuffled and the first `round(n_c · validationFraction)` go to validation.
    /// So each class's share differs between the parts by at most one row per class.
    ///
    /// Both parts are returned in ascending order.
    /// - Parameters:
    ///   - labels: one non-negative class label per row.
    ///   - validationFraction: in [0, 1].
    ///   - rng: advanced by one shuffle per class.
    public static func stratified(labels: [Int], validationFraction: Double, rng: inout Philox)
        -> (train: [Int], validation: [Int])
    {
        precondition((0...1).contains(validationFraction), "stratified needs a fraction in [0, 1], got \(validationFraction)")
        var byClass: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byClass[label, default: []].append(index) }
        var train: [Int] = [], validation: [Int] = []
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            rng.shuffle(&members)
            let validationCount = Int((Double(members.count) * validationFraction).rounded())
            validation += members[..<validationCount]
            train += members[validationCount...]
        }
        return (train.sorted(), validation.sorted())
    }
}

/// Mini-batches of indices with a fresh shuffle per epoch (last partial batch kept).
///
/// The order of epoch `e` is a pure function of the generator's seed and stream and of `e`: it
/// is drawn from `Philox(seed: rng.seed, stream: RandomKey.derive("BatchSchedule", rng.stream, e))`,
/// so epochs can be replayed, skipped or run out of order without touching any other randomness.
///
/// ```swift
/// let schedule = BatchSchedule(count: 1000, batchSize: 64)
/// for epoch in 0..<10 {
///     for batch in schedule.batches(epoch: epoch, rng: rng) { /* 15 of 64, then one of 40 */ }
/// }
/// ```
public struct BatchSchedule: Sendable {
    /// The number of examples, indexed `0..<count`.
    public let count: Int
    /// The size of every batch but possibly the last.
    public let batchSize: Int

    /// - Precondition: `count ≥ 0` and `batchSize ≥ 1`.
    public init(count: Int, batchSize: Int) {
        precondition(count >= 0 && batchSize >= 1, "BatchSchedule needs count ≥ 0 and batchSize ≥ 1, got \(count), \(batchSize)")
        self.count = count
        self.batchSize = batchSize
    }

    /// The number of batches per epoch, `⌈count / batchSize⌉`.
    public var batchesPerEpoch: Int { (count + batchSize - 1) / batchSize }

    /// Epoch `epoch`'s batches: a permutation of `0..<count` cut into consecutive batches.
    public func batches(epoch: Int, rng: Philox) -> [[Int]] {
        var generator = rng.substream(RandomKey.derive("BatchSchedule", rng.stream, epoch))
        let order = generator.permutation(count)
        return stride(from: 0, to: count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, count)]) }
    }
}
