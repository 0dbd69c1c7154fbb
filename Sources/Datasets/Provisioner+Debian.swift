import Foundation

extension Provisioner {
    /// Fashion-MNIST from Debian's `dataset-fashion-mnist` (installed with `apt-get` when
    /// missing and running as root): the four gzipped IDX files checked and copied.
    func fetchFashionMNIST(into directory: String, scratch: String, progress: (String) -> Void) async throws {
        let names = KnownData.fashionMNIST.keys.sorted()
        let missing = names.contains { !fileExists("\(fashionMNISTSource)/\($0)") }
        if missing {
            guard getuid() == 0 else {
                throw DatasetError.commandFailed(
                    "apt-get install dataset-fashion-mnist",
                    reason: "\(fashionMNISTSource) is missing; run `sudo apt-get install -y dataset-fashion-mnist`, then `tnbench data fetch fashion-mnist`")
            }
            progress("fashion-mnist: apt-get install -y dataset-fashion-mnist")
            try await ExternalCommand.run(["apt-get", "install", "-y", "--no-install-recommends", "dataset-fashion-mnist"])
        }
        for name in names {
            let source = "\(fashionMNISTSource)/\(name)"
            progress("fashion-mnist: checking and copying \(source)")
            try Self.checkHash(source, expected: KnownData.fashionMNIST[name]!)
            try FileBytes.writeAtomically(try FileBytes.read(source), to: "\(scratch)/\(name)")
            try Self.checkHash("\(scratch)/\(name)", expected: KnownData.fashionMNIST[name]!)
        }
        var counts: [String: Int] = [:]
        for split in [DatasetSplit.train, .test] {
            let labels = try IDXFile.read("\(scratch)/\(ImageDatasetName.fashionMNIST.fileNames(split).labels).gz", rank: 1)
            counts[split.rawValue] = labels.dimensions[0]
        }
        try Self.install(names, from: scratch, set: "fashion-mnist", into: directory,
                         source: "Debian dataset-fashion-mnist (\(fashionMNISTSource))", counts: counts)
    }

    /// The breast-cancer CSV file from Debian's `python3-sklearn` .deb:
    /// `apt-get download python3-sklearn`, `dpkg-deb -x`, the file checked against
    /// ``KnownData/breastCancer``. scikit-learn itself is not installed.
    func fetchBreastCancer(into directory: String, scratch: String, progress: (String) -> Void) async throws {
        progress("breast-cancer: apt-get download python3-sklearn (2 MB)")
        do {
            try await ExternalCommand.run(["apt-get", "download", "python3-sklearn"], in: scratch)
        } catch {
            throw DatasetError.commandFailed(
                "apt-get download python3-sklearn",
                reason: "\(error); run `apt-get update` (as root) and `tnbench data fetch breast-cancer` again")
        }
        guard let deb = try FileManager.default.contentsOfDirectory(atPath: scratch).first(where: { $0.hasSuffix(".deb") }) else {
            throw DatasetError.commandFailed("apt-get download python3-sklearn", reason: "no .deb was written")
        }
        let extracted = "\(scratch)/deb"
        try await ExternalCommand.run(["dpkg-deb", "-x", "\(scratch)/\(deb)", extracted])
        let dataDirectory = "\(extracted)/usr/lib/python3/dist-packages/sklearn/datasets/data"
        let names = KnownData.breastCancer.keys.sorted()
        for name in names {
            progress("breast-cancer: checking \(name) from \(deb)")
            let path = "\(dataDirectory)/\(name)"
            guard fileExists(path) else {
                throw DatasetError.malformed("\(scratch)/\(deb)", reason: "has no sklearn/datasets/data/\(name)")
            }
            try Self.checkHash(path, expected: KnownData.breastCancer[name]!)
            try FileBytes.renameReplacing(path, "\(scratch)/\(name)")
        }
        let table = try TabularSet.readSklearnCSV("\(scratch)/breast_cancer.csv", names: TabularSet.breastCancerFeatureNames)
        try Self.install(names, from: scratch, set: "breast-cancer", into: directory,
                         source: "Debian python3-sklearn (\(deb))", counts: ["all": table.count])
    }
}
