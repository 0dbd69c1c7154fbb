import Foundation
import TensorCore

/// An implementation in another process and language (docs/IMPLEMENTATIONS.md): the harness
/// writes the problem's exchange for the job, runs the manifest's command in a prepared
/// environment under the tier's time limit, reads its events, computes every quality metric from
/// its predictions with the problem's own evaluation, and records its speed from the epoch
/// seconds it reports beside the process's wall time and peak memory.
///
/// Any fault is this job's alone and names the implementation: a non-zero exit, the time limit,
/// a malformed or unknown event, predictions missing or of the wrong shape fail the job; a
/// non-finite loss or non-finite scores make it *diverged*.
public struct ExternalImplementation<Target: Problem>: Implementation {
    public let manifest: ImplementationManifest
    /// The suite's informational metrics, which a `record` event may set (quality comes from
    /// predictions, speed from epoch events: never from what the program says of them).
    public let reportable: Set<String>

    public init(manifest: ImplementationManifest, reportable: Set<String> = []) {
        self.manifest = manifest
        self.reportable = reportable
    }

    public var name: String { manifest.name }

    public func train(_ inputs: Target.Inputs, for problem: Target, in context: RunContext) throws -> Predictions {
        let exchange = try problem.exchange(inputs, in: context)
        // Absolute: the program runs in its own folder, not where tnbench was started.
        let given = context.execution.workDirectory ?? NSTemporaryDirectory() + "tnbench-work"
        let work = URL(fileURLWithPath: given, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
        var job = context.configuration
        job[ImplementationManifest.configurationKey] = .string(name)
        let folder = "\(work)/jobs/\(context.suite)/\(job.name)/seed-\(context.seed)"
        // A program left running by an earlier attempt whose tnbench was killed goes first.
        if ChildProcess.stopLeftover(pidFile: folder + "/program.pid") {
            FileHandle.standardError.write(Data("tnbench: warning: stopped \(name)'s program left running by an earlier attempt of this job\n".utf8))
        }
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

        var command = manifest.command
        var pythonEnvironment: [String: String] = [:]
        if manifest.language == "python" {
            let python = try PythonEnvironment.interpreter(
                for: manifest, isCancelled: { context.isCancelledNow }, progress: { context.progress(0, $0) })
            if command[0] == "python" || command[0] == "python3" { command[0] = python }
            // The environment's programs first on PATH, and nothing from outside it on sys.path.
            pythonEnvironment = [
                "PATH": URL(fileURLWithPath: python).deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "PYTHONNOUSERSITE": "1", "PYTHONPATH": "", "PYTHONHOME": "",
            ]
        }
        let problemPath = try ExchangeFiles.writeProblem(
            exchange, context: context, threads: context.execution.threads, workDirectory: work, outputDirectory: folder)
        let threads = String(context.execution.threads)
        let environment = [
            "TNBENCH_PROBLEM": problemPath, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        ].merging(pythonEnvironment) { $1 }
        let reporter = context.progressReporter
        let implementationName = name
        // The protocol's epochs (or their maximum), for the progress of epoch events.
        let epochs = (exchange.protocolValues["epochs"] ?? exchange.protocolValues["max_epochs"])?.numericValue
        let log = folder + "/stderr.log"
        // The pid file names a running program only: gone once it has ended.
        defer { try? FileManager.default.removeItem(atPath: folder + "/program.pid") }
        let outcome = try ChildProcess.run(
            command + [problemPath], directory: manifest.directory, environment: environment, standardError: log,
            timeLimit: context.execution.secondsLeftForProgram, pidFile: folder + "/program.pid", isCancelled: { context.isCancelledNow },
            onLine: { line in
                guard let reporter, let event = try? ImplementationEvent(line: line) else { return }
                switch event {
                case .progress(let fraction, let detail): reporter(fraction, "\(implementationName) \(detail)")
                case .epoch(let epoch, _, _):
                    let total = epochs.map { " of \(Int($0))" } ?? ""
                    reporter(epochs.map { Double(epoch) / Swift.max($0, 1) } ?? 0, "\(implementationName) epoch \(epoch)\(total)")
                default: break
                }
            })
        if outcome.ending == .cancelled { throw CancellationError() }
        context.childPeakResidentBytes = outcome.peakResidentBytes
        context.record("process_seconds", outcome.wallSeconds)
        context.setAttribute(ImplementationManifest.configurationKey, .string(name))
        context.setAttribute("implementation_library", .string(manifest.library))
        context.setAttribute("implementation_requirements", .string(manifest.requirements.joined(separator: " ")))
        context.setAttribute("implementation_requirements_hash", .string(manifest.requirementsHash))
        context.setAttribute("implementation_code_hash", .string(manifest.codeHash()))

        var reader = EventReader(
            name: name, exchange: exchange, folder: folder, ending: outcome.ending, log: log,
            acceptsNonFinite: problem.acceptsNonFiniteScores, reportable: reportable)
        if let problem = outcome.outputProblem { throw reader.failure(problem) }
        let final = try reader.replay(outcome.lines, problem: problem, inputs: inputs, context: context)
        guard let final else { throw reader.failure("ended without \"final\" predictions") }
        // The scores are in the record now; the job's folder keeps problem.json and stderr.log.
        for file in reader.readFiles where file.hasPrefix(folder + "/") { try? FileManager.default.removeItem(atPath: file) }
        return final
    }
}

/// Replays an implementation's events into the job's record, in order.
private struct EventReader {
    let name: String
    let exchange: ProblemExchange
    let folder: String
    let ending: ChildProcess.Ending
    let log: String
    /// Whether non-finite scores go to the problem's evaluation (which counts them) rather than
    /// making the job diverged.
    let acceptsNonFinite: Bool
    let reportable: Set<String>
    /// The prediction files read, to remove once the job's record holds what they said.
    var readFiles: [String] = []
    var epochSeconds: [Double] = []

    /// A failure naming the implementation, with how the process ended when that was not a clean exit.
    func failure(_ reason: String) -> HarnessError {
        var message = "\(name): \(reason)"
        switch ending {
        case .exited(0), .cancelled: break
        case .exited(let status): message += "; it exited with status \(status): \(lastError())"
        case .signalled(let signal): message += "; it was killed by signal \(signal): \(lastError())"
        case .timedOut: message += "; it was stopped at the time limit"
        case .lost(let error): message += "; waiting for it failed (\(String(cString: strerror(error))))"
        }
        return HarnessError(.invalidImplementation, message)
    }

    /// The last non-empty line of standard error.
    func lastError() -> String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let last = text.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return last.map { String($0.prefix(300)) } ?? "nothing on standard error (\(log))"
    }

    mutating func replay<Target: Problem>(
        _ lines: [String], problem: Target, inputs: Target.Inputs, context: RunContext
    ) throws -> Predictions? {
        var final: Predictions?
        var nextEpoch = 1
        var sawEnvironment = false, sawWork = false
        var predictedEpochs = 0, lastStep = 0, steps = 0
        var usedFiles: Set<String> = []
        for (offset, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let where_ = "line \(offset + 1) of standard output"
            let event: ImplementationEvent
            do { event = try ImplementationEvent(line: line) } catch {
                throw failure("\(where_): \(error): \(line.prefix(120))")
            }
            guard final == nil else { throw failure("\(where_): an event after the final predictions") }
            switch event {
            case .environment(let libraries, let device, let threads):
                guard !sawEnvironment, !sawWork else {
                    throw failure("\(where_): the environment event comes once, before any epoch or predictions")
                }
                sawEnvironment = true
                let text = libraries.keys.sorted().map { "\($0)==\(libraries[$0]!)" }.joined(separator: " ")
                context.setAttribute("implementation_libraries", .string(text))
                if let device { context.setAttribute("implementation_device", .string(device)) }
                if let threads { context.setAttribute("implementation_threads", .int(threads)) }
            case .epoch(let epoch, let seconds, let loss):
                sawWork = true
                guard sawEnvironment else { throw failure("\(where_): an epoch before the environment event") }
                guard epoch == nextEpoch else { throw failure("\(where_): epoch \(epoch) where epoch \(nextEpoch) was due") }
                if !exchange.schedule.epoch.isEmpty && predictedEpochs < epoch - 1 {
                    throw failure("\(where_): epoch \(epoch) began without predictions after epoch \(epoch - 1)")
                }
                nextEpoch += 1
                epochSeconds.append(seconds)
                context.append(Metric.epochSeconds.name, x: exchange.x(ofEpoch: epoch), y: seconds)
                context.addTimer("train", seconds)
                if let loss {
                    context.append(Metric.trainLoss.name, x: exchange.x(ofEpoch: epoch), y: loss)
                    guard loss.isFinite else { throw Divergence("\(name): the training loss became \(loss) in epoch \(epoch) (\(where_))") }
                }
            case .predictions(let checkpoint, let sets):
                sawWork = true
                let asked = switch checkpoint {
                case .epoch: !exchange.schedule.epoch.isEmpty
                case .step: exchange.schedule.stepInterval > 0 && !exchange.schedule.step.isEmpty
                case .final: true
                }
                guard asked else { throw failure("\(where_): \(checkpoint) predictions were not asked for (see the problem's \"predict\")") }
                guard sawEnvironment else { throw failure("\(where_): predictions before the environment event") }
                if case .step(let n) = checkpoint {
                    // The protocol's evaluations, each once, in order: a best-of over more (or
                    // fewer) checkpoints than native's would not be the paper's metric.
                    let interval = exchange.schedule.stepInterval
                    guard n > lastStep, n % interval == 0 else {
                        throw failure("\(where_): step \(n) predictions, where the next due is step \(lastStep + interval) (every \(interval) steps)")
                    }
                    guard n == lastStep + interval else {
                        throw failure("\(where_): step \(n) predictions skip step \(lastStep + interval) (every \(interval) steps)")
                    }
                    lastStep = n
                    steps += 1
                }
                // Files are read after the program ends: one file per checkpoint, or an earlier
                // checkpoint would be judged by later scores.
                for file in sets.values {
                    let path = file.hasPrefix("/") ? file : "\(folder)/\(file)"
                    guard usedFiles.insert(URL(fileURLWithPath: path).standardizedFileURL.path).inserted else {
                        throw failure("\(where_): \(checkpoint) predictions reuse the file \(file) of an earlier checkpoint (each checkpoint needs its own)")
                    }
                }
                if case .epoch(let n) = checkpoint {
                    guard n == nextEpoch - 1, n > predictedEpochs else {
                        throw failure("\(where_): predictions for epoch \(n) after epoch \(nextEpoch - 1)'s report")
                    }
                    predictedEpochs = n
                }
                let predictions = try read(sets, at: checkpoint, where: where_)
                switch checkpoint {
                case .epoch(let n): try problem.evaluate(predictions, at: .round(n, x: exchange.x(ofEpoch: n)), of: inputs, in: context)
                case .step(let n): try problem.evaluate(predictions, at: .step(n), of: inputs, in: context)
                case .final:
                    if !exchange.schedule.epoch.isEmpty && predictedEpochs < nextEpoch - 1 {
                        throw failure("\(where_): final predictions, but none after epoch \(nextEpoch - 1)")
                    }
                    if let total = exchange.schedule.totalSteps, exchange.schedule.stepInterval > 0, !exchange.schedule.step.isEmpty,
                       nextEpoch - 1 == exchange.protocolEpochs, steps != total / exchange.schedule.stepInterval {
                        throw failure("\(where_): \(steps) step predictions for the protocol's \(total / exchange.schedule.stepInterval) (every \(exchange.schedule.stepInterval) of \(total) steps)")
                    }
                    // The schedule's sets only (``read``), with the ones the problem predicted itself.
                    final = predictions
                    final!.sets.merge(exchange.problemPredictions.sets) { _, problems in problems }
                }
            case .progress:
                break
            case .record(let scalars):
                for name in scalars.keys.sorted() {
                    guard ![Metric.epochs.name, Metric.trainLoss.name, Metric.epochSeconds.name, "process_seconds"].contains(name) else {
                        throw failure("\(where_): record: '\(name)' is recorded by the harness itself (from the epoch events and the process)")
                    }
                    guard scalars[name]!.isFinite else { throw failure("\(where_): record: '\(name)' is \(scalars[name]!), not a finite number") }
                    guard reportable.contains(name) else {
                        throw failure("\(where_): record: '\(name)' is not an informational metric of the suite (it may record: \(reportable.sorted().joined(separator: ", ")))")
                    }
                    context.record(name, scalars[name]!)
                }
            }
        }
        if !epochSeconds.isEmpty {
            context.record(Metric.epochSeconds, epochSeconds.sorted()[epochSeconds.count / 2])
        }
        // The epochs it ran (early stopping shows here), unless the problem records the protocol's;
        // the last epoch's training loss, unless the problem records one.
        if context.recorded(Metric.epochs) == nil { context.record(Metric.epochs, Double(epochSeconds.count)) }
        if context.recorded(Metric.trainLoss) == nil, let last = context.recorded.curves[Metric.trainLoss.name]?.y.last {
            context.record(Metric.trainLoss, last)
        }
        if ending != .exited(0) {
            throw failure(final == nil ? "no final predictions" : "its final predictions are not used")
        }
        return final
    }

    /// The score files of an event, checked: the sets the schedule asks for at that checkpoint,
    /// one row per sample, two dimensions, finite.
    mutating func read(_ files: [String: String], at checkpoint: ImplementationCheckpoint, where place: String) throws -> Predictions {
        let kind: Checkpoint = switch checkpoint {
        case .epoch(let n): .round(n, x: exchange.x(ofEpoch: n))
        case .step(let n): .step(n)
        case .final: .final
        }
        let wanted = exchange.sets(at: kind)
        if let missing = wanted.first(where: { files[$0] == nil }) {
            throw failure("\(place): \(checkpoint) predictions lack the \(missing) set (wanted: \(wanted.joined(separator: ", ")))")
        }
        var predictions = Predictions()
        for set in wanted {
            let file = files[set]!
            let path = file.hasPrefix("/") ? file : "\(folder)/\(file)"
            // A size a score file can have (up to 65,536 outputs of float64 a row), checked
            // before reading: a runaway program does not take the harness's memory with it.
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0
            let most = 65_536 + (exchange.rows(of: set) ?? 1_000_000) * 65_536 * 8
            guard size <= most else {
                throw failure("\(place): \(checkpoint) predictions of \(set): \(path) has \(size) bytes, more than scores of its rows can")
            }
            readFiles.append(URL(fileURLWithPath: path).standardizedFileURL.path)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw failure("\(place): \(checkpoint) predictions of \(set): cannot read \(path)")
            }
            let array: NpyArray
            do { array = try NpyArray(decoding: data) } catch {
                throw failure("\(place): \(checkpoint) predictions of \(set): \(path): \(error)")
            }
            let rows = exchange.rows(of: set)
            let scores: Scores
            switch array {
            case .float(let t): scores = .float(t)
            case .double(let t): scores = .double(t)
            case .int64: throw failure("\(place): \(checkpoint) predictions of \(set) are integers; scores are float32 or float64")
            }
            guard array.shape.count == 2, array.shape[1] >= 1, rows == nil || array.shape[0] == rows else {
                throw failure("\(place): \(checkpoint) predictions of \(set) have shape \(array.shape); expected [\(rows.map(String.init) ?? "rows"), outputs]")
            }
            let nonFinite: Int? = switch scores {
            case .float(let t): t.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
            case .double(let t): t.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
            }
            if let index = nonFinite, !acceptsNonFinite {
                throw Divergence("\(name): \(checkpoint) predictions of \(set) are not finite (row \(index / array.shape[1])) (\(place))")
            }
            predictions.sets[set] = scores
        }
        return predictions
    }
}
