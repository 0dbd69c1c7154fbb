import Foundation
import Testing
@testable import Harness

/// The tool's exit statuses: every error that reaches `main` gets its own status (input 2, file
/// system or HDF5 fault 5, a bug 70), in one line, and the statuses are distinct.
@Suite struct ExitStatusTests {
    @Test func statusesAreDistinctAndDocumentedOnce() {
        let codes = ExitStatus.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(ExitStatus.usage.rawValue == 2 && ExitStatus.io.rawValue == 5 && ExitStatus.internalError.rawValue == 70)
        for status in ExitStatus.allCases {
            #expect(!status.meaning.isEmpty && !status.meaning.contains("\n"), "\(status)")
        }
    }

    @Test func harnessErrorsKeepTheirStatus() {
        let error = HarnessError(.unknownTier, "unknown tier 'x'")
        #expect(HarnessError(reachingTool: error) == error)
        #expect(HarnessError(reachingTool: HarnessError(.corruptRecord, "c")).exitStatus == .io)
        #expect(HarnessError(reachingTool: HarnessError(.missingBaseline, "m")).exitStatus == .missingBaseline)
    }

    /// An HDF5 fault (libhdf5 cannot read or write a result file) is an I/O fault, not a usage error.
    @Test func hdf5FaultIsIO() {
        let failure = HarnessError(reachingTool: HDF5Error("cannot open HDF5 file /r/jobs/x.h5 (missing, truncated or not HDF5)"))
        #expect(failure.kind == .io && failure.exitStatus == .io)
        #expect(failure.message == "cannot open HDF5 file /r/jobs/x.h5 (missing, truncated or not HDF5)")
    }

    @Test func fileSystemFaultIsIO() {
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/r/plan.json"])
        let failure = HarnessError(reachingTool: full)
        #expect(failure.exitStatus == .io)
        #expect(failure.message == "cannot write '/r/plan.json': \(HarnessError.reason(errno: ENOSPC))")
        #expect(HarnessError(reachingTool: POSIXError(.EROFS)).exitStatus == .io)
    }

    @Test func suiteInputIsUsage() {
        let failure = HarnessError(reachingTool: SuiteInputError(suite: "S", key: "m", "configuration value 'm' = 0 is out of range; valid: ≥ 1"))
        #expect(failure.exitStatus == .usage)
        #expect(failure.message == "S: configuration value 'm' = 0 is out of range; valid: ≥ 1")
    }

    /// Any other error is a bug: status 70, distinct from usage, in one line that says so.
    @Test func anythingElseIsInternal() {
        struct Unexpected: Error, CustomStringConvertible { var description: String { "index 7 out of range" } }
        let failure = HarnessError(reachingTool: Unexpected())
        #expect(failure.kind == .internalError)
        #expect(failure.exitStatus == .internalError && failure.exitStatus != .usage)
        #expect(failure.message == "internal error (a bug in tnbench; please report it with the command line): index 7 out of range")
        #expect(!failure.message.contains("\n"))
    }
}
