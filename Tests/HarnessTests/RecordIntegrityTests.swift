import Foundation
import Testing
@testable import Harness

#if canImport(Glibc)
import Glibc
#endif

/// Records survive what a disk can do: a full disk leaves no record and no temporary file and
/// says so in one line (exit 5); a flipped byte is caught by the record's checksum before
/// libhdf5 parses it, and `run` redoes the job; a read-only run directory still reads.
@Suite struct RecordIntegrityTests {
    /// A record with every kind of content (scalars, curves, float32 and float64 arrays, nested
    /// array names, settings, overrides, attributes).
    func sampleRecord(_ job: Job) -> JobRecord {
        var run = RunRecord()
        run.scalars = ["test_error": 0.0512, "epoch_seconds": 1.25, "tiny": 5e-324]
        run.timers = ["train": 3.5]
        run.curves = ["loss": Curve(x: (1...40).map(Double.init), y: (1...40).map { 1 / Double($0) })]
        run.arrays = [
            "mps/core_000": RecordedArray(shape: [2, 3, 4], data: .float32((0..<24).map { Float($0) * 0.25 })),
            "spectrum": RecordedArray(shape: [16], data: .float64((0..<16).map { Double($0).squareRoot() }), attributes: ["site": 3]),
        ]
        run.attributes = ["feature_map": "cos_sin"]
        run.flops = 1.5e9
        var record = JobRecord(
            job: job, tier: .smoke, status: .completed, message: "", record: run, settings: ["epochs": 3, "rate": 0.5],
            provenance: .current(), startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T00:00:04Z", wallSeconds: 4.25,
            overrides: ["rate": 0.5])
        record.peakResidentBytes = 123_456_789
        return record
    }

    /// Everything a record holds, bit for bit, as text.
    func fingerprint(_ r: JobRecord) -> String {
        let scalars = r.record.scalars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" }
        let timers = r.record.timers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" }
        let curves = r.record.curves.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.x.map(\.bitPattern))\($0.value.y.map(\.bitPattern))" }
        let arrays = r.record.arrays.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.shape)\($0.value.data)\($0.value.attributes)" }
        return [
            "\(r.job) \(r.tier) \(r.status) [\(r.message)]", "\(scalars)", "\(timers)", "\(curves)", "\(arrays)",
            "\(r.record.attributes.sorted { $0.key < $1.key })", "\(r.record.flops.bitPattern)",
            "\(r.settings.sorted { $0.key < $1.key })", "\(r.overrides.sorted { $0.key < $1.key })",
            "\(r.provenance.attributes.sorted { $0.key < $1.key })", r.startTime, r.endTime,
            "\(r.wallSeconds.bitPattern)", "\(r.peakResidentBytes?.bitPattern ?? 0)",
        ].joined(separator: "\n")
    }

    let job = Job(suite: "Synthetic", configuration: ["m": 10], seed: 0)

    // MARK: Checksums (item 3)

    /// A record is sealed: its user block names the SHA-256 and length of the HDF5 bytes after
    /// it, and it still reads with plain libhdf5 (h5py, h5dump skip the block).
    @Test func recordsAreSealedAndStillPlainHDF5() throws {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.prepare(tier: .smoke)
        let record = sampleRecord(job)
        try directory.write(record)
        let bytes = try SealedFile.read(directory.recordPath(job))
        #expect(String(decoding: bytes.prefix(SealedFile.magic.utf8.count), as: UTF8.self) == SealedFile.magic)
        #expect(Array(bytes[SealedFile.userBlockSize..<(SealedFile.userBlockSize + 8)]) == SealedFile.hdf5Signature)
        #expect(try SealedFile.verify(bytes, path: "x") == .sealed)
        #expect(fingerprint(try directory.readRecord(job)) == fingerprint(record))
        // libhdf5 opening the file on disk, as other tools do, finds the record behind the block.
        try withHDF5 {
            let root = try HDF5File.open(directory.recordPath(job)).root()
            #expect(try root.group("Synthetic/m=10/seed_0/scalars").attributes()["test_error"] == .double(0.0512))
        }
    }

    /// A record written before checksums (no user block) is still read, unverified.
    @Test func unsealedRecordsStillRead() throws {
        let (directory, record, path) = try writtenRecord()
        let plain = Array(try SealedFile.read(path).dropFirst(SealedFile.userBlockSize))
        try Data(plain).write(to: URL(fileURLWithPath: path))
        #expect(try SealedFile.verify(plain, path: path) == .unsealed)
        #expect(fingerprint(try directory.readRecord(job)) == fingerprint(record))
        #expect(try directory.loadResults().records.map(fingerprint) == [fingerprint(record)])
    }

    /// A record freshly written into a new run directory, and its path.
    func writtenRecord() throws -> (directory: ResultDirectory, record: JobRecord, path: String) {
        let directory = ResultDirectory(temporaryDirectory())
        try directory.prepare(tier: .smoke)
        let record = sampleRecord(job)
        try directory.write(record)
        return (directory, record, directory.recordPath(job))
    }

    /// 220 single-byte flips spread over the whole file (the user block's header and padding, the
    /// superblock, the metadata, the data) and a few truncations: every read throws the typed
    /// corrupt-record error naming the file, so libhdf5 never parses a damaged byte.
    @Test func flippedBytesAreCaughtBeforeLibhdf5() throws {
        let (directory, record, path) = try writtenRecord()
        let original = try SealedFile.read(path)
        let expected = fingerprint(record)
        #expect(original.count > 4 * SealedFile.userBlockSize)

        // Deterministic positions: the first 40 bytes (magic, digest), 20 in the user block's
        // zero padding, 20 around the HDF5 superblock, and 140 spread evenly over the rest; each
        // flips a different bit. Every one must be caught: the checksum covers the content, and
        // the header and its padding must be exactly as written.
        var positions = Array(0..<40) + Array(300..<320) + Array(SealedFile.userBlockSize..<(SealedFile.userBlockSize + 20))
        positions += (0..<140).map { 60 + $0 * (original.count - 61) / 139 }
        #expect(positions.count == 220 && positions.max() == original.count - 1)
        var corrupt = 0
        for (n, position) in positions.enumerated() {
            var damaged = original
            damaged[position] ^= UInt8(1 << (n % 8))
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            do {
                let back = try directory.readRecord(job)
                Issue.record("byte \(position) flipped was not caught (the record read back \(fingerprint(back) == expected ? "unchanged" : "changed"))")
            } catch let error as HarnessError {
                #expect(error.kind == .corruptRecord && error.message.contains(path) && !error.message.contains("\n"), "byte \(position): \(error)")
                corrupt += 1
            } catch {
                Issue.record("byte \(position): untyped error \(error)")
            }
        }
        #expect(corrupt == positions.count)

        for length in [0, 7, 100, SealedFile.userBlockSize, SealedFile.userBlockSize + 8, original.count / 2, original.count - 1] {
            try Data(original.prefix(length)).write(to: URL(fileURLWithPath: path))
            let why = length < SealedFile.userBlockSize
                ? "truncated: \(length) bytes"
                : "truncated: \(length - SealedFile.userBlockSize) of \(original.count - SealedFile.userBlockSize) bytes"
            #expect(throws: HarnessError(.corruptRecord, "record '\(path)' is corrupt (\(why))")) { try directory.readRecord(job) }
        }
        // The merge (what compare, report and diff read) reports the file in one line.
        var damaged = original
        damaged[original.count / 2] ^= 0x40
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        do {
            _ = try directory.loadResults()
            Issue.record("a corrupt record was merged")
        } catch let error as HarnessError {
            #expect(error.kind == .corruptRecord && error.exitStatus == .io)
            #expect(error.message.hasPrefix("record '\(path)' is corrupt (checksum mismatch): re-run"))
        }
        // A corrupt merged results file (read alone) is reported the same way.
        try Data(original).write(to: URL(fileURLWithPath: path))
        let merged = try directory.merge()
        var results = try SealedFile.read(merged)
        results[results.count - 3] ^= 1
        try Data(results).write(to: URL(fileURLWithPath: merged))
        #expect(throws: HarnessError(.corruptRecord, "results file '\(merged)' is corrupt (checksum mismatch)")) { try ResultSet.read(merged) }
    }

    /// `run` treats a corrupt record as not done: it moves it aside (kept as `.corrupt`), reruns
    /// the job, and the run then equals one that never had the damage.
    @Test func runnerRerunsACorruptRecord() throws {
        let root = temporaryDirectory()
        try runSynthetic(into: root + "/clean")
        let directory = ResultDirectory(root + "/damaged")
        try runSynthetic(into: directory.path)
        let damagedJob = Job(suite: "Synthetic", configuration: ["m": 20], seed: 2)
        let path = directory.recordPath(damagedJob)
        var bytes = try SealedFile.read(path)
        bytes[bytes.count - 100] ^= 0x08
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        guard case .unreadable(let error) = directory.lookupRecord(damagedJob) else {
            Issue.record("the corrupt record was not reported")
            return
        }
        #expect(error.message == "record '\(path)' is corrupt (checksum mismatch)")
        #expect(directory.existingRecord(damagedJob) == nil)

        let again = try runSynthetic(into: directory.path)
        #expect(again.completed == 1 && again.skipped == 9 && again.exitStatus == .ok)
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt"))
        #expect(directory.recordFiles().count == 10)
        let a = try ResultDirectory(root + "/clean").loadResults().records.map(fingerprintWithoutTimes)
        let b = try directory.loadResults().records.map(fingerprintWithoutTimes)
        #expect(a == b && a.count == 10)
    }

    /// What a run recomputes identically (times and provenance left out).
    func fingerprintWithoutTimes(_ r: JobRecord) -> String {
        let scalars = r.record.scalars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.bitPattern)" }
        let curves = r.record.curves.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.y.map(\.bitPattern))" }
        return "\(r.job) \(r.status) \(scalars) \(curves) \(r.record.arrays.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.data)" })"
    }

    // MARK: Full disk (items 2 and 16)

    /// A full disk while writing a record or `results.h5`: the typed I/O error in one line
    /// naming the file and "no space left on device", no temporary file left, no record in
    /// place, no crash; with room again, the run resumes and completes.
    @Test(.enabled(if: ScratchMount.tmpfsWorks, "needs permission to mount a small tmpfs (mount(2) as root)"))
    func fullDiskLeavesNothingAndResumes() throws {
        let mountPoint = temporaryDirectory()
        try ScratchMount.tmpfs(at: mountPoint, kilobytes: 512)
        defer { ScratchMount.unmount(mountPoint) }
        let directory = ResultDirectory(mountPoint + "/run")
        try directory.prepare(tier: .smoke)

        // Fill the disk, then free 8 KiB: a record starts to be written and runs out of space.
        let filler = mountPoint + "/filler"
        try ScratchMount.fill(filler, leavingKilobytes: 8)
        do {
            try directory.write(sampleRecord(job))
            Issue.record("a record was written to a full disk")
        } catch let error as HarnessError {
            #expect(error.kind == .io && error.exitStatus == .io && ExitStatus.io.rawValue == 5)
            #expect(error.message == "cannot write '\(directory.recordPath(job))': no space left on device")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.recordPath(job)))
        #expect(ScratchMount.temporaryFiles(under: mountPoint).isEmpty)
        #expect(directory.existingRecord(job) == nil)

        // A whole run: the first record that does not fit stops it with the typed error.
        do {
            try runSynthetic(into: directory.path)
            Issue.record("a run on a full disk succeeded")
        } catch let error as HarnessError {
            #expect(error.kind == .io && error.message.hasSuffix("': no space left on device"))
        }
        #expect(ScratchMount.temporaryFiles(under: mountPoint).isEmpty)
        // Whatever is in place is complete (it reads), and nothing else is.
        for file in directory.recordFiles() { #expect(try SealedFile.verify(try SealedFile.read(file), path: file) == .sealed) }

        // A JSON file (plan.json, a reference) says the same.
        let plan = directory.path + "/plan.json"
        #expect(throws: HarnessError(.io, "cannot write '\(plan)': no space left on device")) {
            try atomicWrite(plan, bytes: [UInt8](repeating: 65, count: 64 * 1024))
        }
        #expect(ScratchMount.temporaryFiles(under: mountPoint).isEmpty)

        // Room again: the run resumes and completes.
        try FileManager.default.removeItem(atPath: filler)
        let resumed = try runSynthetic(into: directory.path)
        #expect(resumed.completed + resumed.skipped == 10 && resumed.exitStatus == .ok)
        #expect(try directory.loadResults().records.count == 10)

        // The merged file: a full disk fails `merge` in one line and leaves the old results.h5;
        // reading (compare, report) still works, from the records.
        let before = try SealedFile.read(directory.mergedPath)
        try ScratchMount.fill(filler, leavingKilobytes: 4)
        #expect(throws: HarnessError(.io, "cannot write '\(directory.mergedPath)': no space left on device")) { try directory.merge() }
        #expect(ScratchMount.temporaryFiles(under: mountPoint).isEmpty)
        #expect(try SealedFile.read(directory.mergedPath) == before)
        #expect(try directory.loadResults().records.count == 10)
        #expect(ScratchMount.temporaryFiles(under: mountPoint).isEmpty)
    }

    /// Foundation's file errors become one line with the system's words.
    @Test func fileSystemErrorsAreOneLine() {
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/x/plan.json"])
        #expect(HarnessError(fileSystemError: full) == HarnessError(.io, "cannot write '/x/plan.json': no space left on device"))
        #expect(HarnessError(fileSystemError: CocoaError(.fileWriteVolumeReadOnly), path: "/r") == HarnessError(.io, "cannot write '/r': read-only file system"))
        #expect(HarnessError(fileSystemError: POSIXError(.ENOSPC), action: "create directory", path: "/d")?.message == "cannot create directory '/d': no space left on device")
        #expect(HarnessError(fileSystemError: HarnessError(.invalidArgument, "kept")) == HarnessError(.invalidArgument, "kept"))
        struct Unrelated: Error {}
        #expect(HarnessError(fileSystemError: Unrelated()) == nil)
    }

    // MARK: Read-only run directories (item 9)

    /// compare, diff and report read a run directory they cannot write: the records are read
    /// from `jobs/` (even when `results.h5` is missing or stale) and nothing is written.
    @Test(.enabled(if: ScratchMount.canMakeReadOnly, "as root only a read-only mount stops writes, and mount(2) is not permitted here"))
    func readOnlyRunDirectoryReads() throws {
        let root = temporaryDirectory()
        let mountPoint = root + "/mount"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = getuid() == 0
        if mounted { try ScratchMount.tmpfs(at: mountPoint, kilobytes: 4096) }
        defer {
            if mounted { ScratchMount.unmount(mountPoint) } else { _ = try? ScratchMount.run("/bin/chmod", ["-R", "u+w", mountPoint]) }
        }
        let directory = ResultDirectory(mountPoint + "/run")
        try runSynthetic(into: directory.path, seeds: 2)
        let stale = try SealedFile.read(directory.mergedPath)
        try runSynthetic(into: directory.path)
        let expected = try directory.loadResults().records.map(fingerprint)
        #expect(expected.count == 10)

        // A stale results.h5 (4 jobs) beside 10 records, then the directory made read-only.
        try Data(stale).write(to: URL(fileURLWithPath: directory.mergedPath))
        if mounted {
            try ScratchMount.remountReadOnly(mountPoint)
        } else {
            try ScratchMount.run("/bin/chmod", ["-R", "a-w", mountPoint])
        }
        #expect(!directory.isWritable)
        let results = try directory.loadResults()
        #expect(results.records.map(fingerprint) == expected)
        #expect(RunDifference.differences(results, try directory.loadResults()).isEmpty)
        #expect(try SealedFile.read(directory.mergedPath) == stale)
        #expect(ScratchMount.temporaryFiles(under: mountPoint).isEmpty)

        // Without results.h5 at all (removed before the directory became read-only) too.
        if mounted {
            try ScratchMount.remountReadWrite(mountPoint)
            try FileManager.default.removeItem(atPath: directory.mergedPath)
            try ScratchMount.remountReadOnly(mountPoint)
            #expect(try directory.loadResults().records.map(fingerprint) == expected)
            #expect(!FileManager.default.fileExists(atPath: directory.mergedPath))
        }
    }
}

/// Scratch file systems for the tests above: a small tmpfs (to fill) or a read-only one.
enum ScratchMount {
    /// Whether this process may mount a tmpfs (tried once, not assumed).
    static let tmpfsWorks: Bool = {
        let probe = NSTemporaryDirectory() + "tnbench-mount-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? tmpfs(at: probe, kilobytes: 64)) != nil else { return false }
        unmount(probe)
        return true
    }()

    /// Whether a test can make a directory read-only to this process: by permission bits when
    /// not root, else by a read-only mount.
    static var canMakeReadOnly: Bool { getuid() != 0 || tmpfsWorks }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func tmpfs(at path: String, kilobytes: Int) throws {
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(kilobytes)k,mode=0755") == 0 else {
            throw Failure(description: "mount tmpfs at \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func remountReadOnly(_ path: String) throws {
        guard mount("tmpfs", path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), nil) == 0 else {
            throw Failure(description: "remount \(path) read-only: \(String(cString: strerror(errno)))")
        }
    }

    static func remountReadWrite(_ path: String) throws {
        guard mount("tmpfs", path, "tmpfs", UInt(MS_REMOUNT), nil) == 0 else {
            throw Failure(description: "remount \(path) read-write: \(String(cString: strerror(errno)))")
        }
    }

    static func unmount(_ path: String) { umount2(path, Int32(MNT_DETACH)) }

    /// Writes `path` until the file system is full, then gives back `leavingKilobytes`.
    static func fill(_ path: String, leavingKilobytes: Int) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "open \(path)") }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x5A, count: 4096)
        var size = 0
        while true {
            let written = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            size += written
        }
        guard errno == ENOSPC, ftruncate(descriptor, off_t(max(0, size - leavingKilobytes * 1024))) == 0 else {
            throw Failure(description: "could not fill \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Temporary files (`.tmp-`) anywhere under `path`.
    static func temporaryFiles(under path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter { $0.contains(".tmp-") }
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
