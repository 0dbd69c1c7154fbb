import Datasets
import TensorCore
import Testing

@Suite struct TabularSetTests {
    @Test func minMaxScalingUsesTheReferenceRanges() {
        let train = TabularSet(features: Tensor(shape: [3, 2], scalars: [0, 10, 2, 10, 4, 10]), labels: [0, 1, 0])
        let scaled = train.minMaxScaled()
        #expect(scaled.features.scalars == [0, 0, 0.5, 0, 1, 0])  // a constant column maps to 0
        let test = TabularSet(features: Tensor(shape: [1, 2], scalars: [6, 10]), labels: [1])
        #expect(test.minMaxScaled(using: train).features.scalars == [1.5, 0])
        #expect(train.subset([2, 0]).labels == [0, 0] && train.subset([1]).features.scalars == [2, 10])
    }

    @Test func sklearnCSVParses() throws {
        try withTemporaryDirectory { directory in
            try makeDirectory(directory + "/breast-cancer")
            let row = (0..<30).map { String(Double($0) / 4) }.joined(separator: ",")
            let csv = "3,30,malignant,benign\n\(row),0\n\(row),1\n\(row),1\n"
            try writeBytes(Array(csv.utf8), to: directory + "/breast-cancer/breast_cancer.csv")
            let table = try TabularSet.breastCancer(dataDirectory: directory, verification: .structureOnly)
            #expect(table.count == 3 && table.featureCount == 30 && table.labels == [0, 1, 1])
            #expect(table.classNames == ["malignant", "benign"] && table.featureNames[0] == "mean radius")
            #expect(table.features.scalars[29] == 7.25)
            try writeBytes(Array("4,30,malignant,benign\n\(row),0\n".utf8), to: directory + "/breast-cancer/breast_cancer.csv")
            expectError({ _ = try TabularSet.breastCancer(dataDirectory: directory, verification: .structureOnly) }) {
                if case .malformed = $0 { return true } else { return false }
            }
        }
    }
}
