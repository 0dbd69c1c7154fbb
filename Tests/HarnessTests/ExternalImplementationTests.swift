import Foundation
import Testing
@testable import Harness
import TensorCore
import _TestSupport

/// The fixture tree: `Fixtures/Suites/Toy/implementations/<name>/` holds one small Python program
/// per fault of docs/IMPLEMENTATIONS.md ("What the harness does with it"), plus `good`.
let implementationFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures"

/// A problem small enough to check by hand: 30 samples of 4 features (i, i mod 3, i mod 2,
/// i mod 5) in 3 classes (i mod 3); samples 0–19 train, 20–29 test. Exchanged: train inputs and
/// labels, test inputs only; test scores after every epoch and at the end.
struct ExchangeToyProblem: Problem {
    struct Inputs {
        var train: Tensor<Float>, trainLabels: [Int]
        var test: Tensor<Float>, testLabels: [Int]
    }

    static func samples(_ range: Range<Int>) -> (Tensor<Float>, [Int]) {
        let features = range.flatMap { i in [Float(i), Float(i % 3), Float(i % 2), Float(i % 5)] }
        return (Tensor(shape: [range.count, 4], scalars: features), range.map { $0 % 3 })
    }

    /// The fixtures' rule (`toy_contract.rule`): class = column 2 (i mod 2), right for 24 and 25
    /// of the test samples; its accuracy.
    static let ruleAccuracy = 0.2
    /// Every test sample class 0 (the `good` fixture's epoch-1 scores): right for 21, 24, 27.
    static let zeroAccuracy = 0.3

    func inputs(for context: RunContext) throws -> Inputs {
        let (train, trainLabels) = Self.samples(0..<20)
        let (test, testLabels) = Self.samples(20..<30)
        return Inputs(train: train, trainLabels: trainLabels, test: test, testLabels: testLabels)
    }

    func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        let accuracy = try predictions.scores("test", suite: context.suite).accuracy(labels: inputs.testLabels)
        switch checkpoint {
        case .round(_, let x): context.append(Metric.testAccuracy.name, x: x, y: accuracy)
        case .final:
            context.record(.testAccuracy, accuracy)
            // Variant c: the share of test samples on which the program agrees with the problem's own scores.
            if let reference = predictions.sets["reference"] {
                let agreement = try predictions.scores("test", suite: context.suite).accuracy(labels: reference.predictedClasses)
                context.record("reference_agreement", agreement)
            }
        case .step: break
        }
        return [.testAccuracy: accuracy]
    }

    var isExchangeable: Bool { true }

    /// Variant c: every test sample class 0 by the problem's own scores (`reference`), kept back
    /// from the program and added to its final predictions.
    static let reference = Scores.float(Tensor(shape: [10, 3], scalars: (0..<10).flatMap { _ in [Float(1), 0, 0] }))

    func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        ProblemExchange(
            sets: ["train": ["inputs": .float(inputs.train), "labels": .labels(inputs.trainLabels)],
                   "test": ["inputs": .float(inputs.test)]],
            protocolValues: ["epochs": 2, "learning_rate": 0.1],
            // Variant b also asks for the test scores every 2 of its 4 steps (2 an epoch).
            schedule: context.configuration["variant"] == "b"
                ? PredictionSchedule(epoch: ["test"], stepInterval: 2, step: ["test"], final: ["test"], totalSteps: 4)
                : PredictionSchedule(epoch: ["test"], final: ["test"]),
            problemPredictions: context.configuration["variant"] == "c" ? Predictions(["reference": Self.reference]) : Predictions())
    }
}

/// The native implementation: the fixtures' rule, in Swift.
struct ExchangeToyNative: Implementation {
    var name: String { ImplementationManifest.native }
    func train(_ inputs: ExchangeToyProblem.Inputs, for problem: ExchangeToyProblem, in context: RunContext) throws -> Predictions {
        let rows = inputs.test.shape[0]
        var scores = [Float](repeating: 0, count: rows * 3)
        for row in 0..<rows { scores[row * 3 + Int(inputs.test.scalars[row * 4 + 2])] = 1 }
        return Predictions(["test": .float(Tensor(shape: [rows, 3], scalars: scores))])
    }
}

struct ExchangeToySuite: ProblemSuite {
    var name: String { "Toy" }
    var summary: String { "toy problem for external implementations" }
    var paper: PaperReference { PaperReference(title: "t", authors: "a", year: 2026, baselineID: "toy") }
    var metrics: [Metric] { [.testAccuracy, .epochSeconds, .parameterCount] }
    var figures: [FigureSpec] { [] }
    func plan(for tier: Tier) -> TierPlan {
        TierPlan(configurations: [["variant": "a"], ["variant": "b"]], seeds: 1, summary: "toy")
    }
    var problem: ExchangeToyProblem { ExchangeToyProblem() }
    var implementations: [any Implementation<ExchangeToyProblem>] { [ExchangeToyNative()] }
    var catalogue: ImplementationCatalogue { ImplementationCatalogue(root: implementationFixtures) }
}

/// External implementations under the harness: every fault costs its job only, with a message
/// naming the implementation and the fault; a good one is judged by its predictions.
@Suite struct ExternalImplementationTests {
    static let catalogue = ImplementationCatalogue(root: implementationFixtures)
    /// Every fixture, sorted (what the catalogue must list).
    static let fixtures = [
        "after-final", "epoch-order", "escaped-child", "exit-nonzero", "good", "integer-scores", "killed", "missing-file", "missing-set",
        "nan-loss", "nan-scores", "narrow", "no-command", "no-environment", "no-final", "not-json", "not-npy", "records-epochs",
        "records-nan", "records-quality", "reuse-file", "sleeper", "step-missing", "step-repeat", "step-skip", "unasked-step", "unknown-event", "wrong-shape",
    ]

    static func planned(_ implementation: String, variant: String = "a") -> PlannedJob {
        PlannedJob(
            suite: ExchangeToySuite(),
            job: Job(suite: "Toy", configuration: ["variant": .string(variant), "implementation": .string(implementation)], seed: 0),
            settings: [:])
    }

    static func run(_ implementation: String, variant: String = "a", work: String = temporaryDirectory()) -> JobRecord? {
        let outcome = JobExecution.run(planned(implementation, variant: variant), tier: .smoke, dataDirectory: "/nonexistent", workDirectory: work)
        guard case .finished(let record) = outcome else { return nil }
        return record
    }

    struct Fault: Sendable, CustomTestStringConvertible {
        var name: String
        var status: JobStatus
        /// What the message must contain besides the implementation's name.
        var fragments: [String]
        /// The toy's variant the fault shows on (b asks for step predictions).
        var variant = "a"
        var testDescription: String { name }
    }

    static let faults: [Fault] = [
        Fault(name: "exit-nonzero", status: .failed, fragments: ["no final predictions", "exited with status 3", "boom: the toy model exploded"]),
        Fault(name: "not-json", status: .failed, fragments: ["line 2 of standard output", "not a JSON object", "training started"]),
        Fault(name: "unknown-event", status: .failed, fragments: ["line 2 of standard output", "unknown event \"metrics\""]),
        Fault(name: "records-quality", status: .failed, fragments: [
            "line 2 of standard output", "record: 'test_accuracy' is not an informational metric of the suite (it may record: param_count)",
        ]),
        Fault(name: "no-final", status: .failed, fragments: ["ended without \"final\" predictions"]),
        Fault(name: "missing-set", status: .failed, fragments: ["line 2 of standard output", "final predictions lack the test set"]),
        Fault(name: "wrong-shape", status: .failed, fragments: ["line 2 of standard output", "shape [7, 3]", "expected [10, outputs]"]),
        Fault(name: "integer-scores", status: .failed, fragments: ["line 2 of standard output", "are integers"]),
        Fault(name: "nan-loss", status: .diverged, fragments: ["training loss became nan in epoch 2", "line 4 of standard output"]),
        Fault(name: "nan-scores", status: .diverged, fragments: ["final predictions of test are not finite (row 4)", "line 2 of standard output"]),
        Fault(name: "epoch-order", status: .failed, fragments: ["line 3 of standard output", "epoch 3 where epoch 2 was due"]),
        Fault(name: "after-final", status: .failed, fragments: ["line 3 of standard output", "an event after the final predictions"]),
        Fault(name: "no-command", status: .failed, fragments: ["exited with status 127", "does-not-exist"]),
        Fault(name: "missing-file", status: .failed, fragments: ["line 2 of standard output", "final predictions of test: cannot read", "/nowhere.npy"]),
        Fault(name: "not-npy", status: .failed, fragments: ["line 2 of standard output", "final-test.npy: not a .npy file"]),
        Fault(name: "killed", status: .failed, fragments: ["no final predictions", "killed by signal 9", "about to be killed"]),
        Fault(name: "step-skip", status: .failed, fragments: ["line 2 of standard output", "step 4 predictions skip step 2"], variant: "b"),
        Fault(name: "step-repeat", status: .failed, fragments: ["line 3 of standard output", "step 2 predictions, where the next due is step 4"], variant: "b"),
        Fault(name: "step-missing", status: .failed, fragments: [
            "line 6 of standard output", "0 step predictions for the protocol's 2 (every 2 of 4 steps)",
        ], variant: "b"),
        Fault(name: "reuse-file", status: .failed, fragments: [
            "line 6 of standard output", "final predictions reuse the file epoch-2-test.npy of an earlier checkpoint",
        ]),
        Fault(name: "no-environment", status: .failed, fragments: ["line 1 of standard output", "an epoch before the environment event"]),
        Fault(name: "records-epochs", status: .failed, fragments: ["line 2 of standard output", "record: 'epochs' is recorded by the harness itself"]),
        Fault(name: "records-nan", status: .failed, fragments: ["line 2 of standard output", "record: 'param_count' is nan, not a finite number"]),
        Fault(name: "escaped-child", status: .failed, fragments: ["a process it started kept its standard output open after it ended"]),
    ]

    @Test(arguments: faults)
    func aFaultCostsItsJobWithAMessageNamingIt(fault: Fault) throws {
        let record = try #require(Self.run(fault.name, variant: fault.variant))
        #expect(record.status == fault.status, "\(record.message)")
        #expect(record.message.hasPrefix("\(fault.name): "), "\(record.message)")
        for fragment in fault.fragments {
            #expect(record.message.contains(fragment), "\(record.message) lacks \(fragment)")
        }
        #expect(record.record.scalars["test_accuracy"] == nil, "a faulty job has no final quality")
    }

    @Test func aGoodImplementationIsJudgedByItsPredictions() throws {
        let work = temporaryDirectory()
        let record = try #require(Self.run("good", work: work))
        #expect(record.status == .completed, "\(record.message)")
        let scalars = record.record.scalars, curves = record.record.curves, attributes = record.record.attributes
        // Quality is the problem's evaluation of the scores, at every checkpoint.
        #expect(scalars["test_accuracy"] == ExchangeToyProblem.ruleAccuracy)
        #expect(curves["test_accuracy"] == Curve(x: [1, 2], y: [ExchangeToyProblem.zeroAccuracy, ExchangeToyProblem.ruleAccuracy]))
        // Speed is what it reports per epoch; loss too.
        #expect(curves["epoch_seconds"] == Curve(x: [1, 2], y: [0.5, 0.25]))
        #expect(curves["train_loss"] == Curve(x: [1, 2], y: [1.0, 0.5]))
        #expect(scalars["epoch_seconds"] == 0.5)
        // An informational metric it measures itself, through the record event.
        #expect(scalars["param_count"] == 12)
        #expect(record.record.timers["train"] == 0.75)
        #expect((scalars["process_seconds"] ?? 0) > 0)
        #expect((record.peakResidentBytes ?? 0) > 0)
        #expect(attributes["implementation"] == "good")
        #expect(attributes["implementation_library"] == "numpy")
        #expect(attributes["implementation_libraries"] == "toy==1.0")
        #expect(attributes["implementation_device"] == "cpu")
        #expect(attributes["implementation_threads"] == 1)
        #expect(attributes["implementation_requirements_hash"] != nil)
        #expect(record.job.configuration["implementation"] == "good")

        // The problem file: the job's identity without the implementation key, no test labels.
        let folder = work + "/jobs/Toy/implementation=good,variant=a/seed-0"
        let data = try #require(FileManager.default.contents(atPath: folder + "/problem.json"))
        let problem = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(problem["contract"] as? Int == 1 && problem["suite"] as? String == "Toy" && problem["seed"] as? Int == 0)
        #expect(problem["configuration"] as? [String: String] == ["variant": "a"])
        #expect((problem["protocol"] as? [String: Any])?["epochs"] as? Int == 2)
        let sets = try #require(problem["data"] as? [String: [String: String]])
        #expect(sets["train"]?.keys.sorted() == ["inputs", "labels"])
        #expect(sets["test"]?.keys.sorted() == ["inputs"])
        let predict = try #require(problem["predict"] as? [String: Any])
        #expect(predict["epoch"] as? [String] == ["test"] && predict["final"] as? [String] == ["test"] && predict["step"] == nil)
        let testPath = try #require(sets["test"]?["inputs"])
        let testInputs = try NpyArray(decoding: try #require(FileManager.default.contents(atPath: testPath)))
        #expect(testInputs.shape == [10, 4])

        // A second job of the same data shares the exchange's arrays.
        let other = try #require(Self.run("good", variant: "b", work: work))
        #expect(other.status == .completed && other.record.scalars["test_accuracy"] == ExchangeToyProblem.ruleAccuracy)
        let exchange = try FileManager.default.contentsOfDirectory(atPath: work + "/exchange")
        #expect(exchange.count == 3 && exchange.allSatisfy { $0.hasSuffix(".npy") }, "\(exchange)")
    }

    /// Step predictions when `predict` has no `step` (a contract fault): a failure naming the
    /// implementation and the line — never an error of the problem's that says no test
    /// predictions came when they did.
    @Test func unaskedPredictionsAreBlamedOnTheirLine() throws {
        let record = try #require(Self.run("unasked-step"))
        #expect(record.status == .failed)
        #expect(record.message.hasPrefix("unasked-step: ") && record.message.contains("line 2 of standard output"), "\(record.message)")
        #expect(record.message.contains("step 5 predictions were not asked for"), "\(record.message)")
    }

    /// Variant b's protocol evaluates every 2 steps: the good program's step scores are
    /// evaluated in order, and its prediction files are gone once the record holds them.
    @Test func stepPredictionsFollowTheProtocol() throws {
        let work = temporaryDirectory()
        let record = try #require(Self.run("good", variant: "b", work: work))
        #expect(record.status == .completed, "\(record.message)")
        let folder = work + "/jobs/Toy/implementation=good,variant=b/seed-0"
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(left == ["problem.json", "stderr.log"], "\(left)")
    }

    /// Variant c: scores the problem made itself (a teacher the protocol trains) are not handed
    /// over nor asked for, and join the program's final predictions before they are judged.
    @Test func theProblemsOwnPredictionsJoinTheFinalOnes() throws {
        let work = temporaryDirectory()
        let record = try #require(Self.run("good", variant: "c", work: work))
        #expect(record.status == .completed, "\(record.message)")
        // The good program's final classes are i mod 2 over samples 20–29; the reference says 0 for all.
        #expect(record.record.scalars["reference_agreement"] == 0.5)
        let data = try #require(FileManager.default.contents(atPath: work + "/jobs/Toy/implementation=good,variant=c/seed-0/problem.json"))
        let problem = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((problem["predict"] as? [String: Any])?["final"] as? [String] == ["test"])
        #expect((problem["data"] as? [String: Any])?["reference"] == nil)
    }

    /// The recorded peak is the program's own: Linux carries the spawning process's high-water
    /// mark into the child's `ru_maxrss` at exec, so a harness holding 512 MiB of data would
    /// report every program as at least that large.
    @Test func thePeakMemoryIsTheProgramsOwn() throws {
        let held = [UInt8](repeating: 1, count: 512 << 20)
        let record = try #require(Self.run("good"))
        #expect(held.last == 1)
        let peak = try #require(record.peakResidentBytes)
        #expect(peak > 1_048_576 && peak < 400 * 1_048_576, "a small python program's peak: \(peak / 1_048_576) MiB")
    }

    @Test func theTimeLimitStopsTheProgram() throws {
        let execution = JobExecutionSettings(workDirectory: temporaryDirectory(), timeLimitSeconds: 1)
        let context = RunContext(
            suite: "Toy", tier: .paper, configuration: ["variant": "a", "implementation": "sleeper"], seed: 0,
            dataDirectory: "/nonexistent", execution: execution)
        #expect(context.implementation == "sleeper" && context.configuration == ["variant": "a"])
        let start = Date()
        do {
            try ExchangeToySuite().run(context)
            Issue.record("a program past the time limit ran to the end")
        } catch let error as HarnessError {
            #expect(error.kind == .invalidImplementation)
            #expect(error.message.hasPrefix("sleeper: ") && error.message.contains("stopped at the time limit"), "\(error.message)")
        }
        #expect(Date().timeIntervalSince(start) < 8, "stopped soon after the limit (it sleeps 20 s)")
    }

    @Test func anInterruptionStopsTheProgramWithoutARecord() throws {
        let planned = Self.planned("sleeper")
        let start = Date()
        let outcome = JobExecution.run(
            planned, tier: .paper, dataDirectory: "/nonexistent", workDirectory: temporaryDirectory(), isCancelled: { true })
        guard case .cancelled = outcome else {
            Issue.record("an interrupted external job was recorded: \(outcome)")
            return
        }
        #expect(Date().timeIntervalSince(start) < 8)
    }

    @Test func anUnknownImplementationAtRunTimeNamesTheOnesThereAre() throws {
        let context = RunContext(
            suite: "Toy", tier: .smoke, configuration: ["variant": "a", "implementation": "torch"], seed: 0, dataDirectory: "/x")
        do {
            try ExchangeToySuite().run(context)
            Issue.record("ran an implementation that does not exist")
        } catch let error as HarnessError {
            #expect(error.kind == .unknownImplementation)
            #expect(error.message.contains("'torch'") && error.message.contains("native, after-final"), "\(error.message)")
        }
    }

    // MARK: A run of several implementations

    @Test func aRunOfGoodAndBrokenImplementationsRecordsEveryJobAndResumes() throws {
        let root = temporaryDirectory()
        let chosen = ["native", "good", "nan-loss", "exit-nonzero", "wrong-shape", "narrow"]
        let jobs = try JobPlanner.plan(
            suites: [ExchangeToySuite()], tier: .smoke, implementations: .named(chosen), catalogue: Self.catalogue)
        #expect(jobs.count == 11, "5 implementations × 2 variants, narrow only for a")
        let directory = ResultDirectory(root + "/run")
        let runner = Runner(directory: directory, tier: .smoke, dataDirectory: "/nonexistent")
        let first = try BLASThreadsLock.withLock { try runner.run(jobs, shouldStop: { false }) }
        #expect(first.completed == 5 && first.failed == 4 && first.diverged == 2 && first.skipped == 0)
        #expect(first.exitStatus == .jobFailed)

        let expected: [String: JobStatus] = [
            "native": .completed, "good": .completed, "narrow": .completed, "nan-loss": .diverged, "exit-nonzero": .failed,
            "wrong-shape": .failed,
        ]
        for planned in jobs {
            let name = planned.job.configuration["implementation"]?.description ?? "native"
            let record = try directory.readRecord(planned.job)
            #expect(record.status == expected[name], "\(planned.job): \(record.message)")
            if record.status == .completed {
                #expect(record.record.scalars["test_accuracy"] == ExchangeToyProblem.ruleAccuracy, "\(planned.job)")
            } else {
                #expect(record.message.hasPrefix("\(name): "), "\(record.message)")
            }
        }
        let results = try directory.loadResults()
        #expect(results.records.count == 11)

        let second = try BLASThreadsLock.withLock { try runner.run(jobs, shouldStop: { false }) }
        #expect(second.skipped == 11 && second.completed + second.failed + second.diverged == 0)
    }

    // MARK: Planning

    @Test func selectionsParseNamesListsAndAll() throws {
        #expect(try ImplementationSelection(parsing: []) == .native)
        #expect(try ImplementationSelection(parsing: ["all"]) == .all)
        #expect(try ImplementationSelection(parsing: ["good", "native,all"]) == .all)
        #expect(try ImplementationSelection(parsing: ["good, nan-loss", "good", " narrow "]) == .named(["good", "nan-loss", "narrow"]))
        for empty in ["", " ", "good,", ",", "a,,b"] {
            #expect(throws: HarnessError.self, "'\(empty)'") { try ImplementationSelection(parsing: [empty]) }
        }
        #expect(ImplementationSelection.native.arguments == [])
        #expect(ImplementationSelection.all.arguments == ["all"])
        #expect(ImplementationSelection.named(["native", "good"]).arguments == ["native", "good"])
    }

    @Test func theCatalogueListsTheFixturesAndTheSuiteItsImplementations() {
        #expect(Self.catalogue.names(of: "Toy") == Self.fixtures)
        #expect(Self.catalogue.names(of: "NoSuchSuite") == [])
        #expect(ExchangeToySuite().implementationNames(in: Self.catalogue) == ["native"] + Self.fixtures)
    }

    @Test func allInterleavesImplementationsWithinConfigurationAndSeed() throws {
        let jobs = try JobPlanner.plan(
            suites: [ExchangeToySuite()], tier: .smoke, seeds: 2, implementations: .all, catalogue: Self.catalogue)
        var expected: [String] = []
        for variant in ["a", "b"] {
            for seed in 0..<2 {
                // sleeper runs at the paper tier only; narrow only variant a.
                for name in ["native"] + Self.fixtures where name != "sleeper" && (name != "narrow" || variant == "a") {
                    let implementation = name == "native" ? "" : "implementation=\(name),"
                    expected.append("\(implementation)variant=\(variant) \(seed)")
                }
            }
        }
        #expect(jobs.map { "\($0.job.configuration.name) \($0.job.seed)" } == expected)
    }

    @Test func manifestsLeaveOutTheTiersAndConfigurationsTheyDoNotSupport() throws {
        let paper = try JobPlanner.plan(
            suites: [ExchangeToySuite()], tier: .paper, implementations: .named(["sleeper", "narrow"]), catalogue: Self.catalogue)
        #expect(paper.map(\.job.configuration.name) == ["implementation=sleeper,variant=a", "implementation=sleeper,variant=b"])
        let smoke = try JobPlanner.plan(
            suites: [ExchangeToySuite()], tier: .smoke, implementations: .named(["sleeper", "narrow"]), catalogue: Self.catalogue)
        #expect(smoke.map(\.job.configuration.name) == ["implementation=narrow,variant=a"])
        let native = try JobPlanner.plan(suites: [ExchangeToySuite()], tier: .smoke, catalogue: Self.catalogue)
        #expect(native.map(\.job.configuration.name) == ["variant=a", "variant=b"], "native alone by default, without the key")
    }

    /// A catalogue under a temporary root with one implementation folder `name` holding `manifest`.
    static func catalogue(folder name: String, manifest: String) throws -> ImplementationCatalogue {
        let root = temporaryDirectory()
        let folder = root + "/Suites/Toy/implementations/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try manifest.write(toFile: folder + "/implementation.json", atomically: true, encoding: .utf8)
        return ImplementationCatalogue(root: root)
    }

    @Test func aBrokenManifestStopsThePlanNamingItsFile() throws {
        let catalogue = try Self.catalogue(folder: "broken", manifest: #"{"contract": 1, "name": "broken"}"#)
        for selection in [ImplementationSelection.all, .named(["broken"])] {
            do {
                _ = try JobPlanner.plan(suites: [ExchangeToySuite()], tier: .smoke, implementations: selection, catalogue: catalogue)
                Issue.record("planned an implementation whose manifest is broken")
            } catch let error as HarnessError {
                #expect(error.kind == .invalidImplementation)
                #expect(error.message.contains("/broken/implementation.json: "), "\(error.message)")
            }
        }
        // Native alone does not read the catalogue's manifests.
        #expect(try JobPlanner.plan(suites: [ExchangeToySuite()], tier: .smoke, catalogue: catalogue).count == 2)
    }

    /// A folder named `native` (its manifest is invalid: the name is reserved) must not give
    /// `--implementation all` each native job twice.
    @Test func aFolderNamedNativeIsNotASecondNative() throws {
        let manifest = #"{"contract": 1, "name": "native", "description": "d", "language": "executable", "library": "x", "command": ["./x"]}"#
        let catalogue = try Self.catalogue(folder: "native", manifest: manifest)
        do {
            let jobs = try JobPlanner.plan(suites: [ExchangeToySuite()], tier: .smoke, implementations: .all, catalogue: catalogue)
            #expect(jobs.map(\.job.configuration.name) == ["variant=a", "variant=b"])
        } catch let error as HarnessError {
            #expect(error.message.contains("native"), "\(error.message)")
        }
    }

    @Test func anUnknownNamedImplementationIsOneErrorNamingTheOnesThereAre() {
        do {
            _ = try JobPlanner.plan(
                suites: [ExchangeToySuite()], tier: .smoke, implementations: .named(["good", "tensorkrowch"]), catalogue: Self.catalogue)
            Issue.record("planned an implementation that does not exist")
        } catch let error as HarnessError {
            #expect(error.kind == .unknownImplementation)
            #expect(error.message.contains("'tensorkrowch'"), "\(error.message)")
            #expect(error.message.contains("good") && error.message.contains("native") && error.message.contains("wrong-shape"), "\(error.message)")
        } catch {
            Issue.record("not a HarnessError: \(error)")
        }
    }
}
