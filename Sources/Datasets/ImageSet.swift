import TensorCore

/// The image data sets the suites use, by the name the command line and records use.
public enum ImageDatasetName: String, CaseIterable, Sendable, Codable {
    /// MNIST handwritten digits (LeCun et al.): 60,000 training and 10,000 test images, 28×28.
    case mnist
    /// Fashion-MNIST (Xiao et al. 2017): the same shapes and counts, 10 clothing classes.
    case fashionMNIST = "fashion-mnist"

    /// The canonical IDX file names of a split: images first, labels second.
    public func fileNames(_ split: DatasetSplit) -> (images: String, labels: String) {
        let prefix = split == .train ? "train" : "t10k"
        return ("\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte")
    }
}

/// Which part of a data set.
public enum DatasetSplit: String, Sendable {
    case train, test
}

/// Grayscale images with labels; pixels in [0, 1] (byte/255), shape `[count, rows, columns]`.
public struct ImageSet: Sendable {
    /// The pixels, `[count, rows, columns]`, row-major, each in [0, 1].
    public var pixels: Tensor<Float>
    /// The class of each image, in `0..<classCount`.
    public var labels: [Int]
    /// The number of classes (10 for MNIST and Fashion-MNIST).
    public var classCount: Int

    /// The number of images.
    public var count: Int { pixels.shape[0] }
    /// The image height.
    public var rows: Int { pixels.shape[1] }
    /// The image width.
    public var columns: Int { pixels.shape[2] }

    /// - Precondition: `pixels` has rank 3 and as many images as `labels` has entries.
    public init(pixels: Tensor<Float>, labels: [Int], classCount: Int) {
        precondition(pixels.rank == 3 && pixels.shape[0] == labels.count,
                     "ImageSet needs pixels [count, rows, columns] with count = labels.count; got \(pixels.shape) and \(labels.count) labels")
        self.pixels = pixels
        self.labels = labels
        self.classCount = classCount
    }

    /// Builds an image set from IDX images (`[count, rows, columns]` bytes) and IDX labels;
    /// pixels become `byte/255`.
    /// - Parameters:
    ///   - imagesPath, labelsPath: the files they came from, named by the errors.
    /// - Throws: ``DatasetError/malformed(_:reason:)`` naming the labels file if the counts differ
    ///   or a label is outside `0..<classCount`, the images file if they are not `[count, rows, columns]`.
    public init(images: IDXFile, labels: IDXFile, classCount: Int = 10,
                imagesPath: String = "<memory>", labelsPath: String = "<memory>") throws {
        guard images.dimensions.count == 3 else {
            throw DatasetError.malformed(imagesPath, reason: "images have dimensions \(images.dimensions), not [count, rows, columns]")
        }
        guard labels.dimensions.count == 1, images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError.malformed(
                labelsPath, reason: "labels \(labels.dimensions) do not match the \(images.dimensions[0]) images of \(imagesPath)")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw DatasetError.malformed(labelsPath, reason: "label \(bad) is \(labels.bytes[bad]), outside 0..<\(classCount)")
        }
        let pixels = Tensor<Float>(shape: images.dimensions, unsafeUninitializedCapacity: { out in
            images.bytes.withUnsafeBufferPointer { bytes in
                for i in 0..<bytes.count { out[i] = Float(bytes[i]) / 255 }
            }
        })
        self.init(pixels: pixels, labels: labels.bytes.map(Int.init), classCount: classCount)
    }

    /// Loads a split from `<dataDirectory>/<name>/`: the canonical IDX files
    /// (`train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, …), plain or with a `.gz` suffix.
    ///
    /// Both files are checked against their SHA-256 first (``DataVerification/checksums``,
    /// cached by file identity), then for structure (magic, dimensions, sizes, labels).
    /// - Throws: ``DatasetError/fileNotFound(_:)`` if the set was not fetched,
    ///   ``DatasetError/checksumMismatch(_:expected:actual:)`` or ``DatasetError/unverified(_:)``,
    ///   and the ``IDXFile/read(_:rank:)`` errors.
    public static func load(
        _ name: ImageDatasetName, split: DatasetSplit, dataDirectory: String, verification: DataVerification = .checksums
    ) throws -> ImageSet {
        let directory = dataDirectory + "/" + name.rawValue
        let files = name.fileNames(split)
        let imagePath = try locate(directory + "/" + files.images)
        let labelPath = try locate(directory + "/" + files.labels)
        if verification == .checksums {
            for path in [imagePath, labelPath] {
                try VerifiedFiles.check(path, set: name.rawValue, dataDirectory: dataDirectory)
            }
        }
        let images = try IDXFile.read(imagePath, rank: 3)
        let labels = try IDXFile.read(labelPath, rank: 1)
        return try ImageSet(images: images, labels: labels, classCount: 10, imagesPath: imagePath, labelsPath: labelPath)
    }

    /// `path` if it exists, else `path.gz` if that exists.
    static func locate(_ path: String) throws -> String {
        for candidate in [path, path + ".gz"] where fileExists(candidate) { return candidate }
        throw DatasetError.fileNotFound(path)
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageSet {
        let size = rows * columns
        let picked = Tensor<Float>(shape: [indices.count, rows, columns], unsafeUninitializedCapacity: { out in
            pixels.withUnsafeBufferPointer { source in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < count, "subset index \(i) outside 0..<\(count)")
                    for j in 0..<size { out[k * size + j] = source[i * size + j] }
                }
            }
        })
        return ImageSet(pixels: picked, labels: indices.map { labels[$0] }, classCount: classCount)
    }

    /// The first `n` images (all of them if `n ≥ count`).
    public func prefix(_ n: Int) -> ImageSet {
        precondition(n >= 0, "prefix needs n ≥ 0, got \(n)")
        let n = min(n, count)
        return ImageSet(pixels: pixels.slice(0..<n), labels: Array(labels.prefix(n)), classCount: classCount)
    }

    /// How many images each class has: entry `c` counts label `c`.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[label] += 1 }
        return histogram
    }
}
