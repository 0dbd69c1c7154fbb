import Foundation

/// One line an external implementation writes on standard output (docs/IMPLEMENTATIONS.md).
public enum ImplementationEvent: Sendable, Equatable {
    /// The libraries, device and threads the program runs with.
    case environment(libraries: [String: String], device: String?, threads: Int?)
    /// One epoch's training time (without evaluation) and mean loss (nil: not given; may be non-finite).
    case epoch(Int, seconds: Double, loss: Double?)
    /// Score files of the named sets at a checkpoint.
    case predictions(ImplementationCheckpoint, sets: [String: String])
    case progress(Double, detail: String)
    /// Values of the suite's informational metrics the implementation measures itself
    /// (parameter counts, a calibration factor); never quality or speed.
    case record(scalars: [String: Double])

    /// Parses one line.
    /// - Throws: ``ImplementationEventError`` saying what is wrong with it.
    public init(line: String) throws(ImplementationEventError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(Self.quotingNonFinite(line).utf8)),
              let json = object as? [String: Any]
        else { throw ImplementationEventError("not a JSON object (events are one JSON object per line; print logs to standard error)") }
        guard let kind = json["event"] as? String else { throw ImplementationEventError("no \"event\" field") }
        func number(_ key: String) -> Double? {
            if let s = json[key] as? String { return Self.nonFinite[s] }
            return JSONNumber(json[key])?.value
        }
        func integer(_ key: String) throws(ImplementationEventError) -> Int {
            guard let value = number(key), let integer = Int(exactly: value) else {
                throw ImplementationEventError("\(kind): \"\(key)\" must be an integer")
            }
            return integer
        }
        switch kind {
        case "environment":
            guard let libraries = (json["libraries"] ?? [String: String]()) as? [String: String] else {
                throw ImplementationEventError("environment: \"libraries\" must map names to version strings")
            }
            self = .environment(libraries: libraries, device: json["device"] as? String, threads: number("threads").flatMap { Int(exactly: $0) })
        case "epoch":
            let epoch = try integer("epoch")
            guard let seconds = number("seconds"), seconds.isFinite, seconds >= 0 else {
                throw ImplementationEventError("epoch: \"seconds\" must be a finite number ≥ 0")
            }
            if json["loss"] != nil && !(json["loss"] is NSNull), number("loss") == nil {
                throw ImplementationEventError("epoch: \"loss\" must be a number")
            }
            self = .epoch(epoch, seconds: seconds, loss: number("loss"))
        case "predictions":
            let checkpoint: ImplementationCheckpoint
            switch json["checkpoint"] {
            case let text as String where text == "final": checkpoint = .final
            case let object as [String: Any] where object.count == 1:
                guard let (key, value) = object.first, let n = JSONNumber(value), n.isInteger, let count = Int(exactly: n.value), count >= 0,
                      key == "epoch" || key == "step"
                else { throw ImplementationEventError("predictions: \"checkpoint\" must be \"final\", {\"epoch\": n} or {\"step\": n}") }
                checkpoint = key == "epoch" ? .epoch(count) : .step(count)
            default:
                throw ImplementationEventError("predictions: \"checkpoint\" must be \"final\", {\"epoch\": n} or {\"step\": n}")
            }
            guard let sets = json["sets"] as? [String: String], !sets.isEmpty else {
                throw ImplementationEventError("predictions: \"sets\" must map set names to .npy paths")
            }
            self = .predictions(checkpoint, sets: sets)
        case "progress":
            guard let fraction = number("fraction"), fraction.isFinite else {
                throw ImplementationEventError("progress: \"fraction\" must be a number in [0, 1]")
            }
            self = .progress(min(max(fraction, 0), 1), detail: json["detail"] as? String ?? "")
        case "record":
            guard let object = json["scalars"] as? [String: Any], !object.isEmpty else {
                throw ImplementationEventError("record: \"scalars\" must map metric names to numbers")
            }
            var scalars: [String: Double] = [:]
            for (name, value) in object {
                guard let number = JSONNumber(value)?.value ?? (value as? String).flatMap({ Self.nonFinite[$0] }) else {
                    throw ImplementationEventError("record: \"\(name)\" must be a number")
                }
                scalars[name] = number
            }
            self = .record(scalars: scalars)
        default:
            throw ImplementationEventError("unknown event \"\(kind)\" (events: environment, epoch, predictions, progress, record)")
        }
    }

    private static let nonFinite: [String: Double] = ["NaN": .nan, "nan": .nan, "Infinity": .infinity, "-Infinity": -.infinity,
                                                       "inf": .infinity, "-inf": -.infinity]

    /// `line` with the bare `NaN`, `Infinity` and `-Infinity` that Python's `json` writes (not
    /// JSON) turned into strings, outside string literals.
    static func quotingNonFinite(_ line: String) -> String {
        guard line.contains("NaN") || line.contains("Infinity") else { return line }
        var result = ""
        var inString = false, escaped = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if inString {
                result.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                index = line.index(after: index)
                continue
            }
            if character == "\"" { inString = true }
            var replaced = false
            for token in ["-Infinity", "Infinity", "NaN"] where line[index...].hasPrefix(token) {
                result += "\"\(token)\""
                index = line.index(index, offsetBy: token.count)
                replaced = true
                break
            }
            if !replaced {
                result.append(character)
                index = line.index(after: index)
            }
        }
        return result
    }
}

/// When an external implementation's predictions were taken, as it says it.
public enum ImplementationCheckpoint: Sendable, Equatable, CustomStringConvertible {
    case epoch(Int), step(Int), final

    public var description: String {
        switch self {
        case .epoch(let n): "epoch \(n)"
        case .step(let n): "step \(n)"
        case .final: "final"
        }
    }
}

/// What is wrong with a line of an implementation's output.
public struct ImplementationEventError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A number of a `JSONSerialization` result, told apart from a boolean (which bridges to
/// `NSNumber` too): its value and whether it was written as an integer.
struct JSONNumber {
    var value: Double
    var isInteger: Bool

    init?(_ any: Any?) {
        guard let number = any as? NSNumber else { return nil }
        let type = String(cString: number.objCType)
        guard type != "c" && type != "B" else { return nil }
        value = number.doubleValue
        isInteger = type != "d" && type != "f"
    }
}
