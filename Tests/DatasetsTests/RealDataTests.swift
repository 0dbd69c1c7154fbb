import Datasets
import Testing

/// Checks on the real data sets; each runs only when `tnbench data fetch` has installed the set
/// in the default data directory (or TNBENCH_DATA_DIR), and is skipped otherwise.
@Suite struct RealDataTests {
    @Test(.enabled(if: isInstalled("mnist"), "run `tnbench data fetch mnist` first"))
    func mnist() throws {
        let train = try ImageSet.load(.mnist, split: .train, dataDirectory: realDataDirectory)
        let test = try ImageSet.load(.mnist, split: .test, dataDirectory: realDataDirectory)
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.rows == 28 && train.columns == 28)
        #expect(train.labels.first == 5)
        #expect(test.labelHistogram() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        #expect(train.labelHistogram() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let pooled = test.prefix(10).averagePooled(2)
        #expect(pooled.rows == 14 && pooled.columns == 14)
    }

    @Test(.enabled(if: isInstalled("fashion-mnist"), "run `tnbench data fetch fashion-mnist` first"))
    func fashionMNIST() throws {
        let train = try ImageSet.load(.fashionMNIST, split: .train, dataDirectory: realDataDirectory)
        let test = try ImageSet.load(.fashionMNIST, split: .test, dataDirectory: realDataDirectory)
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.labelHistogram() == [Int](repeating: 6000, count: 10))
        #expect(test.labelHistogram() == [Int](repeating: 1000, count: 10))
        #expect(train.labels.first == 9)  // an ankle boot
    }

    @Test(.enabled(if: isInstalled("breast-cancer"), "run `tnbench data fetch breast-cancer` first"))
    func breastCancer() throws {
        let table = try TabularSet.breastCancer(dataDirectory: realDataDirectory)
        #expect(table.count == 569 && table.featureCount == 30)
        #expect(table.labelHistogram() == [212, 357])
        #expect(table.classNames == ["malignant", "benign"])
        #expect(table.features.scalars[0] == 17.99)
    }

    @Test(.enabled(if: isInstalled("mnist") && isInstalled("fashion-mnist") && isInstalled("breast-cancer")))
    func installedFilesVerify() {
        for set in Provisioner.allSets {
            #expect(Provisioner().verify(set, in: realDataDirectory).allSatisfy { $0.error == nil })
        }
    }
}
