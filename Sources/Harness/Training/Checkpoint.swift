import Foundation
import TensorCore

/// How an implementation's training is saved between two rounds and read back after a kill:
/// `save` writes everything the next rounds depend on that the harness does not keep (the model,
/// the optimizer, the random streams, the observer's memory) and `restore` puts it back.
///
/// What the job recorded so far, the loop's own books (``TrainingOutcome``) and the round are
/// the harness's part of a checkpoint; a resumed job goes on from the next round and records
/// what an uninterrupted one would have.
public struct Resumption {
    public var save: () throws -> TrainingState
    public var restore: (TrainingState) throws -> Void

    public init(save: @escaping () throws -> TrainingState, restore: @escaping (TrainingState) throws -> Void) {
        self.save = save
        self.restore = restore
    }
}

/// A job's state after a round: what it had recorded, the loop's books, the trainer's state.
struct JobCheckpoint {
    /// The last round it holds (training goes on with the next).
    var round: Int
    var record: RunRecord
    var outcome: TrainingOutcome
    var state: TrainingState
    /// Wall seconds the job had run by then, over every process that ran it.
    var elapsedSeconds: Double
    /// When the job first started (ISO 8601).
    var startTime: String
}

/// Where one job keeps its checkpoint (`<work>/checkpoints/<suite>/<configuration>/seed_<n>.h5`)
/// and when it writes it: after a round, once ``interval`` seconds have passed since the job
/// started or since the last checkpoint, never after the last round.
///
/// The file is written as records are (sealed with its SHA-256, to a temporary file renamed into
/// place), so a kill while writing leaves the previous checkpoint. It names the job, its settings
/// and the code that wrote it: a checkpoint of other code or other settings, or a damaged one, is
/// set aside with one line on standard error and the job starts afresh.
public final class CheckpointStore {
    public let path: String
    /// Seconds between checkpoints.
    public let interval: Double
    /// The job, its settings and the code: what a checkpoint must match to be resumed.
    let identity: String
    private var lastSave: Double

    /// The default ``interval``: `$TNBENCH_CHECKPOINT_SECONDS`, else two minutes.
    public static var defaultInterval: Double {
        ProcessInfo.processInfo.environment["TNBENCH_CHECKPOINT_SECONDS"].flatMap(Double.init).flatMap { $0 >= 0 ? $0 : nil } ?? 120
    }

    /// The checkpoint file of `job` under a run's work directory.
    public static func path(for job: Job, workDirectory: String) -> String {
        let configuration = job.configuration.name.isEmpty ? "default" : job.configuration.name
        return "\(workDirectory)/checkpoints/\(JobRecordCodec.escape(job.suite))/\(JobRecordCodec.escape(configuration))/seed_\(job.seed).h5"
    }

    /// Removes the checkpoint of `job` (its record is written: nothing is left to resume), with
    /// any temporary file a killed write left beside it.
    public static func remove(for job: Job, workDirectory: String) {
        let file = path(for: job, workDirectory: workDirectory)
        try? FileManager.default.removeItem(atPath: file)
        removeAbandonedWrites(of: file)
    }

    /// Temporary files of `file` a killed process left (`.<name>.tmp-<pid>-<n>`, see `atomicWrite`).
    static func removeAbandonedWrites(of file: String) {
        let directory = (file as NSString).deletingLastPathComponent, name = (file as NSString).lastPathComponent
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where entry.hasPrefix(".\(name).tmp-") {
            try? FileManager.default.removeItem(atPath: directory + "/" + entry)
        }
    }

    init(job: Job, settings: [String: ConfigurationValue], workDirectory: String, interval: Double = defaultInterval, started: Double) {
        path = Self.path(for: job, workDirectory: workDirectory)
        self.interval = interval
        let sortedSettings = settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: ",")
        identity = "\(job) | settings \(sortedSettings) | \(Provenance.current().codeID)"
        lastSave = started
    }

    /// The checkpoint to resume from; nil when there is none or it cannot be used (then it is
    /// moved aside to `<path>.unusable` and standard error says why).
    func load() -> JobCheckpoint? {
        Self.removeAbandonedWrites(of: path)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let checkpoint = try read()
            return checkpoint
        } catch {
            let aside = path + ".unusable"
            try? FileManager.default.removeItem(atPath: aside)
            try? FileManager.default.moveItem(atPath: path, toPath: aside)
            FileHandle.standardError.write(Data("tnbench: warning: checkpoint '\(path)' not resumed (\(error)); moved to '\(aside)', the job starts afresh\n".utf8))
            return nil
        }
    }

    /// Writes the checkpoint `make` builds when ``interval`` has passed. A checkpoint that
    /// cannot be written (a full disk) costs a warning, not the job.
    func saveIfDue(now: Double, _ make: () throws -> JobCheckpoint) throws {
        guard now - lastSave >= interval else { return }
        let checkpoint = try make()
        do {
            try write(checkpoint)
            lastSave = now
        } catch {
            FileHandle.standardError.write(Data("tnbench: warning: checkpoint '\(path)' not written (\(error)); the job goes on\n".utf8))
        }
    }

    // MARK: The file

    private func write(_ checkpoint: JobCheckpoint) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let outcome = try JSONEncoder.checkpoint.encode(checkpoint.outcome)
        let bytes = try withHDF5 { () -> [UInt8] in
            let file = try HDF5File.createInMemory(name: path, userBlock: SealedFile.userBlockSize)
            let root = try file.root()
            try root.setAttributes([
                "kind": .string("checkpoint"), "format": .int(1), "identity": .string(identity),
                "round": .int(Int64(checkpoint.round)), "elapsed_seconds": .double(checkpoint.elapsedSeconds),
                "start_time": .string(checkpoint.startTime), "outcome": .string(String(decoding: outcome, as: UTF8.self)),
            ])
            // The record so far, through the records' own codec (its job fields are placeholders).
            let placeholder = JobRecord(
                job: Job(suite: "checkpoint", configuration: [:], seed: 0), tier: .smoke, status: .completed, message: "",
                record: checkpoint.record, settings: [:], provenance: Provenance.current(), startTime: "", endTime: "", wallSeconds: 0)
            try JobRecordCodec.write(placeholder, into: try root.createGroup("record"))
            let state = try root.createGroup("state")
            for (name, entry) in checkpoint.state.entries {
                let key = JobRecordCodec.escape(name)
                switch entry.values {
                case .float32(let values): try state.writeDataset(key, shape: entry.shape, data: .float32(values))
                case .float64(let values): try state.writeDataset(key, shape: entry.shape, data: .float64(values))
                case .uint64(let values):
                    // Exactly, as two 32-bit halves in doubles (HDF5 records hold floating point).
                    let halves = values.flatMap { [Double($0 >> 32), Double($0 & 0xFFFF_FFFF)] }
                    try state.writeDataset(key, shape: entry.shape + [2], data: .float64(halves))
                    try state.setDatasetAttributes(key, ["kind": .string("uint64")])
                }
            }
            return try SealedFile.seal(file.image())
        }
        try atomicWrite(path, bytes: bytes)
    }

    private func read() throws -> JobCheckpoint {
        try withHDF5 {
            let file = try HDF5File.openVerified(path, what: "checkpoint")
            let root = try file.root()
            let a = try root.attributes()
            guard a["kind"]?.stringValue == "checkpoint", a["format"]?.doubleValue == 1 else { throw HDF5Error("not a checkpoint of format 1") }
            guard a["identity"]?.stringValue == identity else {
                throw HDF5Error("written for '\(a["identity"]?.stringValue ?? "?")', this job is '\(identity)'")
            }
            guard let round = a["round"]?.doubleValue.flatMap({ Int(exactly: $0) }), round >= 1,
                  let elapsed = a["elapsed_seconds"]?.doubleValue, elapsed.isFinite,
                  let outcomeText = a["outcome"]?.stringValue
            else { throw HDF5Error("missing round, elapsed seconds or outcome") }
            let outcome = try JSONDecoder.checkpoint.decode(TrainingOutcome.self, from: Data(outcomeText.utf8))
            let record = try JobRecordCodec.read(from: try root.group("record")).record
            var state = TrainingState()
            let group = try root.group("state")
            for child in group.children() where !child.isGroup {
                let array = try group.readDataset(child.name)
                let name = JobRecordCodec.unescape(child.name)
                if array.attributes["kind"] == .string("uint64") {
                    let halves = array.doubles
                    guard array.shape.last == 2, halves.count % 2 == 0,
                          halves.allSatisfy({ $0 >= 0 && $0 <= Double(UInt32.max) && $0 == $0.rounded() })
                    else { throw HDF5Error("state '\(name)': not integers") }
                    let values = stride(from: 0, to: halves.count, by: 2).map { UInt64(halves[$0]) << 32 | UInt64(halves[$0 + 1]) }
                    state.set(name, TrainingState.Entry(shape: Array(array.shape.dropLast()), values: .uint64(values)))
                } else {
                    let values: TrainingState.Values = switch array.data {
                    case .float32(let v): .float32(v)
                    case .float64(let v): .float64(v)
                    }
                    guard array.shape.reduce(1, *) == values.count else { throw HDF5Error("state '\(name)': shape \(array.shape) for \(values.count) values") }
                    state.set(name, TrainingState.Entry(shape: array.shape, values: values))
                }
            }
            return JobCheckpoint(round: round, record: record, outcome: outcome, state: state, elapsedSeconds: elapsed,
                              startTime: a["start_time"]?.stringValue ?? "")
        }
    }
}

extension JSONEncoder {
    /// Non-finite losses and times are kept as strings (JSON has no NaN).
    static var checkpoint: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}

extension JSONDecoder {
    static var checkpoint: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
