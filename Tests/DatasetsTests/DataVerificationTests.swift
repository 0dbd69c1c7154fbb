import Datasets
import Foundation
import Testing

/// Data files are checked against their SHA-256 before a loader uses them (issue: corrupted
/// MNIST ran to completion with a wrong test error), and the check is cached by file identity.
@Suite struct DataVerificationTests {
    /// Writes a small gzipped MNIST test split under `directory/mnist` (names ``KnownData`` does
    /// not know, since it fixes the uncompressed files) and, when `manifest` is true, a manifest
    /// recording their hashes, as `import-idx` would.
    func writeSmallMNIST(in directory: String, manifest: Bool) throws -> (images: String, labels: String) {
        try makeDirectory(directory + "/mnist")
        let images = directory + "/mnist/t10k-images-idx3-ubyte.gz", labels = directory + "/mnist/t10k-labels-idx1-ubyte.gz"
        try IDXFile(dimensions: [4, 2, 2], bytes: (0..<16).map { UInt8($0 * 16) }).write(to: images, compressed: true)
        try IDXFile(dimensions: [4], bytes: [0, 1, 2, 3]).write(to: labels, compressed: true)
        if manifest {
            let files = try [images, labels].map { path in
                DataSetManifest.File(name: (path as NSString).lastPathComponent, bytes: try readBytes(path).count,
                                     sha256: try Checksum.sha256(file: path))
            }
            try DataSetManifest(set: "mnist", source: "test", installed: "2026-12-06T00:00:00Z", files: files,
                                counts: ["test": 4]).write(in: directory)
        }
        return (images, labels)
    }

    @Test func verifiedFilesLoadAndTheVerificationIsCached() throws {
        try withTemporaryDirectory { directory in
            _ = try writeSmallMNIST(in: directory, manifest: true)
            let set = try ImageSet.load(.mnist, split: .test, dataDirectory: directory)
            #expect(set.count == 4 && set.labels == [0, 1, 2, 3])
            let cache = try JSONSerialization.jsonObject(with: Data(readBytes(directory + "/mnist/.verified.json"))) as? [String: Any]
            let files = cache?["files"] as? [String: Any]
            #expect(Set(files?.keys.map { $0 } ?? []) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
            #expect(try ImageSet.load(.mnist, split: .test, dataDirectory: directory).labels == [0, 1, 2, 3])
        }
    }

    /// A byte changed in place, size and modification time restored: the change time still
    /// differs, so the cached verification does not hide the corruption.
    @Test func aChangedFileIsHashedAgainEvenWithItsOldModificationTime() throws {
        try withTemporaryDirectory { directory in
            let (images, _) = try writeSmallMNIST(in: directory, manifest: true)
            _ = try ImageSet.load(.mnist, split: .test, dataDirectory: directory)
            var status = stat()
            #expect(stat(images, &status) == 0)
            var bytes = try readBytes(images)
            bytes[bytes.count - 9] ^= 0xff  // one byte flipped: the same size
            try writeBytes(bytes, to: images)
            var times = [status.st_atim, status.st_mtim]
            #expect(utimensat(AT_FDCWD, images, &times, 0) == 0)
            expectError({ _ = try ImageSet.load(.mnist, split: .test, dataDirectory: directory) }) {
                if case .checksumMismatch(let path, _, _) = $0 { return path == images } else { return false }
            }
        }
    }

    /// Files the project fixed by name are checked against ``KnownData``, manifest or not: a
    /// stand-in for fashion-MNIST (every other byte inverted would do the same) is refused.
    @Test func filesTheProjectKnowsMustHaveTheirKnownHash() throws {
        try withTemporaryDirectory { directory in
            try makeDirectory(directory + "/fashion-mnist")
            let images = directory + "/fashion-mnist/t10k-images-idx3-ubyte.gz"
            try IDXFile(dimensions: [2, 2, 2], bytes: Array(0..<8)).write(to: images, compressed: true)
            try IDXFile(dimensions: [2], bytes: [1, 2]).write(to: directory + "/fashion-mnist/t10k-labels-idx1-ubyte.gz", compressed: true)
            expectError({ _ = try ImageSet.load(.fashionMNIST, split: .test, dataDirectory: directory) }) {
                if case .checksumMismatch(let path, let expected, _) = $0 {
                    return path == images && expected == KnownData.fashionMNIST["t10k-images-idx3-ubyte.gz"]
                }
                return false
            }
            #expect(try ImageSet.load(.fashionMNIST, split: .test, dataDirectory: directory, verification: .structureOnly).count == 2)
        }
    }

    @Test func aFileNeitherKnownNorInAManifestIsRefused() throws {
        try withTemporaryDirectory { directory in
            let (images, _) = try writeSmallMNIST(in: directory, manifest: false)
            expectError(.unverified(images)) { _ = try ImageSet.load(.mnist, split: .test, dataDirectory: directory) }
        }
    }

    @Test func aTamperedBreastCancerFileIsRefused() throws {
        try withTemporaryDirectory { directory in
            try makeDirectory(directory + "/breast-cancer")
            let path = directory + "/breast-cancer/breast_cancer.csv"
            let row = (0..<30).map { _ in "1.0" }.joined(separator: ",")
            try writeBytes(Array("1,30,malignant,benign\n\(row),0\n".utf8), to: path)
            expectError({ _ = try TabularSet.breastCancer(dataDirectory: directory) }) {
                if case .checksumMismatch(path, _, _) = $0 { return true } else { return false }
            }
        }
    }

    /// The real MNIST test images with every other pixel inverted, as the hostile pass tried:
    /// refused before any job uses them. Needs the installed set.
    @Test(.enabled(if: isInstalled("mnist"), "needs MNIST installed (tnbench data fetch)"))
    func invertedRealMNISTIsRefused() throws {
        try withTemporaryDirectory { directory in
            try makeDirectory(directory + "/mnist")
            for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
                var bytes = try readBytes("\(realDataDirectory)/mnist/\(name)")
                if name.contains("images") { for i in stride(from: 16, to: bytes.count, by: 2) { bytes[i] = 255 - bytes[i] } }
                try writeBytes(bytes, to: "\(directory)/mnist/\(name)")
            }
            expectError({ _ = try ImageSet.load(.mnist, split: .test, dataDirectory: directory) }) {
                if case .checksumMismatch(let path, _, _) = $0 { return path.hasSuffix("t10k-images-idx3-ubyte") } else { return false }
            }
        }
    }

    /// A corrupt label file is reported as the label file, not as the images.
    @Test func badLabelsNameTheLabelsFile() {
        let images = IDXFile(dimensions: [2, 1, 2], bytes: [0, 255, 51, 102])
        expectError(.malformed("L", reason: "label 1 is 10, outside 0..<10")) {
            _ = try ImageSet(images: images, labels: IDXFile(dimensions: [2], bytes: [4, 10]), imagesPath: "I", labelsPath: "L")
        }
        expectError(.malformed("L", reason: "labels [3] do not match the 2 images of I")) {
            _ = try ImageSet(images: images, labels: IDXFile(dimensions: [3], bytes: [4, 1, 2]), imagesPath: "I", labelsPath: "L")
        }
    }
}
