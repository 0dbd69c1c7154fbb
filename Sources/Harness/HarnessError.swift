import Foundation

/// The exit statuses of `tnbench`, a stable contract for scripts. docs/RESULTS-SCHEMA.md
/// ("Exit codes of `tnbench`") documents them for users; each command's `--help` lists its own.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything ran and nothing regressed.
    case ok = 0
    /// `compare`: at least one metric regressed against the reference.
    case regression = 1
    /// Bad command line or input file: unknown suite/tier/configuration key, malformed baseline,
    /// unwritable output directory, a results directory that is not one.
    case usage = 2
    /// At least one job failed or diverged (its record says why).
    case jobFailed = 3
    /// `compare`: no reference results exist for the run's tier (run `tnbench baseline update`).
    case missingBaseline = 4
    /// A file could not be written or read intact: the disk is full, the file system is
    /// read-only or failing, or a record is corrupt (its checksum does not match). Nothing
    /// incomplete was left in place: free space or fix the storage, then re-run the same command.
    case io = 5
    /// A bug in tnbench: an error no user input explains reached the tool (sysexits'
    /// `EX_SOFTWARE`). Distinct from ``usage`` so that scripts and the hostile pass tell a
    /// refused input from a defect.
    case internalError = 70
    /// The run was interrupted (Ctrl-C); re-run the same command to resume.
    case interrupted = 130

    /// What the status means, as `--help` words it after the number: "a metric regressed".
    /// A command that gives a status a narrower meaning says so itself (`diff`: 1 "they differ").
    public var meaning: String {
        switch self {
        case .ok: return "ok"
        case .regression: return "a metric regressed"
        case .usage: return "usage or input error"
        case .jobFailed: return "a job failed or diverged"
        case .missingBaseline: return "no reference results for the tier"
        case .io: return "a file could not be written or read intact (disk full, read-only or failing file system, a corrupt record)"
        case .internalError: return "internal error (a bug in tnbench: please report it with the command line)"
        case .interrupted: return "interrupted (re-run the same command to resume)"
        }
    }
}

/// An error a user can act on: one line naming the culprit and the valid choices.
public struct HarnessError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case unknownSuite, unknownTier, unknownConfigurationKey, invalidConfiguration
        case malformedBaseline, missingBaseline, unwritableOutput, invalidResults, invalidArgument
        /// Records of one run made by different builds (see ``Provenance/codeID``).
        case mixedBuilds
        /// An external implementation's manifest is missing or wrong, or a suite has no
        /// implementation of that name (docs/IMPLEMENTATIONS.md).
        case invalidImplementation, unknownImplementation
        /// Writing or reading a file failed in the file system (no space left on device, a
        /// read-only file system, an I/O error): the message names the file and the reason.
        case io
        /// A result file whose bytes are not the ones written: its checksum does not match, it
        /// is truncated, or (a file from before checksums) libhdf5 cannot open it.
        case corruptRecord
        /// An error no user input explains (a bug): see ``HarnessError/init(reachingTool:)``.
        case internalError
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The exit status the tool ends with when this error reaches it.
    public var exitStatus: ExitStatus {
        switch kind {
        case .missingBaseline: return .missingBaseline
        case .io, .corruptRecord: return .io
        case .internalError: return .internalError
        default: return .usage
        }
    }
}

extension HarnessError {
    /// Any error that reached the tool's `main`, as the one line and the exit status the tool
    /// ends with: a ``HarnessError`` as it is; a file-system failure (``init(fileSystemError:action:path:)``)
    /// and an ``HDF5Error`` (libhdf5 could not read or write a result file) as ``Kind/io``
    /// (status 5, not a usage error); a ``SuiteInputError`` as ``Kind/invalidConfiguration``;
    /// anything else as ``Kind/internalError`` (status 70): every input a user, a file or a disk
    /// can give is meant to arrive as one of the former, so the rest is a bug. Errors of targets
    /// Harness does not see (a data set's) are mapped by the tool before it asks here.
    public init(reachingTool error: any Error) {
        if let failure = HarnessError(fileSystemError: error) {
            self = failure
        } else if let error = error as? HDF5Error {
            self.init(.io, error.description)
        } else if let error = error as? SuiteInputError {
            self.init(.invalidConfiguration, error.description)
        } else {
            let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            self.init(.internalError, "internal error (a bug in tnbench; please report it with the command line): \(text)")
        }
    }

    /// A file-system failure as one line, `cannot <action> '<path>': <reason>`: the reason in
    /// the operating system's words ("no space left on device", "read-only file system") rather
    /// than Foundation's (`NSCocoaErrorDomain Code=640`). Nil when `error` is no file-system error.
    ///
    /// - Parameters:
    ///   - action: what was attempted, e.g. "write".
    ///   - path: the file; when nil, the path the error names.
    public init?(fileSystemError error: any Error, action: String = "write", path: String? = nil) {
        if let error = error as? HarnessError {
            self = error
            return
        }
        guard let reason = Self.fileSystemReason(error) else { return nil }
        let named = path ?? Self.path(in: error as NSError)
        self.init(.io, "cannot \(action)\(named.map { " '\($0)'" } ?? ""): \(reason)")
    }

    /// The message of `errno` as the operating system words it, in lower case ("no space left on device").
    public static func reason(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    private static func fileSystemReason(_ error: any Error) -> String? {
        if let error = error as? POSIXError { return reason(errno: error.code.rawValue) }
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return reason(errno: Int32(error.code)) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return reason(errno: Int32(underlying.code))
        }
        guard error.domain == NSCocoaErrorDomain else { return nil }
        switch CocoaError.Code(rawValue: error.code) {
        case .fileWriteOutOfSpace: return reason(errno: ENOSPC)
        case .fileWriteVolumeReadOnly: return reason(errno: EROFS)
        case .fileWriteNoPermission, .fileReadNoPermission: return reason(errno: EACCES)
        case .fileNoSuchFile, .fileReadNoSuchFile: return reason(errno: ENOENT)
        case .fileWriteFileExists: return reason(errno: EEXIST)
        case .fileWriteInvalidFileName, .fileReadInvalidFileName: return "invalid file name"
        case .fileReadTooLarge: return reason(errno: EFBIG)
        case .fileWriteUnknown, .fileReadUnknown, .fileReadCorruptFile, .fileLocking, .fileReadUnknownStringEncoding,
            .fileReadUnsupportedScheme, .fileWriteUnsupportedScheme, .fileWriteInapplicableStringEncoding:
            return reason(errno: EIO)
        default: return nil
        }
    }

    private static func path(in error: NSError) -> String? {
        if let path = error.userInfo[NSFilePathErrorKey] as? String { return path }
        if let url = error.userInfo[NSURLErrorKey] as? URL { return url.path }
        return nil
    }
}
