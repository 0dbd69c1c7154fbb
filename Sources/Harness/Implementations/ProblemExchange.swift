import Crypto
import Foundation
import TensorCore

/// What a problem hands an external implementation for one job (docs/IMPLEMENTATIONS.md): its
/// sets' arrays after the suite's preprocessing — never the labels of a set the problem keeps
/// back (the test set) — the job's resolved protocol, and when to predict which sets.
public struct ProblemExchange: Sendable {
    /// Arrays by set name (`train`, `validation`, `test`), each by array name (`inputs`, `features`, `labels`).
    public var sets: [String: [String: NpyArray]]
    /// The job's protocol as the native implementation reads it: epochs, learning rate, bond dimension…
    public var protocolValues: [String: ConfigurationValue]
    public var schedule: PredictionSchedule
    /// What an epoch event's `seconds` cover in this suite (native's span): by default the
    /// epoch's training steps without evaluation.
    public var epochSpan: String
    /// Where epoch n sits on the curves' x axis: n · `epochLength` (1: epochs; ½: StoudenmireMPS's
    /// half-sweeps between two passes of the label through the centre, x = 0.5, 1, 1.5, …).
    public var epochLength: Double
    /// Scores the problem made itself while preparing the exchange — a network the protocol
    /// trains for every implementation alike (KnowledgeDistillation's teacher on the test
    /// images) — added to the program's final predictions before they are judged. Never sent
    /// to the program, and not among the sets it is asked for.
    public var problemPredictions: Predictions

    public init(
        sets: [String: [String: NpyArray]], protocolValues: [String: ConfigurationValue], schedule: PredictionSchedule,
        epochSpan: String = "the epoch's training steps, without evaluation", epochLength: Double = 1,
        problemPredictions: Predictions = Predictions()
    ) {
        precondition(epochLength > 0 && epochLength.isFinite, "an epoch's length on the x axis must be positive")
        self.sets = sets
        self.protocolValues = protocolValues
        self.schedule = schedule
        self.epochSpan = epochSpan
        self.epochLength = epochLength
        self.problemPredictions = problemPredictions
    }

    /// The curve position of epoch `n`.
    public func x(ofEpoch n: Int) -> Double { Double(n) * epochLength }

    /// The epochs the protocol runs (`epochs`), when it fixes them.
    var protocolEpochs: Int? {
        if case .int(let epochs)? = protocolValues["epochs"] { return epochs }
        return nil
    }

    /// The sets an implementation must predict at `checkpoint`.
    public func sets(at checkpoint: Checkpoint) -> [String] {
        switch checkpoint {
        case .round: schedule.epoch
        case .step: schedule.step
        case .final: schedule.final
        }
    }

    /// The number of rows each set's predictions must have: the rows of its first array.
    public func rows(of set: String) -> Int? {
        guard let arrays = sets[set], let first = arrays.keys.sorted().first, let shape = arrays[first]?.shape.first else { return nil }
        return shape
    }
}

/// When an implementation hands over predictions, and of which sets.
public struct PredictionSchedule: Sendable, Equatable {
    /// After every epoch.
    public var epoch: [String]
    /// Every ``stepInterval`` optimizer steps (0: never).
    public var stepInterval: Int
    public var step: [String]
    /// After training (required).
    public var final: [String]
    /// The optimizer steps of the whole protocol, when fixed: a run of every epoch must hand over
    /// exactly `totalSteps / stepInterval` step predictions.
    public var totalSteps: Int?

    public init(epoch: [String], stepInterval: Int = 0, step: [String] = [], final: [String], totalSteps: Int? = nil) {
        self.epoch = epoch
        self.stepInterval = stepInterval
        self.step = step
        self.final = final
        self.totalSteps = totalSteps
    }
}

extension Scores {
    /// The scores as a `.npy` array.
    public var npy: NpyArray {
        switch self {
        case .float(let t): .float(t)
        case .double(let t): .double(t)
        }
    }
}

extension NpyArray {
    /// Labels as an `int64` vector.
    public static func labels(_ labels: [Int]) -> NpyArray { .int64(labels, shape: [labels.count]) }
}

/// The files of a job's exchange: arrays stored once per content under `<work>/exchange/` (jobs
/// with the same data share them), `problem.json` in the job's own folder.
enum ExchangeFiles {
    /// Writes `array` as `<directory>/<sha256>.npy` unless a file of that content is there, and
    /// returns its path. The write is atomic (a temporary file renamed), so concurrent jobs that
    /// share an array never see half of it.
    static func store(_ array: NpyArray, in directory: String) throws -> String {
        let bytes = array.encoded()
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let path = "\(directory)/\(digest).npy"
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           (attributes[.size] as? NSNumber)?.intValue == bytes.count {
            return path
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(path).\(ProcessInfo.processInfo.processIdentifier).partial"
        do {
            try bytes.write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path) != 0 {
                throw HarnessError(.io, "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        return path
    }

    /// Writes the problem file of one job and returns its path.
    static func writeProblem(
        _ exchange: ProblemExchange, context: RunContext, threads: Int, workDirectory: String, outputDirectory: String
    ) throws -> String {
        var data: [String: [String: String]] = [:]
        for (set, arrays) in exchange.sets {
            for (name, array) in arrays {
                data[set, default: [:]][name] = try store(array, in: workDirectory + "/exchange")
            }
        }
        var predict: [String: Any] = ["epoch": exchange.schedule.epoch, "final": exchange.schedule.final]
        if exchange.schedule.stepInterval > 0 {
            predict["step"] = ["interval": exchange.schedule.stepInterval, "sets": exchange.schedule.step]
        }
        func json(_ values: [String: ConfigurationValue]) -> [String: Any] {
            values.mapValues { value -> Any in
                switch value {
                case .int(let i): i
                case .double(let d): d
                case .string(let s): s
                }
            }
        }
        let problem: [String: Any] = [
            "contract": ImplementationManifest.contractVersions.upperBound,
            "suite": context.suite, "tier": context.tier.rawValue, "seed": context.seed, "threads": threads,
            "configuration": json(context.configuration.values), "settings": json(context.settings.values),
            "protocol": json(exchange.protocolValues), "data": data, "predict": predict, "epoch_seconds": exchange.epochSpan,
            "output_directory": outputDirectory,
        ]
        let bytes = try JSONSerialization.data(withJSONObject: problem, options: [.prettyPrinted, .sortedKeys])
        let path = outputDirectory + "/problem.json"
        try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
