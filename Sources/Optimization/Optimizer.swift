import TensorCore

/// An optimizer: updates a set of parameter tensors from their gradients, one *step* per call,
/// keeping whatever per-parameter state it needs (momentum buffers, moment estimates) keyed by
/// the parameter's *slot*.
///
/// A slot is a small non-negative integer that names one parameter tensor for the optimizer's
/// whole life: the caller assigns them (for a layer stack, e.g. `2·layer` for a weight and
/// `2·layer + 1` for a bias) and passes the same slot for the same tensor on every step. A step
/// may update any subset of the slots; a slot's state is created (zeros) on its first update and
/// must keep its element count afterwards.
///
/// ```swift
/// var sgd = SGD(learningRate: 0.1, momentum: 0.9)
/// var parameters = [weight, bias]
/// sgd.update(&parameters, gradients: [dW, db])              // slots 0 and 1
/// sgd.update(&parameters, gradients: [dW, db], slots: [4, 5])
/// ```
public protocol Optimizer: Sendable {
    /// The number of steps applied so far (t; the next step is step `t + 1`, schedules see `t`).
    var step: Int { get }

    /// One step: updates `parameters[k]` (slot `slots[k]`) from `gradients[k]`.
    ///
    /// - Precondition: the three arrays have the same count, each gradient has its parameter's
    ///   shape, slots are distinct and non-negative, and a slot keeps its element count.
    mutating func update<Scalar: BLASScalar>(
        _ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>], slots: [Int])

    /// Writes what the next steps depend on — the step count and the per-slot buffers — under
    /// `prefix` (a checkpoint; the settings are the caller's to rebuild).
    func save(into state: inout TrainingState, prefix: String)

    /// Reads back what ``save(into:prefix:)`` wrote, so that the next step is the one the saved
    /// optimizer would have taken.
    ///
    /// - Throws: ``TrainingStateError`` when the state lacks an entry.
    mutating func restore(from state: TrainingState, prefix: String) throws
}

extension Optimizer {
    /// One step over `parameters` in slots `0 ..< parameters.count`.
    public mutating func update<Scalar: BLASScalar>(_ parameters: inout [Tensor<Scalar>], gradients: [Tensor<Scalar>]) {
        update(&parameters, gradients: gradients, slots: Array(parameters.indices))
    }
}

/// Per-slot state buffers in `Double` (indexed by slot; created as zeros on first use).
struct SlotBuffers: Sendable {
    private(set) var buffers: [[Double]] = []

    init() {}

    /// Makes sure slot `slot` exists with `count` elements.
    mutating func prepare(_ slot: Int, count: Int, owner: String) {
        precondition(slot >= 0, "\(owner): slot \(slot) is negative")
        if slot >= buffers.count { buffers += [[Double]](repeating: [], count: slot + 1 - buffers.count) }
        if buffers[slot].isEmpty && count > 0 {
            buffers[slot] = [Double](repeating: 0, count: count)
        }
        precondition(buffers[slot].count == count,
                     "\(owner): slot \(slot) held \(buffers[slot].count) elements, now \(count) (the parameter in a slot changed)")
    }

    /// Writes the buffers as `<prefix>/count` and `<prefix>/<slot>`.
    func save(into state: inout TrainingState, prefix: String) {
        state.set("\(prefix)/count", count: buffers.count)
        for (slot, buffer) in buffers.enumerated() { state.set("\(prefix)/\(slot)", doubles: buffer) }
    }

    /// The buffers ``save(into:prefix:)`` wrote.
    init(from state: TrainingState, prefix: String) throws {
        let count = try state.count("\(prefix)/count")
        buffers = try (0..<count).map { try state.doubles("\(prefix)/\($0)") }
    }

    subscript(slot: Int) -> [Double] {
        get { buffers[slot] }
        _modify { yield &buffers[slot] }
    }
}

/// The checks every optimizer makes on a step's arguments.
func checkStep<Scalar: BLASScalar>(
    _ owner: String, _ parameters: [Tensor<Scalar>], _ gradients: [Tensor<Scalar>], _ slots: [Int]
) {
    precondition(parameters.count == gradients.count && parameters.count == slots.count,
                 "\(owner): \(parameters.count) parameters, \(gradients.count) gradients, \(slots.count) slots")
    precondition(Set(slots).count == slots.count, "\(owner): slots \(slots) are not distinct")
    for k in parameters.indices {
        precondition(parameters[k].shape == gradients[k].shape,
                     "\(owner): parameter \(k) is \(parameters[k].shape), gradient \(gradients[k].shape)")
    }
}
