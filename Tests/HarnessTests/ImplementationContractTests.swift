import Foundation
import Testing
@testable import Harness

/// The two texts of the contract an implementation writes: its event lines and its manifest.
@Suite struct ImplementationContractTests {
    // MARK: Events

    @Test func eachEventParses() throws {
        #expect(try ImplementationEvent(line: #"{"event": "environment", "libraries": {"numpy": "2.4.6"}, "device": "cpu", "threads": 2}"#)
            == .environment(libraries: ["numpy": "2.4.6"], device: "cpu", threads: 2))
        #expect(try ImplementationEvent(line: #"{"event": "environment"}"#) == .environment(libraries: [:], device: nil, threads: nil))
        #expect(try ImplementationEvent(line: #"{"event": "epoch", "epoch": 1, "seconds": 0.84, "loss": 0.412}"#)
            == .epoch(1, seconds: 0.84, loss: 0.412))
        #expect(try ImplementationEvent(line: #"{"event":"epoch","epoch":2,"seconds":0}"#) == .epoch(2, seconds: 0, loss: nil))
        #expect(try ImplementationEvent(line: #"{"event": "epoch", "epoch": 3, "seconds": 1, "loss": null}"#) == .epoch(3, seconds: 1, loss: nil))
        #expect(try ImplementationEvent(line: #"{"event": "predictions", "checkpoint": {"step": 5}, "sets": {"test": "step-5-test.npy"}}"#)
            == .predictions(.step(5), sets: ["test": "step-5-test.npy"]))
        #expect(try ImplementationEvent(line: #"{"event": "predictions", "checkpoint": {"epoch": 1}, "sets": {"test": "/a/b.npy", "validation": "v.npy"}}"#)
            == .predictions(.epoch(1), sets: ["test": "/a/b.npy", "validation": "v.npy"]))
        #expect(try ImplementationEvent(line: #"{"event": "predictions", "checkpoint": "final", "sets": {"test": "final-test.npy"}}"#)
            == .predictions(.final, sets: ["test": "final-test.npy"]))
        #expect(try ImplementationEvent(line: #"{"event": "progress", "fraction": 0.5, "detail": "step 5/10"}"#) == .progress(0.5, detail: "step 5/10"))
        #expect(try ImplementationEvent(line: #"{"event": "progress", "fraction": 1.5}"#) == .progress(1, detail: ""), "clamped to [0, 1]")
        #expect(try ImplementationEvent(line: #"{"event": "record", "scalars": {"param_count": 1602, "init_scale_factor": -1.5}}"#)
            == .record(scalars: ["param_count": 1602, "init_scale_factor": -1.5]))
        #expect(ImplementationCheckpoint.epoch(2).description == "epoch 2" && ImplementationCheckpoint.final.description == "final")
    }

    /// Python's `json.dumps(float("nan"))` writes bare `NaN`, `Infinity`, `-Infinity`.
    @Test func pythonsNonFiniteNumbersAreRead() throws {
        func loss(_ text: String) throws -> Double? {
            guard case .epoch(_, _, let loss) = try ImplementationEvent(line: #"{"event": "epoch", "epoch": 1, "seconds": 0.5, "loss": "# + text + "}") else { return nil }
            return loss
        }
        #expect(try loss("NaN")?.isNaN == true)
        #expect(try loss("Infinity") == .infinity)
        #expect(try loss("-Infinity") == -.infinity)
        #expect(throws: ImplementationEventError.self) { try ImplementationEvent(line: #"{"event": "epoch", "epoch": 1, "seconds": NaN}"#) }
        #expect(throws: ImplementationEventError.self) { try ImplementationEvent(line: #"{"event": "epoch", "epoch": 1, "seconds": Infinity}"#) }
        #expect(throws: ImplementationEventError.self) { try ImplementationEvent(line: #"{"event": "progress", "fraction": NaN}"#) }
    }

    @Test func nonFiniteWordsInsideStringsAreLeftAlone() throws {
        let detail = #"loss NaN at \"Infinity\" -Infinity"#
        #expect(try ImplementationEvent(line: #"{"event": "progress", "fraction": 0.25, "detail": "\#(detail)"}"#)
            == .progress(0.25, detail: #"loss NaN at "Infinity" -Infinity"#))
        #expect(try ImplementationEvent(line: #"{"event": "environment", "libraries": {"NaN": "Infinity"}, "device": "NaN"}"#)
            == .environment(libraries: ["NaN": "Infinity"], device: "NaN", threads: nil))
        #expect(ImplementationEvent.quotingNonFinite(#"{"a": NaN, "b": "NaN\\", "c": -Infinity}"#)
            == #"{"a": "NaN", "b": "NaN\\", "c": "-Infinity"}"#)
    }

    @Test(arguments: [
        ("training started", "not a JSON object"),
        ("", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        (#"{"event": "epoch""#, "not a JSON object"),
        (#"{"epoch": 1, "seconds": 1}"#, "no \"event\" field"),
        (#"{"event": 3}"#, "no \"event\" field"),
        (#"{"event": "metrics", "accuracy": 1}"#, "unknown event \"metrics\""),
        (#"{"event": "record", "scalars": {}}"#, "\"scalars\" must map metric names to numbers"),
        (#"{"event": "record", "scalars": {"param_count": "many"}}"#, "\"param_count\" must be a number"),
        (#"{"event": "record", "scalars": {"param_count": true}}"#, "\"param_count\" must be a number"),
        (#"{"event": "environment", "libraries": {"numpy": 2}}"#, "\"libraries\" must map names to version strings"),
        (#"{"event": "epoch", "seconds": 1}"#, "epoch: \"epoch\" must be an integer"),
        (#"{"event": "epoch", "epoch": 1.5, "seconds": 1}"#, "epoch: \"epoch\" must be an integer"),
        (#"{"event": "epoch", "epoch": true, "seconds": 1}"#, "epoch: \"epoch\" must be an integer"),
        (#"{"event": "epoch", "epoch": 1}"#, "\"seconds\" must be a finite number ≥ 0"),
        (#"{"event": "epoch", "epoch": 1, "seconds": -0.5}"#, "\"seconds\" must be a finite number ≥ 0"),
        (#"{"event": "epoch", "epoch": 1, "seconds": 1, "loss": "low"}"#, "\"loss\" must be a number"),
        (#"{"event": "epoch", "epoch": 1, "seconds": 1, "loss": [1]}"#, "\"loss\" must be a number"),
        (#"{"event": "predictions", "checkpoint": "last", "sets": {"test": "a.npy"}}"#, "\"checkpoint\" must be"),
        (#"{"event": "predictions", "checkpoint": {"round": 1}, "sets": {"test": "a.npy"}}"#, "\"checkpoint\" must be"),
        (#"{"event": "predictions", "checkpoint": {"epoch": -1}, "sets": {"test": "a.npy"}}"#, "\"checkpoint\" must be"),
        (#"{"event": "predictions", "checkpoint": {"epoch": 1, "step": 2}, "sets": {"test": "a.npy"}}"#, "\"checkpoint\" must be"),
        (#"{"event": "predictions", "checkpoint": "final"}"#, "\"sets\" must map set names"),
        (#"{"event": "predictions", "checkpoint": "final", "sets": {}}"#, "\"sets\" must map set names"),
        (#"{"event": "predictions", "checkpoint": "final", "sets": {"test": 3}}"#, "\"sets\" must map set names"),
        (#"{"event": "progress"}"#, "\"fraction\" must be a number"),
    ])
    func malformedEventsSayWhatIsWrong(line: String, reason: String) {
        do {
            let event = try ImplementationEvent(line: line)
            Issue.record("parsed \(line) as \(event)")
        } catch {
            #expect(error.description.contains(reason), "\(line): \(error.description)")
        }
    }

    // MARK: Manifests

    /// Writes `json` as `<temporary>/<folder>/implementation.json` and reads it.
    static func manifest(_ json: String, folder: String = "toy") throws -> ImplementationManifest {
        let directory = temporaryDirectory() + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try json.write(toFile: directory + "/implementation.json", atomically: true, encoding: .utf8)
        return try ImplementationManifest(directory: directory)
    }

    static let valid = """
        {"contract": 1, "name": "toy", "description": "a toy", "language": "python", "library": "torch",
         "requirements": ["torch==2.13.0", "numpy==2.4.6"], "command": ["python", "train.py"],
         "tiers": ["smoke", "ci"], "configurations": [{"network": "fc2"}, {"network": "mpo", "D": 4}], "gpu": true}
        """

    @Test func aValidManifestReadsEveryField() throws {
        let manifest = try Self.manifest(Self.valid)
        #expect(manifest.contract == 1 && manifest.name == "toy" && manifest.description == "a toy")
        #expect(manifest.language == "python" && manifest.library == "torch" && manifest.gpu)
        #expect(manifest.requirements == ["torch==2.13.0", "numpy==2.4.6"] && manifest.command == ["python", "train.py"])
        #expect(manifest.tiers == [.smoke, .ci])
        #expect(manifest.configurations == [["network": "fc2"], ["network": "mpo", "D": 4]])
        #expect(manifest.directory.hasSuffix("/toy") && manifest.directory.hasPrefix("/"))
        #expect(manifest.supports(["network": "fc2", "D": 8], at: .smoke))
        #expect(manifest.supports(["network": "mpo", "D": 4], at: .ci))
        #expect(!manifest.supports(["network": "mpo", "D": 8], at: .ci))
        #expect(!manifest.supports(["network": "fc2"], at: .paper))

        // The environment's identity: the requirements as a set, and the language.
        let reordered = try Self.manifest(Self.valid.replacingOccurrences(
            of: #"["torch==2.13.0", "numpy==2.4.6"]"#, with: #"["numpy==2.4.6", "torch==2.13.0"]"#))
        #expect(reordered.requirementsHash == manifest.requirementsHash && manifest.requirementsHash.count == 16)
        let other = try Self.manifest(Self.valid.replacingOccurrences(of: "torch==2.13.0", with: "torch==2.12.0"))
        #expect(other.requirementsHash != manifest.requirementsHash)

        let minimal = try Self.manifest("""
            {"contract": 1, "name": "toy", "description": "d", "language": "executable", "library": "none", "command": ["./run"]}
            """)
        #expect(minimal.tiers == Tier.allCases && minimal.configurations == nil && !minimal.gpu && minimal.requirements.isEmpty)
        #expect(minimal.supports(["anything": 1], at: .paper))
    }

    /// `tnbench ab --implementation … --head-requirements …`: a pin replaces the manifest's pin
    /// of the same package (names compared as pip does: case and `-`/`_` alike), a new one is
    /// added, and the environment's identity changes with them.
    @Test func requirementOverridesReplaceThePinOfTheirPackage() throws {
        let manifest = try Self.manifest(Self.valid)
        let older = try manifest.overriding(["Torch==2.12.0"])
        #expect(older.requirements == ["numpy==2.4.6", "Torch==2.12.0"])
        #expect(older.requirementsHash != manifest.requirementsHash)
        let added = try manifest.overriding(["scikit_learn==1.9.1"])
        #expect(added.requirements == ["torch==2.13.0", "numpy==2.4.6", "scikit_learn==1.9.1"])
        #expect(try added.overriding(["scikit-learn==1.8.0"]).requirements == ["torch==2.13.0", "numpy==2.4.6", "scikit-learn==1.8.0"])
        #expect(try manifest.overriding([]).requirements == manifest.requirements)
        #expect(throws: HarnessError.self) { try manifest.overriding(["torch>=2"]) }
    }

    @Test(arguments: [
        (#""gpu": true}"#, #""gpu": true, "extra": 1}"#, "unknown field 'extra'"),
        (#""name": "toy""#, #""name": "Toy""#, "name 'Toy' must be lower-case"),
        (#""name": "toy""#, #""name": "native""#, "not 'native' or 'all'"),
        (#""name": "toy""#, #""name": "all""#, "not 'native' or 'all'"),
        (#""name": "toy""#, #""name": "a b""#, "must be lower-case"),
        (#""name": "toy""#, #""name": "other""#, "name 'other' differs from its folder's, 'toy'"),
        ("\"torch==2.13.0\"", "\"torch>=2.13\"", "requirement 'torch>=2.13' is not pinned"),
        ("\"torch==2.13.0\"", "\"torch\"", "requirement 'torch' is not pinned"),
        ("\"torch==2.13.0\"", "\"torch==2.13.0 ; python_version>'3'\"", "is not pinned"),
        (#""tiers": ["smoke", "ci"]"#, #""tiers": ["smoke", "huge"]"#, "unknown tier 'huge'"),
        (#"["torch==2.13.0", "numpy==2.4.6"]"#, "[]", "a python implementation lists its pinned 'requirements'"),
        (#""contract": 1"#, #""contract": 2"#, "contract version 2 is not spoken"),
        (#""contract": 1"#, #""contract": "1""#, "'contract' must be an integer"),
        (#""contract": 1"#, #""contract": 1.0"#, "'contract' must be an integer"),
        (#"["python", "train.py"]"#, "[]", "'command' must be a non-empty list"),
        (#"["python", "train.py"]"#, #"["python", ""]"#, "'command' must be a non-empty list"),
        (#""description": "a toy""#, #""description": """#, "'description' must be a non-empty string"),
        (#""gpu": true"#, #""gpu": "yes""#, "'gpu' must be true or false"),
        (#""gpu": true"#, #""gpu": true, "shares": ["../nowhere"]"#, "'shares' entry '../nowhere' is not a folder"),
        (#""gpu": true"#, #""gpu": true, "shares": ["/tmp"]"#, "'shares' entry '/tmp' is not a folder relative"),
        (#"[{"network": "fc2"}, {"network": "mpo", "D": 4}]"#, #"{"network": "fc2"}"#, "'configurations' must be a list of objects"),
        (#"{"network": "fc2"}"#, #"{"network": ["fc2"]}"#, "a configuration value must be a number or a string"),
    ])
    func aBadManifestIsOneLineNamingTheFileAndTheFault(change: (old: String, new: String, reason: String)) throws {
        let (old, new, reason) = change
        let json = Self.valid.replacingOccurrences(of: old, with: new)
        #expect(json != Self.valid, "the case changes the manifest")
        do {
            let manifest = try Self.manifest(json)
            Issue.record("accepted \(manifest)")
        } catch let error as HarnessError {
            #expect(error.kind == .invalidImplementation)
            #expect(error.message.contains("/toy/implementation.json: "), "\(error.message)")
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func aMissingOrUnreadableManifestIsAnError() throws {
        #expect(throws: HarnessError.self) { try ImplementationManifest(directory: temporaryDirectory() + "/none") }
        #expect(throws: HarnessError.self) { try Self.manifest("[1, 2]") }
        #expect(throws: HarnessError.self) { try Self.manifest("{\"contract\": 1,") }
    }

    @Test func namesAreLowerCaseLettersDigitsDashesAndUnderscores() {
        for name in ["numpy", "torch-2", "tn4ml", "a_b", String(repeating: "a", count: 64)] {
            #expect(ImplementationManifest.isValidName(name), "\(name)")
        }
        for name in ["", "native", "all", "NumPy", "a.b", "a/b", "ä", String(repeating: "a", count: 65)] {
            #expect(!ImplementationManifest.isValidName(name), "\(name)")
        }
    }

    @Test func anUnknownNameInTheCatalogueNamesTheOnesThereAre() {
        let catalogue = ImplementationCatalogue(root: implementationFixtures)
        do {
            _ = try catalogue.manifest(suite: "Toy", name: "torch")
            Issue.record("found a manifest that is not there")
        } catch let error as HarnessError {
            #expect(error.kind == .unknownImplementation)
            #expect(error.message.contains("Toy has no implementation 'torch' (it has: native, after-final,"), "\(error.message)")
        } catch {
            Issue.record("not a HarnessError: \(error)")
        }
        #expect((try? catalogue.manifest(suite: "Toy", name: "good"))?.command == ["python3", "prog.py"])
    }
}

/// A program left running by a killed tnbench is stopped when its job runs again — the one the
/// pid file names, not a later process that reuses its number.
@Suite struct LeftoverProgramTests {
    @Test func theProgramThePidFileNamesIsStopped() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let pid = process.processIdentifier
        let started = try #require(ChildProcess.startTime(of: pid))
        let file = temporaryDirectory() + "/program.pid"

        // Another start time: a process that merely reuses the number is left alone.
        try Data("\(pid) \(started + 1)\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(!ChildProcess.stopLeftover(pidFile: file))
        #expect(process.isRunning)

        try Data("\(pid) \(started)\n".utf8).write(to: URL(fileURLWithPath: file))
        #expect(ChildProcess.stopLeftover(pidFile: file))
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)

        // No file, or one that says nothing: nothing to stop.
        #expect(!ChildProcess.stopLeftover(pidFile: file + ".missing"))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: file))
        #expect(!ChildProcess.stopLeftover(pidFile: file))
    }
}
