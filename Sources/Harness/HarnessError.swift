/// The exit statuses of `tnbench`, a stable contract for scripts (see docs/RESULTS-SCHEMA.md).
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
    /// The run was interrupted (Ctrl-C); re-run the same command to resume.
    case interrupted = 130
}

/// An error a user can act on: one line naming the culprit and the valid choices.
public struct HarnessError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case unknownSuite, unknownTier, unknownConfigurationKey, invalidConfiguration
        case malformedBaseline, missingBaseline, unwritableOutput, invalidResults, invalidArgument
        /// Records of one run made by different builds (see ``Provenance/codeID``).
        case mixedBuilds
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The exit status the tool ends with when this error reaches it.
    public var exitStatus: ExitStatus { kind == .missingBaseline ? .missingBaseline : .usage }
}
