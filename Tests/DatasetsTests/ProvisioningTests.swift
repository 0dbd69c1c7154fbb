import Datasets
import Foundation
import Testing

@Suite struct ProvisioningTests {
    @Test func dataDirectoryResolution() {
        let env = ["HOME": "/home/u", "TNBENCH_DATA_DIR": "/srv/data"]
        #expect(DataDirectory.resolve(flag: "/x/y/", environment: env) == "/x/y")
        #expect(DataDirectory.resolve(flag: "~/d", environment: env) == "/home/u/d")
        #expect(DataDirectory.resolve(flag: nil, environment: env) == "/srv/data")
        #expect(DataDirectory.resolve(flag: nil, environment: ["HOME": "/home/u"]) == "/home/u/.cache/tnbench/data")
        #expect(DataDirectory.resolve(flag: "rel", environment: env).hasSuffix("/rel"))
    }

    @Test func importIDXChecksStructureAndChecksums() throws {
        try withTemporaryDirectory { directory in
            let user = directory + "/user"
            try makeDirectory(user)
            // Right structure but not the canonical bytes: rejected by checksum.
            try IDXFile(dimensions: [60000], bytes: [UInt8](repeating: 1, count: 60000))
                .write(to: user + "/train-labels-idx1-ubyte.gz", compressed: true)
            try IDXFile(dimensions: [60000, 28, 28], bytes: [UInt8](repeating: 0, count: 60000 * 784))
                .write(to: user + "/train-images-idx3-ubyte")
            expectError({ try Provisioner().importIDX(from: user, into: directory + "/data") }) {
                if case .checksumMismatch(let path, _, _) = $0 { return path.hasPrefix(user + "/train-images") } else { return false }
            }
            // Wrong dimensions: rejected before hashing.
            try IDXFile(dimensions: [10, 28, 28], bytes: [UInt8](repeating: 0, count: 7840)).write(to: user + "/train-images-idx3-ubyte")
            expectError({ try Provisioner().importIDX(from: user, into: directory + "/data") }) {
                if case .malformed = $0 { return true } else { return false }
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/data/mnist/MANIFEST.json"))
        }
    }

    @Test func verifyDetectsTamperingAndMissingSets() throws {
        try withTemporaryDirectory { directory in
            #expect(Provisioner().verify("mnist", in: directory).first?.error == .fileNotFound(directory + "/mnist/MANIFEST.json"))
            try makeDirectory(directory + "/toy")
            try writeBytes(Array("abc".utf8), to: directory + "/toy/a.txt")
            let digest = Checksum.sha256(Array("abc".utf8))
            try DataSetManifest(set: "toy", source: "test", installed: "now",
                                files: [.init(name: "a.txt", bytes: 3, sha256: digest)], counts: [:]).write(in: directory)
            #expect(Provisioner().verify("toy", in: directory).map(\.error) == [nil])
            try writeBytes(Array("abd".utf8), to: directory + "/toy/a.txt")
            let check = Provisioner().verify("toy", in: directory)
            #expect(check.first?.error == .checksumMismatch(directory + "/toy/a.txt", expected: digest,
                                                            actual: Checksum.sha256(Array("abd".utf8))))
            #expect(try DataSetManifest.load(set: "toy", in: directory)?.files.first?.bytes == 3)
        }
    }

    @Test func unknownSetIsRejected() async throws {
        try await withTemporaryDirectory { directory in
            do {
                try await Provisioner().fetch(["cifar10"], into: directory)
                Issue.record("expected unknownDataSet, nothing was thrown")
            } catch let error as DatasetError {
                #expect(error == .unknownDataSet("cifar10"))
            }
        }
    }

    /// The real fetch, into a temporary directory: only with TNBENCH_TEST_FETCH=1 (it downloads).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TNBENCH_TEST_FETCH"] == "1"))
    func fetchBreastCancerIsIdempotent() async throws {
        try await withTemporaryDirectory { directory in
            let first = try await Provisioner().fetch(["breast-cancer"], into: directory)
            let second = try await Provisioner().fetch(["breast-cancer"], into: directory)
            #expect(first.first?.upToDate == false && second.first?.upToDate == true)
            #expect(try TabularSet.breastCancer(dataDirectory: directory).count == 569)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".partial") }
            #expect(leftovers.isEmpty)
        }
    }
}
