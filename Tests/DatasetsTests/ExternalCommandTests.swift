@testable import Datasets
import Foundation
import Testing

/// ``ExternalCommand``: the tools provisioning runs, through swift-subprocess.
@Suite struct ExternalCommandTests {
    @Test func failureNamesCommandStatusAndLastErrorLine() async {
        let script = "echo progress; echo first >&2; echo 'last words' >&2; exit 3"
        await expectAsyncError(.commandFailed("sh -c \(script)", reason: "exit status 3: last words")) {
            try await ExternalCommand.run(["sh", "-c", script])
        }
    }

    /// Standard error far beyond what is kept still ends in the last line, with no output limit hit.
    @Test func longStandardErrorKeepsItsTail() async {
        let script = "i=0; while [ $i -lt 5000 ]; do echo line $i of noise >&2; i=$((i+1)); done; echo done >&2; exit 1"
        await expectAsyncError(.commandFailed("sh -c \(script)", reason: "exit status 1: done")) {
            try await ExternalCommand.run(["sh", "-c", script])
        }
    }

    @Test func missingCommandIsReported() async {
        #expect(await ExternalCommand.exists("sh"))
        #expect(!(await ExternalCommand.exists("tnbench-no-such-tool")))
        await expectAsyncError(.commandFailed("tnbench-no-such-tool --version", reason: "`tnbench-no-such-tool` is not installed")) {
            try await ExternalCommand.run(["tnbench-no-such-tool", "--version"])
        }
    }

    @Test func outputGoesToTheFileFromTheWorkingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let output = directory + "/out.txt"
            try await ExternalCommand.run(["sh", "-c", "pwd; echo ignored >&2"], in: directory, outputPath: output)
            #expect(String(decoding: try readBytes(output), as: UTF8.self) == directory + "\n")
        }
    }
}

/// Records an issue unless `body` throws exactly `expected`.
private func expectAsyncError(_ expected: DatasetError, sourceLocation: SourceLocation = #_sourceLocation,
                              _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DatasetError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}
