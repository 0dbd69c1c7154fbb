/// Why a data file or a provisioning step was rejected.
///
/// Every case names the file (or the command) involved, and ``description`` is one actionable
/// line: what is wrong and what to run next. The command-line tool prints it as is.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case fileNotFound(String)
    /// The file is shorter than its header says it should be.
    case truncated(String, expected: Int, actual: Int)
    /// The file does not start with the expected magic number (IDX, gzip, pickle).
    case badMagic(String, expected: UInt32, actual: UInt32)
    /// The file's SHA-256 differs from the one the project verified.
    case checksumMismatch(String, expected: String, actual: String)
    /// The file is readable but its content does not have the expected structure.
    case malformed(String, reason: String)
    /// The file could not be read or written (permissions, disk full, …).
    case io(String, reason: String)
    /// An external command (pip, apt-get, unzip, dpkg-deb) failed or is missing.
    case commandFailed(String, reason: String)
    /// A data file with no known SHA-256 (neither fixed by the project nor in its set's manifest).
    case unverified(String)
    /// A data set name that the project does not know.
    case unknownDataSet(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): not found; run `tnbench data fetch` (or `tnbench data import-idx DIR`)"
        case .truncated(let path, let expected, let actual):
            return "\(path): truncated (\(actual) bytes where \(expected) were expected); delete it and run `tnbench data fetch` again"
        case .badMagic(let path, let expected, let actual):
            return "\(path): bad magic number 0x\(hex(actual)) (expected 0x\(hex(expected))); this is not the expected file format — delete it and run `tnbench data fetch` again"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): SHA-256 \(actual) differs from the verified \(expected); delete it and run `tnbench data fetch` again"
        case .malformed(let path, let reason):
            return "\(path): malformed (\(reason)); delete it and run `tnbench data fetch` again"
        case .io(let path, let reason):
            return "\(path): \(reason); check the permissions and free space of the data directory (`--data-dir` or TNBENCH_DATA_DIR)"
        case .commandFailed(let command, let reason):
            return "`\(command)` failed: \(reason)"
        case .unverified(let path):
            return "\(path): no verified SHA-256 for this file (not a file the project knows, and not in its set's MANIFEST.json); install it with `tnbench data fetch` or `tnbench data import-idx DIR`"
        case .unknownDataSet(let name):
            return "unknown data set '\(name)'; known: \(Provisioner.allSets.joined(separator: ", "))"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
