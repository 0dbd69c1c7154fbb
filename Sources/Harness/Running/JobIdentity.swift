/// A job's identity as a dictionary key: suite, seed and configuration, with a numeric value
/// keyed by its number (`D=4` and `D=4.0` are one job, as ``Configuration/matchesExactly(_:)``
/// says). Planning looks jobs up by it in O(1), so a plan of n jobs is built in O(n), not O(n²).
public struct JobIdentity: Hashable, Sendable {
    public let suite: String
    public let seed: Int
    let configuration: [String: Value]

    enum Value: Hashable, Sendable {
        case integer(Int)
        case number(Double)
        case text(String)
    }

    public init(_ job: Job) {
        suite = job.suite
        seed = job.seed
        configuration = job.configuration.values.mapValues { value in
            switch value {
            case .int(let i): .integer(i)
            case .double(let d): Int(exactly: d).map(Value.integer) ?? .number(d)
            case .string(let s): .text(s)
            }
        }
    }
}
