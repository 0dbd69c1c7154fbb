import ArgumentParser
import Datasets
import Foundation
import Harness
import TensorCore

/// `tnbench`: run, judge and draw the benchmark.
struct TNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tnbench",
        abstract: "A reproducible benchmark of machine learning with tensor networks.",
        discussion: """
            Each suite reproduces one published result. A run expands suites × configurations × \
            seeds into jobs, writes one HDF5 record per job (so an interrupted run resumes where \
            it stopped), and merges them into <run dir>/results.h5.

            Typical session:
              tnbench list                                   what can run, per tier
              tnbench data fetch                             provision the data sets
              tnbench run all --tier ci --out results/ci     run (re-run the same command to resume)
              tnbench compare results/ci                     verdicts vs paper and reference
              tnbench report results/ci                      reports/ci/REPORT.md with figures
              tnbench baseline update results/ci             make this run the new reference
              tnbench ab main                                this build against main, interleaved on this machine
              tnbench history                                speed of every suite over the commits benchmarked

            On a cluster: `tnbench plan … --out DIR`, then `tnbench submit DIR` (Slurm) or \
            `tnbench commands DIR` (any scheduler), `tnbench status DIR`, `tnbench report DIR`.

            \(exitStatusHelp(ExitStatus.allCases)) Each command's --help lists its own; \
            docs/RESULTS-SCHEMA.md says what each means for every command.
            """,
        subcommands: [
            ListCommand.self, RunCommand.self, PlanCommand.self, RunJobCommand.self, CommandsCommand.self,
            SubmitCommand.self, StatusCommand.self, CompareCommand.self, FiguresCommand.self, ReportCommand.self, PublishCommand.self,
            DiffCommand.self, ABCommand.self, HistoryCommand.self, BaselineCommand.self, DataCommand.self, KernelsCommand.self,
        ])
}

/// Options every judging command shares.
struct BaselineOptions: ParsableArguments {
    @Option(name: .customLong("baselines"), help: "The baselines directory (paper points and reference runs).")
    var directory = "Baselines"

    @Flag(help: "Merge records made by different builds (different code) instead of refusing.")
    var allowMixedBuilds = false

    /// Without the directory every paper and reference verdict is silently "—": say so (a warning,
    /// not an error: `baseline update` may be about to create it).
    func validate() throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            FileHandle.standardError.write(Data("""
                tnbench: warning: no baselines directory '\(directory)' (from \(FileManager.default.currentDirectoryPath)): \
                no paper or reference verdicts; run in the TNBench checkout or pass --baselines DIR\n
                """.utf8))
        }
    }
}

/// Ends the tool with a typed status (see ``ExitStatus``).
func exitStatus(_ status: ExitStatus) -> ExitCode { ExitCode(status.rawValue) }

/// The "Exit status:" paragraph of a command's `--help`: `statuses` by number, each with the
/// command's own meaning where it gives one, else ``ExitStatus/meaning``. Usage (2) and internal
/// (70) errors are possible in every command and are always listed; docs/RESULTS-SCHEMA.md
/// has the full table.
func exitStatusHelp(_ statuses: [ExitStatus], meanings: [ExitStatus: String] = [:]) -> String {
    let listed = Set(statuses + [.usage, .internalError]).sorted { $0.rawValue < $1.rawValue }
    let parts = listed.map { "\($0.rawValue) \(meanings[$0] ?? $0.meaning)" }
    return "Exit status: " + parts.joined(separator: " · ") + "."
}

extension HarnessError {
    /// A data set's error as the tool reports it: a file that could not be read or written
    /// (``DatasetError/io(_:reason:)``) is an I/O fault (status 5); every other case is an
    /// input to fix (a missing, corrupt or unknown data file or set, a failed `pip`: status 2).
    init(dataset error: DatasetError) {
        if case .io = error {
            self.init(.io, error.description)
        } else {
            self.init(.invalidArgument, error.description)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("tnbench: error: \(message)\n".utf8))
}

@main
enum Main {
    static func main() {
        restartWithRecognisedBLASCoreIfNeeded()
        LargeAllocations.returnFreedBlocksToTheSystem()
        do {
            var command = try TNBench.parseAsRoot()
            try command.run()
        } catch let error as HarnessError {
            printError(error.message)
            exit(error.exitStatus.rawValue)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            switch TNBench.exitCode(for: error) {
            case .success:
                TNBench.exit(withError: error)  // --help, --version
            case .validationFailure:
                // Usage errors from the parser exit 2 (not sysexits' 64), like every input error.
                FileHandle.standardError.write(Data((TNBench.fullMessage(for: error) + "\n").utf8))
                exit(ExitStatus.usage.rawValue)
            default:
                // One line and its own status: an input error 2, a file-system or HDF5 fault 5
                // (with the system's reason, not Foundation's `NSCocoaErrorDomain Code=640`),
                // anything else an internal error 70 (see `HarnessError(reachingTool:)`).
                let failure = (error as? DatasetError).map(HarnessError.init(dataset:)) ?? HarnessError(reachingTool: error)
                printError(failure.message)
                exit(failure.exitStatus.rawValue)
            }
        }
    }
}

/// Re-executes the tool with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its generic kernels
/// on a CPU it does not recognise (see ``BLASRuntime/recommendedCoreType(cpuFlags:)``): the
/// variable is read only when the library loads, so the process must start again. Worker
/// processes inherit it. Set `OPENBLAS_CORETYPE` yourself to override the choice.
private func restartWithRecognisedBLASCoreIfNeeded() {
    guard let core = BLASRuntime.recommendedCoreType() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: carry on with the generic kernels, which are correct, only slower.
    printError("OpenBLAS runs its generic kernels on this CPU; set OPENBLAS_CORETYPE=\(core) for full speed")
}
