import Foundation
import TensorCore

extension TabularSet {
    /// The Wisconsin diagnostic breast-cancer set (569 tumours × 30 features; label 0 =
    /// malignant (212), 1 = benign (357)) from `<dataDirectory>/breast-cancer/breast_cancer.csv`,
    /// scikit-learn's copy.
    ///
    /// File format: a header `569,30,malignant,benign` (rows, features, class names), then one
    /// line per tumour of 30 comma-separated reals and the 0/1 label. Features are not scaled;
    /// use ``minMaxScaled(using:)``.
    /// The file is checked against its SHA-256 first, unless `verification` is `.structureOnly`.
    /// - Throws: ``DatasetError/fileNotFound(_:)`` if not fetched;
    ///   ``DatasetError/checksumMismatch(_:expected:actual:)`` if its bytes are not the verified ones;
    ///   ``DatasetError/malformed(_:reason:)`` if a line does not parse or the counts differ from
    ///   the header.
    public static func breastCancer(dataDirectory: String, verification: DataVerification = .checksums) throws -> TabularSet {
        let path = dataDirectory + "/breast-cancer/breast_cancer.csv"
        guard fileExists(path) else { throw DatasetError.fileNotFound(path) }
        if verification == .checksums { try VerifiedFiles.check(path, set: "breast-cancer", dataDirectory: dataDirectory) }
        return try readSklearnCSV(path, names: breastCancerFeatureNames)
    }

    /// Reads a scikit-learn `load_*` CSV: header `rows,features,class names…`, then rows.
    static func readSklearnCSV(_ path: String, names: [String]) throws -> TabularSet {
        let lines = try csvLines(path)
        guard let header = lines.first?.split(separator: ",").map(String.init), header.count >= 2,
              let rows = Int(header[0]), let width = Int(header[1])
        else { throw DatasetError.malformed(path, reason: "header is not `rows,features,classes…`") }
        guard lines.count - 1 == rows else {
            throw DatasetError.malformed(path, reason: "header announces \(rows) rows, file has \(lines.count - 1)")
        }
        return try parseRows(lines.dropFirst(), width: width, path: path,
                             names: names.count == width ? names : [], classNames: Array(header.dropFirst(2)))
    }

    static func csvLines(_ path: String) throws -> [Substring] {
        let text = String(decoding: try FileBytes.readDecompressing(path), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
    }

    static func parseRows(_ lines: ArraySlice<Substring>, width: Int, path: String,
                          names: [String], classNames: [String]) throws -> TabularSet {
        var values: [Double] = []
        values.reserveCapacity(lines.count * width)
        var labels: [Int] = []
        for (number, line) in zip(1..., lines) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == width + 1 else {
                throw DatasetError.malformed(path, reason: "row \(number) has \(fields.count) fields, expected \(width + 1)")
            }
            for field in fields.prefix(width) {
                guard let value = Double(field.trimmingCharacters(in: .whitespaces)) else {
                    throw DatasetError.malformed(path, reason: "row \(number): '\(field)' is not a number")
                }
                values.append(value)
            }
            guard let label = Double(fields[width].trimmingCharacters(in: .whitespaces)).flatMap({ Int(exactly: $0) }),
                  label >= 0, classNames.isEmpty || label < classNames.count
            else { throw DatasetError.malformed(path, reason: "row \(number): bad label '\(fields[width])'") }
            labels.append(label)
        }
        return TabularSet(features: Tensor(shape: [labels.count, width], scalars: values), labels: labels,
                          featureNames: names, classNames: classNames)
    }

    /// scikit-learn's names for the 30 breast-cancer features, in column order.
    public static let breastCancerFeatureNames: [String] = {
        let base = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                    "concave points", "symmetry", "fractal dimension"]
        return base.map { "mean \($0)" } + base.map { "\($0) error" } + base.map { "worst \($0)" }
    }()
}
